/** Lookups that throw Discord's errors, and the permission checks Discord applies to the bot. */
import { ApiError, errors } from "./http.ts";
import { channelPerms, guildPerms, P } from "./permissions.ts";
import type { Channel, Guild, World } from "./state.ts";

export function guildOf(world: World, id: string | undefined): Guild {
  const g = id ? world.guilds.get(id) : undefined;
  if (!g) throw errors.unknown("Guild");
  return g;
}

export function channelOf(world: World, id: string | undefined): Channel {
  const c = id ? world.channels.get(id) : undefined;
  if (!c) throw errors.unknown("Channel");
  return c;
}

export function memberPerms(guild: Guild, userId: string): bigint {
  const m = guild.members.get(userId);
  if (!m) return 0n;
  return guildPerms(guild.id, guild.owner_id, guild.roles, userId, m.roles);
}

export function memberChannelPerms(world: World, guild: Guild, userId: string, channel: Channel): bigint {
  const m = guild.members.get(userId);
  if (!m) return 0n;
  const parent = channel.parent_id ? world.channels.get(channel.parent_id) : undefined;
  // Channels without own overwrites behave as synced with their category for this emulator's purposes.
  const overwrites = channel.permission_overwrites?.length ? channel.permission_overwrites : (parent?.permission_overwrites ?? []);
  return channelPerms(memberPerms(guild, userId), guild.id, userId, m.roles, overwrites);
}

export function requireGuildPerm(guild: Guild, userId: string, bits: bigint): void {
  const have = memberPerms(guild, userId);
  if ((have & bits) !== bits) throw errors.missingPermissions();
}

export function requireChannelPerm(world: World, guild: Guild, userId: string, channel: Channel, bits: bigint): void {
  const have = memberChannelPerms(world, guild, userId, channel);
  if ((have & P.ViewChannel) !== P.ViewChannel) throw errors.missingAccess();
  if ((have & bits) !== bits) throw errors.missingPermissions();
}

export function topRolePosition(guild: Guild, userId: string): number {
  if (userId === guild.owner_id) return Number.MAX_SAFE_INTEGER;
  const m = guild.members.get(userId);
  return guild.roles.filter((r) => m?.roles.includes(r.id)).reduce((top, r) => Math.max(top, r.position), 0);
}

/** Discord refuses to touch a role at or above the actor's highest role. */
export function requireAboveRole(guild: Guild, userId: string, roleId: string): void {
  const role = guild.roles.find((r) => r.id === roleId);
  if (!role) throw errors.unknown("Role");
  if (role.position >= topRolePosition(guild, userId) || role.managed) throw errors.missingPermissions();
}

export function assertBody<T>(body: unknown): T {
  if (typeof body !== "object" || body === null) throw new ApiError(400, 50109, "The request body contains invalid JSON.");
  return body as T;
}
