/** discord-api-spec ships its zod build without declarations; the emulator only needs schemas by name. */
declare module "discord-api-spec/preview/zod" {
  import type * as z from "zod/mini";

  const schemas: Record<string, z.ZodMiniType>;
  export = schemas;
}
