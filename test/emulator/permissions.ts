/** Discord's permission rules as the emulator enforces them (kept separate from the bot's own helper on purpose). */

export const P = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
  ManageGuild: 1n << 5n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  MentionEveryone: 1n << 17n,
  Connect: 1n << 20n,
  Speak: 1n << 21n,
  MoveMembers: 1n << 24n,
  ManageRoles: 1n << 28n,
  ManageEvents: 1n << 33n,
  CreateEvents: 1n << 44n,
} as const;

const ALL = (1n << 53n) - 1n;

export interface PermRole {
  id: string;
  permissions: string;
  position: number;
}
export interface PermOverwrite {
  id: string;
  type: 0 | 1;
  allow: string;
  deny: string;
}

export function guildPerms(guildId: string, ownerId: string, roles: PermRole[], userId: string, roleIds: string[]): bigint {
  if (userId === ownerId) return ALL;
  let perms = 0n;
  for (const r of roles) if (r.id === guildId || roleIds.includes(r.id)) perms |= BigInt(r.permissions);
  return perms & P.Administrator ? ALL : perms;
}

export function channelPerms(base: bigint, guildId: string, userId: string, roleIds: string[], overwrites: PermOverwrite[]): bigint {
  if (base & P.Administrator || base === ALL) return ALL;
  let perms = base;
  const everyone = overwrites.find((o) => o.id === guildId);
  if (everyone) perms = (perms & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 0 && o.id !== guildId && roleIds.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const own = overwrites.find((o) => o.type === 1 && o.id === userId);
  if (own) perms = (perms & ~BigInt(own.deny)) | BigInt(own.allow);
  return perms;
}
