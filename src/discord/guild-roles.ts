/** The guild's roles and owner, read from Discord and kept briefly per isolate, for guild-level permission checks. */
import { type APIGuild, PermissionFlagsBits, Routes } from "discord-api-types/v10";
import { ALL_PERMISSIONS, basePermissions } from "./permissions";
import type { Discord } from "./rest";

export interface GuildRoles {
  id: string;
  ownerId: string;
  roles: { id: string; permissions: string; position: number }[];
}

/** Short on purpose: a role taken away must stop working within this time. */
export const GUILD_ROLES_TTL_MS = 30_000;
const MAX_CACHED_GUILDS = 500;
const cache = new Map<string, { at: number; value: GuildRoles }>();

export async function guildRoles(discord: Discord, guildId: string, now: number): Promise<GuildRoles> {
  const hit = cache.get(guildId);
  if (hit && now - hit.at < GUILD_ROLES_TTL_MS) return hit.value;
  const guild = await discord.get<APIGuild>(Routes.guild(guildId));
  const value: GuildRoles = {
    id: guild.id,
    ownerId: guild.owner_id,
    roles: guild.roles.map((r) => ({ id: r.id, permissions: r.permissions, position: r.position })),
  };
  cache.delete(guildId);
  cache.set(guildId, { at: now, value });
  // Oldest first in a Map's order: drop the least recently fetched once the bound is passed.
  while (cache.size > MAX_CACHED_GUILDS) cache.delete(cache.keys().next().value as string);
  return value;
}

/** Forgets a guild's roles (after the bot changed them, and in tests). */
export function forgetGuildRoles(guildId?: string): void {
  if (guildId) cache.delete(guildId);
  else cache.clear();
}

/**
 * Bits Discord never lets a channel overwrite grant or deny (empty channel-type column in the permissions table):
 * for these the channel-scoped value an interaction carries is already the guild-level one.
 */
export const GUILD_ONLY_BITS = PermissionFlagsBits.Administrator | PermissionFlagsBits.ManageGuild;

export interface MemberRef {
  userId: string;
  roleIds: readonly string[];
  /** The interaction's channel-scoped permissions, used only for the guild-only bits. */
  channelPermissions: bigint;
  /** ISO time until which the member is timed out (they then hold nothing but View Channel and Read History). */
  timedOutUntil?: string | null;
}

/**
 * A member's guild-level permissions for `required`: from their roles and the guild's roles (owner and
 * Administrator included), never from one channel's overwrites. Reads Discord only when a channel-overridable
 * bit is asked for.
 */
export async function memberGuildPermissions(discord: Discord, guildId: string, member: MemberRef, required: bigint, now: number): Promise<bigint> {
  const admin = PermissionFlagsBits.Administrator;
  if ((member.channelPermissions & admin) === admin) return ALL_PERMISSIONS;
  if (member.timedOutUntil && Date.parse(member.timedOutUntil) > now) return member.channelPermissions & GUILD_ONLY_BITS;
  if ((required & ~GUILD_ONLY_BITS) === 0n) return member.channelPermissions & GUILD_ONLY_BITS;
  const guild = await guildRoles(discord, guildId, now);
  return basePermissions(guild, { userId: member.userId, roleIds: member.roleIds });
}
