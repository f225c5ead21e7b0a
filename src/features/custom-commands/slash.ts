/** Custom commands as guild slash commands (`/name`), when a guild turns it on: one bulk overwrite per change. */
import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPutAPIApplicationGuildCommandsJSONBody,
  Routes,
} from "discord-api-types/v10";
import type { Fallback } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { type CustomCommand, getCommand, listCommands, recordUse } from "./storage";

/** Discord's cap on a guild's chat-input commands. */
export const GUILD_COMMAND_LIMIT = 100;

export interface SlashSettings {
  register_slash: number;
  registered_count: number | null;
  registered_at: number | null;
  last_error: string | null;
}

export async function readSlashSettings(db: D1Database, guildId: string): Promise<SlashSettings> {
  const r = await db
    .prepare("SELECT register_slash, registered_count, registered_at, last_error FROM custom_command_settings WHERE guild_id = ?")
    .bind(guildId)
    .first<SlashSettings>();
  return r ?? { register_slash: 0, registered_count: null, registered_at: null, last_error: null };
}

export async function setSlash(db: D1Database, guildId: string, on: boolean, now: number): Promise<void> {
  await db
    .prepare(
      "INSERT INTO custom_command_settings (guild_id, register_slash, updated_at) VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET register_slash = excluded.register_slash, updated_at = excluded.updated_at",
    )
    .bind(guildId, on ? 1 : 0, now)
    .run();
}

/** Which commands get a `/name`: never one of the bot's own names; the most used first when over 100. */
export function slashPlan(all: readonly CustomCommand[], reserved: ReadonlySet<string>): { registered: CustomCommand[]; left: CustomCommand[] } {
  const eligible = all.filter((c) => !reserved.has(c.name));
  const ranked = [...eligible].sort((a, b) => b.uses - a.uses || a.name.localeCompare(b.name));
  const registered = ranked.slice(0, GUILD_COMMAND_LIMIT).sort((a, b) => a.name.localeCompare(b.name));
  const chosen = new Set(registered.map((c) => c.name));
  return { registered, left: all.filter((c) => !chosen.has(c.name)) };
}

/**
 * Overwrites the guild's commands with its custom commands (or with none when the setting is off).
 * Never throws: a failure is stored for `/cc slash` to show, and the next change retries.
 */
export async function syncSlashCommands(s: Services, guildId: string): Promise<{ ok: boolean; registered: number; left: string[] }> {
  const db = s.env.DB;
  const settings = await readSlashSettings(db, guildId);
  const plan = settings.register_slash ? slashPlan(await listCommands(db, guildId), s.botCommandNames) : { registered: [], left: [] };
  const body: RESTPutAPIApplicationGuildCommandsJSONBody = plan.registered.map((c) => ({
    type: ApplicationCommandType.ChatInput,
    name: c.name,
    description: "Custom command of this server",
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  }));
  let error: string | null = null;
  try {
    await s.discord.put(Routes.applicationGuildCommands(s.env.DISCORD_APPLICATION_ID, guildId), { body });
  } catch (e) {
    error = (e instanceof Error ? e.message : String(e)).slice(0, 300);
    logger.error("custom_commands.slash_sync_failed", { guild_id: guildId, error: e });
  }
  await db
    .prepare(
      `INSERT INTO custom_command_settings (guild_id, register_slash, registered_count, registered_at, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (guild_id) DO UPDATE SET registered_count = COALESCE(excluded.registered_count, registered_count),
       registered_at = COALESCE(excluded.registered_at, registered_at), last_error = excluded.last_error, updated_at = excluded.updated_at`,
    )
    .bind(guildId, settings.register_slash, error ? null : body.length, error ? null : s.now(), error, s.now())
    .run();
  return { ok: error === null, registered: body.length, left: plan.left.map((c) => c.name) };
}

/** After a create or delete: re-register only where the guild asked for slash commands. */
export async function afterChange(s: Services, guildId: string): Promise<string> {
  if (!(await readSlashSettings(s.env.DB, guildId)).register_slash) return "";
  const r = await syncSlashCommands(s, guildId);
  return r.ok ? "" : " (Updating the server's slash commands failed; `/cc slash` retries.)";
}

/** `/name` for a registered custom command answers as `/cc run name:` does. */
export const runAsSlash: Fallback = async (ctx, name) => {
  if (!ctx.guildId) return null;
  const db = ctx.services.env.DB;
  // Only while the guild has it on: a stale registration must not keep a switched-off feature alive.
  const [c, settings] = await Promise.all([getCommand(db, ctx.guildId, name), readSlashSettings(db, ctx.guildId)]);
  if (!c || !settings.register_slash) return null;
  await recordUse(ctx.services.env.DB, ctx.guildId, name, ctx.services.now());
  return { type: 4, data: { content: c.response, allowed_mentions: { parse: [] } } };
};
