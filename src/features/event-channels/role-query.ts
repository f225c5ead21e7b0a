/** What other features may ask of event channels (they never read its tables). */
import { occurrenceKey } from "./occurrences";

/**
 * The bot's own role of an event's occurrence (by its start) whose channels are live, for other features (a channel
 * reminder pings it). A recurring event's ended occurrence keeps its role under its own record (`{event}@{start}`).
 */
export async function liveEventRole(db: D1Database, guildId: string, eventId: string, startAt: number): Promise<string | null> {
  const r = await db
    .prepare("SELECT role_id FROM event_channel_events WHERE guild_id = ? AND event_id IN (?, ?) AND start_at = ? AND state = 'live' AND role_created = 1")
    .bind(guildId, eventId, occurrenceKey(eventId, startAt), startAt)
    .first<{ role_id: string | null }>();
  return r?.role_id ?? null;
}
