/** The guild's roles and owner, read from Discord and kept briefly per isolate, for guild-level permission checks. */

import { PermissionFlagsBits } from "discord-api-types/v10";
import { discordApi } from "./api";
import { basePermissions } from "./permissions";
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
  const guild = await discordApi(discord).guilds.get(guildId);
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

export interface MemberRef {
  userId: string;
  roleIds: readonly string[];
  /** ISO time until which the member is timed out (they then hold nothing but View Channel and Read History). */
  timedOutUntil?: string | null;
}

/**
 * A member's guild-level permissions: from their roles and the guild's roles (owner and Administrator included),
 * never from the channel-scoped value an interaction carries: a channel overwrite may allow any bit there,
 * Administrator and Manage Server included, so that value proves nothing about the guild.
 */
export async function memberGuildPermissions(discord: Discord, guildId: string, member: MemberRef, now: number): Promise<bigint> {
  const guild = await guildRoles(discord, guildId, now);
  const perms = basePermissions(guild, { userId: member.userId, roleIds: member.roleIds });
  const admin = (perms & PermissionFlagsBits.Administrator) === PermissionFlagsBits.Administrator;
  if (member.timedOutUntil && Date.parse(member.timedOutUntil) > now && guild.ownerId !== member.userId && !admin)
    return perms & (PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory);
  return perms;
}
