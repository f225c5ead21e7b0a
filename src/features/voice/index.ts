/** Temporary voice channels (seed 004): made on request, removed on their own timer once empty. */
import { PermissionFlagsBits } from "discord-api-types/v10";
import type { Feature } from "../../feature";
import { voiceChannel, voiceConfig } from "./commands";
import { voiceEvents } from "./events";
import { gatewayHandlers } from "./gateway";
import { timerKinds } from "./lifecycle";
import { voiceRetention } from "./retention";

export const voiceFeature: Feature = {
  name: "voice",
  commands: [voiceChannel, voiceConfig],
  timerKinds,
  events: voiceEvents,
  gateway: gatewayHandlers,
  retention: voiceRetention,
  botPermissions: [{ bits: PermissionFlagsBits.ManageChannels | PermissionFlagsBits.Connect, why: "create and remove temporary voice channels" }],
};
