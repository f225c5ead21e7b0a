/** The core feature: bot-wide commands, settings, the generic send-message timer kind and core events. */
import { PermissionFlagsBits } from "discord-api-types/v10";
import { auditSink, auditTimerKinds } from "../../events/sinks/audit-channel";
import { eventLogSink } from "../../events/sinks/event-log";
import { webhookSink, webhookTimerKinds } from "../../events/sinks/webhooks";
import type { Feature } from "../../feature";
import { about } from "./about";
import { botConfig, checkButton } from "./bot-config";
import { coreEvents } from "./events";
import { gatewayKeepalive } from "./gateway-keepalive";
import { guildPresence } from "./guild-presence";
import { coreRetention, retentionCron, retentionTimerKinds } from "./retention";
import { sendMessage } from "./send-message";

export const core: Feature = {
  name: "core",
  commands: [about, botConfig],
  components: [checkButton],
  timerKinds: [sendMessage, ...auditTimerKinds, ...webhookTimerKinds, ...retentionTimerKinds],
  events: coreEvents,
  // The event log first: the audit sink posts from it.
  listeners: [eventLogSink, auditSink, webhookSink],
  crons: [gatewayKeepalive, retentionCron],
  gateway: guildPresence,
  retention: coreRetention,
  botPermissions: [
    { bits: PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks, why: "post announcements and audit messages" },
  ],
};
