/** Reminder offsets: "24h", "15m", "now" ⇄ seconds before the start, and the DM a member receives. */
import { channelMention, TimestampStyles, time } from "@discordjs/formatters";
import type { APIEmbed } from "discord-api-types/v10";
import { formatDurationCompact, parseDuration } from "../../util/duration";

/** The earliest reminder: 30 days before the start. */
export const MAX_OFFSET_S = 30 * 86_400;

/** "24h", "1h30m", "15m", "2d", "90 min", "now" or "0m" → seconds; "unreadable" for anything else ("tomorrow-ish"), "too_far" past 30 days. */
export function parseOffset(text: string): number | "unreadable" | "too_far" {
  const t = text.trim().toLowerCase();
  if (t === "now" || t === "0") return 0;
  const ms = parseDuration(t);
  if (ms === null) return "unreadable";
  return ms / 1000 <= MAX_OFFSET_S ? ms / 1000 : "too_far";
}

/** A list of offsets, or the first entry that is wrong and what is wrong with it. */
export function parseOffsetList(text: string): { ok: true; offsets: number[] } | { ok: false; bad: string; reason: string } {
  const out: number[] = [];
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const s = parseOffset(part);
    const shown = `\`${part.slice(0, 30).replace(/`/g, "'")}\``;
    if (s === "unreadable") return { ok: false, bad: part, reason: `${shown} is not a time like \`24h\`, \`90m\`, \`1h30m\` or \`now\`.` };
    if (s === "too_far") return { ok: false, bad: part, reason: `${shown} is more than 30 days before the start; the earliest reminder is \`30d\`.` };
    out.push(s);
  }
  return { ok: true, offsets: [...new Set(out)].sort((a, b) => b - a) };
}

/** Seconds before the start as members type them: `1h30m`, or `now` for the start itself. */
export function formatOffset(seconds: number): string {
  return seconds === 0 ? "now" : formatDurationCompact(seconds * 1000);
}

export interface EventInfo {
  guild_id: string;
  event_id: string;
  name: string;
  start_at: number;
  /** Only the calendar uses it; reminders count from the start. */
  end_at?: number | null;
  location: string | null;
  channel_id: string | null;
  /** A recurring event: its reminders are planned per occurrence. */
  recurring?: boolean;
}

const eventUrl = (guildId: string, eventId: string) => `https://discord.com/events/${guildId}/${eventId}`;
const startsValue = (startAt: number) =>
  `${time(new Date(startAt), TimestampStyles.FullDateShortTime)} (${time(new Date(startAt), TimestampStyles.RelativeTime)})`;
/** Which reminder this is; with the event link and start it names the delivery, so a lost send can be recognised. */
const whichReminder = (offset: number) => (offset === 0 ? "At the start" : `${formatOffset(offset)} before the start`);

/** The reminder DM: name, start (absolute and relative), where, the event link, which reminder, how to change it. */
export function reminderEmbed(ev: EventInfo, offset: number): APIEmbed {
  const where = ev.channel_id ? channelMention(ev.channel_id) : ev.location ? ev.location.slice(0, 200) : null;
  return {
    title: offset === 0 ? `Starting now: ${ev.name}` : `Reminder: ${ev.name}`,
    url: eventUrl(ev.guild_id, ev.event_id),
    description: offset === 0 ? `**${ev.name}** is starting now.` : `**${ev.name}** starts ${time(new Date(ev.start_at), TimestampStyles.RelativeTime)}.`,
    fields: [{ name: "Starts", value: startsValue(ev.start_at), inline: true }, ...(where ? [{ name: "Where", value: where, inline: true }] : [])],
    footer: { text: `${whichReminder(offset)} · Change or stop these reminders with /subscribe or /unsubscribe in the server.` },
  };
}

/** Whether an embed is the reminder for this event, start time and offset (whatever the event is called now). */
export function isReminderEmbed(embed: APIEmbed | undefined, k: { guild_id: string; event_id: string; start_at: number; offset_s: number }): boolean {
  return (
    embed?.url === eventUrl(k.guild_id, k.event_id) &&
    embed.fields?.[0]?.value === startsValue(k.start_at) &&
    (embed.footer?.text ?? "").startsWith(`${whichReminder(k.offset_s)} · `)
  );
}
