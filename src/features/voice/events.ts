/** Temporary voice channel events on the bus. */
import { type EventDefinitions, pickFields } from "../../events/catalog";

export const voiceEvents: EventDefinitions = {
  serializers: {
    "voice.channel_created": pickFields("channel_id", "name", "kind"),
    "voice.channel_deleted": pickFields("channel_id", "name", "kind", "lived_ms"),
  },
  sets: { FULL: ["voice.channel_created", "voice.channel_deleted"] },
};
