/** DM reminders (seed 002): subscriptions by event type, single-event and Interested reminders, paced exactly-once DMs. */
import type { Feature } from "../../feature";
import { reminders } from "./admin";
import { cancelButton, offsetsSelect, optOutButton, remind, remindButton, saveButton, subscribe, typesSelect, unsubscribe } from "./commands";
import { timerKinds } from "./delivery";
import { reminderEvents } from "./events";
import { gatewayHandlers } from "./gateway";
import { listButtons } from "./lists";
import { remindersRetention } from "./retention";
import { remindersConsumer } from "./schedule";

export const remindersFeature: Feature = {
  name: "reminders",
  commands: [subscribe, unsubscribe, remind, reminders],
  components: [typesSelect, offsetsSelect, optOutButton, saveButton, cancelButton, remindButton, ...listButtons],
  timerKinds,
  events: reminderEvents,
  gateway: gatewayHandlers,
  retention: remindersRetention,
  scheduledEvents: [remindersConsumer],
};
