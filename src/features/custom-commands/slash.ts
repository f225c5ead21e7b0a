/** Custom commands as guild slash commands (`/name`), when a guild turns it on: one bulk overwrite per change. */
import {
  type APIApplicationCommand,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPutAPIApplicationGuildCommandsJSONBody,
} from "discord-api-types/v10";
import type * as z from "zod";
import { BudgetDeferred } from "../../discord/rate-gate";
import type { Fallback, TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { guildPayload } from "../../timers/payloads";
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

/** The description every custom command is registered with; it tells them apart from the bot's own guild commands. */
export const CUSTOM_DESCRIPTION = "Custom command of this server";

/** Which commands get a `/name`: never a name already taken; the most used first when there is room for fewer than all. */
export function slashPlan(
  all: readonly CustomCommand[],
  reserved: ReadonlySet<string>,
  room: number = GUILD_COMMAND_LIMIT,
): { registered: CustomCommand[]; left: CustomCommand[] } {
  const eligible = all.filter((c) => !reserved.has(c.name));
  const ranked = [...eligible].sort((a, b) => b.uses - a.uses || a.name.localeCompare(b.name));
  const registered = ranked.slice(0, Math.max(room, 0)).sort((a, b) => a.name.localeCompare(b.name));
  const chosen = new Set(registered.map((c) => c.name));
  return { registered, left: all.filter((c) => !chosen.has(c.name)) };
}

/** A guild command this feature put there (and so may replace): a chat-input command with its description, under a name the bot does not use. */
export function isCustomRegistration(c: APIApplicationCommand, botNames: ReadonlySet<string>): boolean {
  return c.type === ApplicationCommandType.ChatInput && c.description === CUSTOM_DESCRIPTION && !botNames.has(c.name);
}

/** A command read from Discord as the bulk overwrite takes it back unchanged (the server-set fields dropped). */
function asWritten(c: APIApplicationCommand): RESTPutAPIApplicationGuildCommandsJSONBody[number] | null {
  // Entry-point commands are global only; a guild list never holds one.
  if (c.type === ApplicationCommandType.PrimaryEntryPoint) return null;
  return {
    type: c.type,
    name: c.name,
    description: c.description,
    ...(c.name_localizations ? { name_localizations: c.name_localizations } : {}),
    ...(c.description_localizations ? { description_localizations: c.description_localizations } : {}),
    ...(c.options?.length ? { options: c.options } : {}),
    default_member_permissions: c.default_member_permissions,
    ...(c.contexts ? { contexts: c.contexts } : {}),
    ...(c.integration_types ? { integration_types: c.integration_types } : {}),
  };
}

/**
 * Rewrites the guild's commands as: every command that is not one of ours (the bot's own, registered per guild
 * for testing, stay first and unchanged) + the custom commands that fit in Discord's 100 (none when the setting
 * is off). A failure is stored for `/cc slash` to show, and the next change retries; a REST budget that has no
 * slot for a while is not a failure (nothing was written): its BudgetDeferred is thrown for the caller to sync later.
 */
export async function syncSlashCommands(s: Services, guildId: string): Promise<{ ok: boolean; registered: number; left: string[] }> {
  const db = s.env.DB;
  const settings = await readSlashSettings(db, guildId);
  let error: string | null = null;
  let plan: { registered: CustomCommand[]; left: CustomCommand[] } = { registered: [], left: [] };
  try {
    const current = await s.api.commands.guild(s.env.DISCORD_APPLICATION_ID, guildId);
    const kept = current.filter((c) => !isCustomRegistration(c, s.botCommandNames));
    const taken = new Set([...s.botCommandNames, ...kept.map((c) => c.name)]);
    const room = GUILD_COMMAND_LIMIT - kept.filter((c) => c.type === ApplicationCommandType.ChatInput).length;
    if (settings.register_slash) plan = slashPlan(await listCommands(db, guildId), taken, room);
    const body: RESTPutAPIApplicationGuildCommandsJSONBody = [
      ...kept.flatMap((c) => asWritten(c) ?? []),
      ...plan.registered.map((c) => ({
        type: ApplicationCommandType.ChatInput as const,
        name: c.name,
        description: CUSTOM_DESCRIPTION,
        contexts: [InteractionContextType.Guild],
        integration_types: [ApplicationIntegrationType.GuildInstall],
      })),
    ];
    await s.api.commands.overwriteGuild(s.env.DISCORD_APPLICATION_ID, guildId, body);
  } catch (e) {
    if (e instanceof BudgetDeferred) throw e;
    error = (e instanceof Error ? e.message : String(e)).slice(0, 300);
    logger.error("custom_commands.slash_sync_failed", { guild_id: guildId, error: e });
  }
  const count = plan.registered.length;
  await db
    .prepare(
      `INSERT INTO custom_command_settings (guild_id, register_slash, registered_count, registered_at, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (guild_id) DO UPDATE SET registered_count = COALESCE(excluded.registered_count, registered_count),
       registered_at = COALESCE(excluded.registered_at, registered_at), last_error = excluded.last_error, updated_at = excluded.updated_at`,
    )
    .bind(guildId, settings.register_slash, error ? null : count, error ? null : s.now(), error, s.now())
    .run();
  return { ok: error === null, registered: count, left: plan.left.map((c) => c.name) };
}

export const slashSyncTimer = (guildId: string) => `cc:${guildId}`;

/** The sync the REST budget put off: run on the guild's timer when the gate has room (it re-arms itself while full). */
export async function syncLater(s: Services, guildId: string, at: number): Promise<void> {
  await s.timer(slashSyncTimer(guildId)).schedule("slash-sync", at, "custom_commands.slash_sync", { guild_id: guildId });
}

/**
 * A sync on the guild's timer may be under way with the settings and commands it read before this change, its PUT
 * still to land: it is planned again, so the last write is one that read after the change (the guild's commands have
 * two writers, this and the timer). One not yet begun just runs now. Nothing planned, nothing to do.
 */
async function resyncPlanned(s: Services, guildId: string): Promise<void> {
  const timer = s.timer(slashSyncTimer(guildId));
  if ((await timer.list()).some((i) => i.key === "slash-sync" && i.status === "pending")) await syncLater(s, guildId, s.now());
}

/**
 * Syncs now, or, when the REST budget has no slot for a while, on the guild's timer once it has: the change is
 * never dropped. `deferred` is when the later sync is planned.
 */
export async function syncOrDefer(s: Services, guildId: string): Promise<Awaited<ReturnType<typeof syncSlashCommands>> & { deferred?: number }> {
  try {
    const done = await syncSlashCommands(s, guildId);
    await resyncPlanned(s, guildId);
    return done;
  } catch (error) {
    if (!(error instanceof BudgetDeferred)) throw error;
    // A deferral "late" for a caller's deadline still leaves the guild's commands to sync: soon, not never.
    const at = Math.max(error.retryAt, s.now());
    await syncLater(s, guildId, at);
    logger.info("custom_commands.slash_sync_deferred", { guild_id: guildId, retry_at: at });
    return { ok: true, registered: 0, left: [], deferred: at };
  }
}

/** After a create or delete: re-register only where the guild asked for slash commands. */
export async function afterChange(s: Services, guildId: string): Promise<string> {
  if (!(await readSlashSettings(s.env.DB, guildId)).register_slash) return "";
  const r = await syncOrDefer(s, guildId);
  if (r.deferred) return " (Discord is busy: the server's slash commands are updated in a moment.)";
  return r.ok ? "" : " (Updating the server's slash commands failed; `/cc slash` retries.)";
}

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "custom_commands.slash_sync": z.infer<typeof guildPayload>;
  }
}

/** A deferred sync: reads the settings and commands as they are then; a BudgetDeferred re-arms it (the timer's rule). */
export const slashSyncKind: TimerAction<"custom_commands.slash_sync"> = {
  kind: "custom_commands.slash_sync",
  payload: guildPayload,
  lane: "background",
  async run(item, { services: s }) {
    await syncSlashCommands(s, item.payload.guild_id);
  },
};

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
