/** The bot's guild-level permissions cached in D1, so timers and crons check before calling without reading Discord each time. */

import { discordApi } from "./api";
import { forgetGuildRoles, guildRoles } from "./guild-roles";
import { basePermissions } from "./permissions";
import type { Discord } from "./rest";

/** Older than this, the cache is refreshed from Discord (2 reads) before it is trusted. */
export const PERMISSION_TTL_MS = 10 * 60_000;

/**
 * Stores guild-level permissions only: an interaction's `app_permissions` are the bot's permissions in the channel
 * where the command was typed (overwrites included) and must never be stored as the guild's.
 */
async function rememberBotPermissions(db: D1Database, guildId: string, permissions: bigint, now: number): Promise<void> {
  await db
    .prepare(
      "INSERT INTO bot_guild_permissions (guild_id, permissions, checked_at) VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET permissions = excluded.permissions, checked_at = excluded.checked_at",
    )
    .bind(guildId, permissions.toString(), now)
    .run();
}

export async function forgetBotPermissions(db: D1Database, guildId: string): Promise<void> {
  await db.prepare("DELETE FROM bot_guild_permissions WHERE guild_id = ?").bind(guildId).run();
}

/** The bot's permissions in the guild: cached when fresh, otherwise read from Discord and cached. */
export async function botGuildPermissions(
  s: { env: { DB: D1Database; DISCORD_APPLICATION_ID: string }; discord: Discord; now(): number },
  guildId: string,
  opts: { fresh?: boolean } = {},
): Promise<bigint> {
  const now = s.now();
  if (!opts.fresh) {
    const row = await s.env.DB.prepare("SELECT permissions, checked_at FROM bot_guild_permissions WHERE guild_id = ?")
      .bind(guildId)
      .first<{ permissions: string; checked_at: number }>();
    if (row && now - row.checked_at < PERMISSION_TTL_MS) return BigInt(row.permissions);
  }
  if (opts.fresh) forgetGuildRoles(guildId);
  // The guild's roles are shared with the members' permission checks of the same moment (one read for both).
  const [guild, member] = await Promise.all([guildRoles(s.discord, guildId, now), discordApi(s.discord).guilds.member(guildId, s.env.DISCORD_APPLICATION_ID)]);
  const permissions = basePermissions(guild, { userId: s.env.DISCORD_APPLICATION_ID, roleIds: member.roles });
  await rememberBotPermissions(s.env.DB, guildId, permissions, now);
  return permissions;
}
