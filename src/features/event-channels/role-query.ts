/** What other features may ask of event channels (they never read its tables). */

/** The bot's own role of an event whose channels are live, for other features (a channel reminder pings it). */
export async function liveEventRole(db: D1Database, guildId: string, eventId: string): Promise<string | null> {
  const r = await db
    .prepare("SELECT role_id FROM event_channel_events WHERE guild_id = ? AND event_id = ? AND state = 'live' AND role_created = 1")
    .bind(guildId, eventId)
    .first<{ role_id: string | null }>();
  return r?.role_id ?? null;
}
