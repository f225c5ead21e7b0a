/** Discord permission arithmetic (BigInt bits, base + channel overwrites), so the bot checks before it calls. */
import { type APIOverwrite, type APIRole, OverwriteType, PermissionFlagsBits } from "discord-api-types/v10";

export const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((a, b) => a | b, 0n);

export interface MemberLike {
  userId: string;
  roleIds: readonly string[];
}

export interface GuildLike {
  id: string;
  ownerId: string;
  roles: readonly Pick<APIRole, "id" | "permissions">[];
}

/** Guild-level permissions of a member: owner and Administrator get everything. */
export function basePermissions(guild: GuildLike, member: MemberLike): bigint {
  if (guild.ownerId === member.userId) return ALL_PERMISSIONS;
  const everyone = guild.roles.find((r) => r.id === guild.id);
  let perms = everyone ? BigInt(everyone.permissions) : 0n;
  for (const role of guild.roles) {
    if (member.roleIds.includes(role.id)) perms |= BigInt(role.permissions);
  }
  if ((perms & PermissionFlagsBits.Administrator) === PermissionFlagsBits.Administrator) return ALL_PERMISSIONS;
  return perms;
}

/** Applies a channel's overwrites in Discord's order: @everyone, then roles together, then the member. */
export function channelPermissions(guild: GuildLike, member: MemberLike, overwrites: readonly Pick<APIOverwrite, "id" | "type" | "allow" | "deny">[]): bigint {
  const base = basePermissions(guild, member);
  if ((base & PermissionFlagsBits.Administrator) === PermissionFlagsBits.Administrator) return ALL_PERMISSIONS;
  let perms = base;
  const everyone = overwrites.find((o) => o.id === guild.id);
  if (everyone) perms = (perms & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === OverwriteType.Role && o.id !== guild.id && member.roleIds.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const own = overwrites.find((o) => o.type === OverwriteType.Member && o.id === member.userId);
  if (own) perms = (perms & ~BigInt(own.deny)) | BigInt(own.allow);
  return perms;
}

export function hasAll(have: bigint, required: bigint): boolean {
  if ((have & PermissionFlagsBits.Administrator) === PermissionFlagsBits.Administrator) return true;
  return (have & required) === required;
}

/** Human names of the bits in `required` that `have` lacks, e.g. ["Manage Channels"]. */
export function missingPermissions(have: bigint, required: bigint): string[] {
  if (hasAll(have, required)) return [];
  return permissionNames(required & ~have);
}

/** Where Discord's settings screens use another name than the API flag, admins should read the screen's. */
const UI_NAMES: Partial<Record<keyof typeof PermissionFlagsBits, string>> = {
  ManageGuild: "Manage Server",
  ViewChannel: "View Channels",
  CreateInstantInvite: "Create Invite",
  ModerateMembers: "Timeout Members",
  ManageGuildExpressions: "Manage Expressions",
  UseVAD: "Use Voice Activity",
};

export function permissionNames(bits: bigint): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(PermissionFlagsBits) as [keyof typeof PermissionFlagsBits, bigint][]) {
    if ((bits & bit) === bit && bit !== 0n && !(name === "ManageEmojisAndStickers" && names.includes("Manage Expressions"))) {
      names.push(UI_NAMES[name] ?? name.replace(/([a-z])([A-Z])/g, "$1 $2"));
    }
  }
  return [...new Set(names)];
}

/** The highest position among a member's roles; a bot can only manage roles strictly below it. */
export function highestRolePosition(roles: readonly Pick<APIRole, "id" | "position">[], roleIds: readonly string[]): number {
  let top = 0;
  for (const r of roles) if (roleIds.includes(r.id) && r.position > top) top = r.position;
  return top;
}
