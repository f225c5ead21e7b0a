/** Reminder events on the bus. */
import type { EventDefinitions } from "../../events/catalog";

type Obj = Record<string, unknown>;
const pick =
  (...keys: string[]) =>
  (o: unknown) =>
    Object.fromEntries(keys.filter((k) => (o as Obj)[k] !== undefined).map((k) => [k, (o as Obj)[k]]));

export const reminderEvents: EventDefinitions = {
  serializers: {
    "reminder.scheduled": pick("event_id", "name", "start_at", "offsets"),
    "reminder.sent": pick("event_id", "name", "offset", "sent", "failed", "skipped", "retry"),
    "reminder.failed": pick("event_id", "name", "offset", "sent", "failed", "retry"),
    "subscription.updated": (o, ctx) => ({ ...pick("types", "offsets", "event_id", "action")(o), user_id: ctx.userId }),
  },
  sets: {
    CRITICAL: ["reminder.failed"],
    FULL: ["reminder.scheduled", "reminder.sent", "subscription.updated"],
  },
};
