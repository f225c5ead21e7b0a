/** Tournaments (seed 001): teams, matches, and each match mirrored as a Discord scheduled event with an hourly sync. */
import { PermissionFlagsBits } from "discord-api-types/v10";
import type { Feature } from "../../feature";
import { mirrorListener, tournamentEvents } from "./events";
import { tournamentsConsumer } from "./gateway";
import { listButtons } from "./lists";
import { matchCommand } from "./match-command";
import { mirrorKind } from "./mirror";
import { profileCommand } from "./profile-command";
import { tournamentsRetention } from "./retention";
import { matchEventSync, syncKind } from "./sync";
import { teamCommand } from "./team-command";
import { syncButton, tournamentCommand } from "./tournament-command";

export const tournamentsFeature: Feature = {
  name: "tournaments",
  commands: [tournamentCommand, teamCommand, matchCommand, profileCommand],
  components: [syncButton, ...listButtons],
  events: tournamentEvents,
  listeners: [mirrorListener],
  crons: [matchEventSync],
  retention: tournamentsRetention,
  timerKinds: [syncKind, mirrorKind],
  scheduledEvents: [tournamentsConsumer],
  botPermissions: [{ bits: PermissionFlagsBits.CreateEvents, why: "put tournament matches in the Events tab" }],
};
