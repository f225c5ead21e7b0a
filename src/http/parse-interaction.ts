/** Boundary validation of an interaction body: JSON, a known type, the fields every handler relies on. */
import { type APIInteraction, InteractionType } from "discord-api-types/v10";

const KNOWN_TYPES = new Set<number>([
  InteractionType.Ping,
  InteractionType.ApplicationCommand,
  InteractionType.MessageComponent,
  InteractionType.ApplicationCommandAutocomplete,
  InteractionType.ModalSubmit,
]);

export type Parsed = { ok: true; interaction: APIInteraction } | { ok: false; error: string };

export function parseInteraction(raw: string): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, error: "body is not valid JSON" };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "body must be a JSON object" };
  const b = body as Record<string, unknown>;
  if (typeof b.type !== "number" || !KNOWN_TYPES.has(b.type)) return { ok: false, error: "unknown interaction type" };
  if (typeof b.id !== "string" || typeof b.application_id !== "string" || typeof b.token !== "string") {
    return { ok: false, error: "interaction is missing id, application_id or token" };
  }
  if (b.type !== InteractionType.Ping) {
    if (typeof b.data !== "object" || b.data === null) return { ok: false, error: "interaction is missing data" };
    const user = (b.member as { user?: unknown } | undefined)?.user ?? b.user;
    if (typeof user !== "object" || user === null) return { ok: false, error: "interaction has no user" };
    const data = b.data as Record<string, unknown>;
    if ((b.type === InteractionType.ApplicationCommand || b.type === InteractionType.ApplicationCommandAutocomplete) && typeof data.name !== "string") {
      return { ok: false, error: "command interaction without a name" };
    }
    if ((b.type === InteractionType.MessageComponent || b.type === InteractionType.ModalSubmit) && typeof data.custom_id !== "string") {
      return { ok: false, error: "component interaction without a custom_id" };
    }
  }
  return { ok: true, interaction: body as APIInteraction };
}
