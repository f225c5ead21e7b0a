/** Pure planning for event channels: names, voice layout, minimum attendance, the timeline, permission overwrites. */
import { ChannelType, OverwriteType, PermissionFlagsBits } from "discord-api-types/v10";
import { formatInZone } from "../../util/zoned-time";
import type { Settings } from "./settings";

export const WARNING_BEFORE_DELETE_MS = 15 * 60_000;
export const EXTENSION_MS = 4 * 60 * 60_000;
const MAX_NAME = 100;

/** Fills `{key}` placeholders; unknown ones are left as typed (settings validation rejects them upfront). */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{([a-z_0-9]+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/** The role name from role_format, with dates in the guild's timezone, cut to Discord's 100 characters. */
export function roleName(settings: Settings, eventName: string, startAt: number): string {
  const part = (opts: Intl.DateTimeFormatOptions) => formatInZone(startAt, settings.timezone, opts);
  const time12 = part({ hour: "numeric", minute: "2-digit", hour12: true });
  const [clock = "", ampm = ""] = time12.split(" ");
  const values = {
    name: eventName,
    day_abbrev: part({ weekday: "short" }),
    day: part({ day: "numeric" }),
    month_abbrev: part({ month: "short" }),
    time: part({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
    time_12: time12,
    time_12_short: clock.endsWith(":00") ? `${clock.slice(0, -3)}${ampm.toLowerCase()}` : `${clock}${ampm.toLowerCase()}`,
    ampm,
  };
  return clip(fill(settings.role_format, values).trim() || eventName);
}

/** The cog's base name: lowercased, spaces replaced, cut at the limit character or to the numeric limit. */
export function baseName(settings: Settings, eventName: string): string {
  let base = eventName.toLowerCase().replaceAll(" ", settings.space_replacer);
  const at = settings.channel_name_limit_char ? base.indexOf(settings.channel_name_limit_char) : -1;
  if (at !== -1) base = base.slice(0, at);
  else if ([...base].length > settings.channel_name_limit) base = [...base].slice(0, settings.channel_name_limit).join("");
  return base;
}

function clip(name: string): string {
  const chars = [...name];
  return chars.length > MAX_NAME ? chars.slice(0, MAX_NAME).join("") : name;
}

export interface VoicePlan {
  keyword: string | null;
  count: number;
  /** 0 = no limit. */
  userLimit: number;
  minimum: number | null;
}

/** The first configured keyword in the lowercased event name decides the voice layout and the minimum. */
export function voicePlan(settings: Settings, eventName: string, interested: number): VoicePlan {
  const lower = eventName.toLowerCase();
  const multiplierKey = Object.keys(settings.voice_multipliers).find((k) => lower.includes(k.toLowerCase())) ?? null;
  const keyword = multiplierKey ?? Object.keys(settings.voice_minimum_roles).find((k) => lower.includes(k.toLowerCase())) ?? null;
  const minimum = keyword ? (settings.voice_minimum_roles[keyword] ?? null) : null;
  const multiplier = multiplierKey ? (settings.voice_multipliers[multiplierKey] as number) : null;
  if (!multiplier) return { keyword, count: 1, userLimit: 0, minimum };
  return { keyword, count: Math.max(1, Math.floor(interested / multiplier)), userLimit: multiplier + 1, minimum };
}

export interface ChannelNames {
  text: string;
  voice: string[];
}

export function channelNames(settings: Settings, eventName: string, voiceCount: number): ChannelNames {
  const base = baseName(settings, eventName);
  const voice = fill(settings.channel_format, { name: base, type: "voice" });
  return {
    text: clip(fill(settings.channel_format, { name: base, type: "text" })),
    voice: Array.from({ length: voiceCount }, (_, i) => clip(voiceCount > 1 ? `${voice} ${i + 1}` : voice)),
  };
}

/** When the channels are created: start − creation_minutes, or now if that has passed. */
export function creationTime(settings: Settings, startAt: number, now: number): number {
  return Math.max(now, startAt - settings.creation_minutes * 60_000);
}

/** Deletion at (end or start) + deletion_hours; the warning 15 minutes before (not before creation). */
export function deletionTime(settings: Settings, startAt: number, endAt: number | null): number {
  return (endAt ?? startAt) + settings.deletion_hours * 3_600_000;
}

/**
 * When the start message goes out, or null for none: at the start; at once for channels made late (`late`: right
 * after creation) while the event has not ended (its end, or the deletion for an event without one).
 */
export function startMessageAt(startAt: number, endAt: number | null, deleteAt: number, now: number, late: boolean): number | null {
  if (startAt > now) return startAt;
  return late && now < (endAt ?? deleteAt) ? now : null;
}

/** The next minimum-attendance retry: the first of start − interval that is still in the future, after `after`. */
export function nextRetry(settings: Settings, startAt: number, now: number): number | null {
  const times = settings.minimum_retry_intervals.map((m) => startAt - m * 60_000).sort((a, b) => a - b);
  return times.find((t) => t > now) ?? null;
}

const EVENT_ALLOW = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.Connect | PermissionFlagsBits.Speak;
const BOT_ALLOW =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.Connect |
  PermissionFlagsBits.ManageChannels;

export interface Overwrite {
  id: string;
  type: OverwriteType;
  allow: string;
  deny: string;
}

/** @everyone denied view; the event role and whitelisted roles may view, talk and join; the bot may manage. */
export function eventOverwrites(guildId: string, roleId: string, botId: string, whitelisted: readonly string[]): Overwrite[] {
  const allowRole = (id: string): Overwrite => ({ id, type: OverwriteType.Role, allow: EVENT_ALLOW.toString(), deny: "0" });
  return [
    { id: guildId, type: OverwriteType.Role, allow: "0", deny: PermissionFlagsBits.ViewChannel.toString() },
    allowRole(roleId),
    ...whitelisted.filter((id) => id !== roleId && id !== guildId).map(allowRole),
    { id: botId, type: OverwriteType.Member, allow: BOT_ALLOW.toString(), deny: "0" },
  ];
}

/** The divider: hidden from @everyone, readable (not writable) by active event roles and whitelisted roles. */
export function dividerOverwrites(guildId: string, botId: string, roleIds: readonly string[], whitelisted: readonly string[]): Overwrite[] {
  const view = PermissionFlagsBits.ViewChannel.toString();
  const quiet = (PermissionFlagsBits.SendMessages | PermissionFlagsBits.AddReactions).toString();
  const ids = [...new Set([...roleIds, ...whitelisted])].filter((id) => id !== guildId);
  return [
    {
      id: guildId,
      type: OverwriteType.Role,
      allow: "0",
      deny: (PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.AddReactions).toString(),
    },
    ...ids.map((id) => ({ id, type: OverwriteType.Role, allow: view, deny: quiet })),
    { id: botId, type: OverwriteType.Member, allow: (PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ManageChannels).toString(), deny: "0" },
  ];
}

/** Read-only for the role once archived: it can still read the history. */
export function archivedOverwrites(guildId: string, roleId: string | null, botId: string): Overwrite[] {
  return [
    { id: guildId, type: OverwriteType.Role, allow: "0", deny: PermissionFlagsBits.ViewChannel.toString() },
    ...(roleId
      ? [{ id: roleId, type: OverwriteType.Role, allow: PermissionFlagsBits.ViewChannel.toString(), deny: PermissionFlagsBits.SendMessages.toString() }]
      : []),
    { id: botId, type: OverwriteType.Member, allow: BOT_ALLOW.toString(), deny: "0" },
  ];
}

export const TEXT = ChannelType.GuildText;
export const VOICE = ChannelType.GuildVoice;
