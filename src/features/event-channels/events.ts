/** Event-channel events on the bus: what was made, retried, skipped, extended, archived or deleted. */
import { type EventDefinitions, pickFields } from "../../events/catalog";

const pick = pickFields;

export const eventChannelEvents: EventDefinitions = {
  serializers: {
    "event_channels.created": pick("event_id", "name", "role_id", "text_id", "voice_ids", "interested"),
    "event_channels.retry_scheduled": pick("event_id", "name", "interested", "minimum", "keyword", "retry_at"),
    "event_channels.skipped": pick("event_id", "name", "interested", "minimum", "keyword"),
    "event_channels.extended": (o, ctx) => ({ ...pick("event_id", "name", "delete_at")(o), by_user_id: ctx.userId }),
    "event_channels.archived": pick("event_id", "name", "reason", "text_id"),
    "event_channels.deleted": pick("event_id", "name", "reason"),
    "permission.missing": pick("event_id", "problems"),
  },
  sets: {
    CRITICAL: ["permission.missing"],
    SYSTEM: ["event_channels.created", "event_channels.skipped", "event_channels.archived", "event_channels.deleted"],
    FULL: ["event_channels.retry_scheduled", "event_channels.extended"],
  },
};
