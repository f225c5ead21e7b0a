/** Event channels (seed 000): a role, a text channel and voice channels per scheduled event, on the event's timer. */
import { PermissionFlagsBits } from "discord-api-types/v10";
import type { Feature } from "../../feature";
import { cleanupKinds } from "./cleanup";
import { eventChannels, extend } from "./commands";
import { dividerKind } from "./divider";
import { eventChannelEvents } from "./events";
import { eventChannelsConsumer, gatewayHandlers } from "./gateway";
import { grantKinds } from "./grants";
import { liveKinds } from "./live-steps";
import { reconcileEvents } from "./reconcile";
import { eventChannelsRetention } from "./retention";
import { creationKinds } from "./timeline";

export const eventChannelsFeature: Feature = {
  name: "event-channels",
  commands: [eventChannels],
  components: [extend],
  timerKinds: [...creationKinds, ...grantKinds, ...liveKinds, ...cleanupKinds, dividerKind],
  events: eventChannelEvents,
  gateway: gatewayHandlers,
  crons: [reconcileEvents],
  retention: eventChannelsRetention,
  scheduledEvents: [eventChannelsConsumer],
  botPermissions: [
    {
      bits: PermissionFlagsBits.ManageChannels | PermissionFlagsBits.ManageRoles | PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages,
      why: "create, archive and delete event channels and roles",
    },
  ],
};
