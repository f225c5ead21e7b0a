/** The core feature: bot-wide commands, settings, the generic send-message timer kind and core events. */
import { PermissionFlagsBits } from "discord-api-types/v10";
import { auditSink, auditTimerKinds } from "../../events/sinks/audit-channel";
import { eventLogSink, trimEventLog } from "../../events/sinks/event-log";
import { webhookSink, webhookTimerKinds } from "../../events/sinks/webhooks";
import type { Feature } from "../../feature";
import { about } from "./about";
import { botConfig, checkButton } from "./bot-config";
import { coreEvents } from "./events";
import { gatewayKeepalive } from "./gateway-keepalive";
import { guildPresence } from "./guild-presence";
import { sendMessage } from "./send-message";

export const core: Feature = {
  name: "core",
  commands: [about, botConfig],
  components: [checkButton],
  timerKinds: [sendMessage, ...auditTimerKinds, ...webhookTimerKinds],
  events: coreEvents,
  // The event log first: the audit sink posts from it.
  listeners: [eventLogSink, auditSink, webhookSink],
  crons: [gatewayKeepalive, trimEventLog],
  gateway: guildPresence,
  botPermissions: [
    { bits: PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks, why: "post announcements and audit messages" },
  ],
};
