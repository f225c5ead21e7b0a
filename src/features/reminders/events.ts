/** Reminder events on the bus. */
import { type EventDefinitions, pickFields } from "../../events/catalog";

const pick = pickFields;

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
