/** The guild's calendar feed: its Discord scheduled events (the guild-events core's mirror) as iCal, behind a rotatable token. */
import { GuildScheduledEventStatus } from "discord-api-types/v10";
import { listScheduledEvents } from "../scheduled-events";
import { type CalendarEvent, calendar } from "./ical";

const PAST_MS = 7 * 86_400_000;

export async function calendarToken(db: D1Database, guildId: string): Promise<string | null> {
  return (await db.prepare("SELECT token FROM calendar_tokens WHERE guild_id = ?").bind(guildId).first<{ token: string }>())?.token ?? null;
}

/** A new token; the old feed URL stops working at once. */
export async function rotateCalendarToken(db: D1Database, guildId: string, now: number): Promise<string> {
  const token = Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, "0")).join("");
  await db
    .prepare(
      "INSERT INTO calendar_tokens (guild_id, token, created_at) VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at",
    )
    .bind(guildId, token, now)
    .run();
  return token;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The .ics body, or null when the token is wrong (the route answers 404 either way). */
export async function calendarFeed(db: D1Database, guildId: string, token: string, now: number): Promise<string | null> {
  const expected = await calendarToken(db, guildId);
  if (!expected || !sameToken(expected, token)) return null;
  const rows = await listScheduledEvents(db, guildId, now - PAST_MS);
  const events: CalendarEvent[] = rows.map((r) => ({
    uid: `${r.event_id}@discord-guild-${guildId}`,
    summary: r.name,
    description: r.description ?? undefined,
    location: r.location ?? (r.channel_id ? `https://discord.com/channels/${guildId}/${r.channel_id}` : undefined),
    url: `https://discord.com/events/${guildId}/${r.event_id}`,
    start: r.start_at,
    end: r.end_at ?? r.start_at + 3_600_000,
    lastModified: r.updated_at,
    sequence: r.revision,
    cancelled: r.deleted_at !== null || r.status === GuildScheduledEventStatus.Canceled,
    recurrence: r.recurrence_rule,
    exceptions: r.exceptions,
  }));
  return calendar("Server events", events, now);
}
