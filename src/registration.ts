/** Registers the bot's slash commands with Discord: one bulk overwrite, global or for one guild. */
import { type RESTPutAPIApplicationCommandsResult, Routes } from "discord-api-types/v10";
import type { Discord } from "./discord/rest";
import type { Command } from "./feature";
import { registrationPayload } from "./registry";

export async function registerCommands(
  discord: Discord,
  applicationId: string,
  commands: Iterable<Command>,
  guildId?: string,
): Promise<RESTPutAPIApplicationCommandsResult> {
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  return discord.put<RESTPutAPIApplicationCommandsResult>(route, { body: registrationPayload(commands) });
}
