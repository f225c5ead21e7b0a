/** Registers the bot's slash commands with Discord: one bulk overwrite, global or for one guild. */

import type { RESTPutAPIApplicationCommandsResult } from "discord-api-types/v10";
import { discordApi } from "./discord/api";
import type { Discord } from "./discord/rest";
import type { Command } from "./feature";
import { registrationPayload } from "./registry";

export async function registerCommands(
  discord: Discord,
  applicationId: string,
  commands: Iterable<Command>,
  guildId?: string,
): Promise<RESTPutAPIApplicationCommandsResult> {
  const api = discordApi(discord).commands;
  const body = registrationPayload(commands);
  return guildId ? api.overwriteGuild(applicationId, guildId, body) : api.overwriteGlobal(applicationId, body);
}
