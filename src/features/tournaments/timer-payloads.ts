/** What the tournament sync and match mirror steps are told when scheduled, parsed before they run. */
import * as z from "zod";
import { guildPayload } from "../../timers/payloads";

export const syncPayload = guildPayload;
export const mirrorPayload = guildPayload.extend({ match_id: z.number().int() });

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "tournaments.sync": z.infer<typeof syncPayload>;
    "tournaments.mirror": z.infer<typeof mirrorPayload>;
  }
}
