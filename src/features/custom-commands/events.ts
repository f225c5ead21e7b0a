/** Custom command events on the bus. */
import { type EventDefinitions, pickFields } from "../../events/catalog";

export const customCommandEvents: EventDefinitions = {
  serializers: {
    "custom_command.warned": pickFields("name", "idle_days", "dm"),
    "custom_command.deleted": pickFields("name", "reason", "uses"),
    "cleanup.completed": pickFields("job", "warned", "deleted", "dm_failed", "remaining"),
  },
  sets: { SYSTEM: ["cleanup.completed"], FULL: ["custom_command.warned", "custom_command.deleted"] },
};
