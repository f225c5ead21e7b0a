/** Reads the bot's own standing in a guild (roles, permissions) from Discord and reports what it lacks. */

import type { APIChannel, APIGuild, APIGuildMember, APIOverwrite } from "discord-api-types/v10";
import { discordApi } from "./api";
import { basePermissions, channelPermissions, missingPermissions, permissionNames } from "./permissions";
import type { Discord } from "./rest";

/** A permission some feature needs, with the reason shown to admins. */
export interface BotRequirement {
  feature: string;
  bits: bigint;
  why: string;
}

export interface BotStanding {
  permissions: bigint;
  topRolePosition: number;
  guild: APIGuild;
  member: APIGuildMember;
}

export async function botStanding(discord: Discord, guildId: string, botUserId: string): Promise<BotStanding> {
  const [guild, member] = await Promise.all([discordApi(discord).guilds.get(guildId), discordApi(discord).guilds.member(guildId, botUserId)]);
  const roles = guild.roles.filter((r) => member.roles.includes(r.id));
  return {
    guild,
    member,
    permissions: basePermissions({ id: guild.id, ownerId: guild.owner_id, roles: guild.roles }, { userId: botUserId, roleIds: member.roles }),
    topRolePosition: roles.reduce((top, r) => Math.max(top, r.position), 0),
  };
}

export interface RequirementReport {
  requirement: BotRequirement;
  missing: string[];
}

export function checkRequirements(have: bigint, requirements: readonly BotRequirement[]): RequirementReport[] {
  return requirements.map((requirement) => ({ requirement, missing: missingPermissions(have, requirement.bits) }));
}

/** The bot's permissions in one channel (base + overwrites). */
export function botChannelPermissions(
  standing: BotStanding,
  botUserId: string,
  channel: Pick<APIChannel, "id"> & { permission_overwrites?: APIOverwrite[] },
): bigint {
  return channelPermissions(
    { id: standing.guild.id, ownerId: standing.guild.owner_id, roles: standing.guild.roles },
    { userId: botUserId, roleIds: standing.member.roles },
    channel.permission_overwrites ?? [],
  );
}

export { permissionNames };
