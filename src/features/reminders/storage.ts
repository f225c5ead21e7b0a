/** D1 storage for reminders: subscriptions, per-event members, deliveries, DM channel cache; events come from the guild-events core. */
import { getScheduledEvent, isActiveStatus, occurrenceStands, type ScheduledEventRecord, upcomingScheduledEvents } from "../../scheduled-events";
import type { EventInfo } from "./offsets";

export interface Subscription {
  types: string[];
  offsets: number[];
  interested_opt_out: boolean;
}

export async function getSubscription(db: D1Database, guildId: string, userId: string): Promise<Subscription | null> {
  const r = await db
    .prepare("SELECT types, offsets, interested_opt_out FROM reminder_subscriptions WHERE guild_id = ? AND user_id = ?")
    .bind(guildId, userId)
    .first<{ types: string; offsets: string; interested_opt_out: number }>();
  return r ? { types: JSON.parse(r.types), offsets: JSON.parse(r.offsets), interested_opt_out: r.interested_opt_out === 1 } : null;
}

export async function putSubscription(db: D1Database, guildId: string, userId: string, s: Subscription, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO reminder_subscriptions (guild_id, user_id, types, offsets, interested_opt_out, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (guild_id, user_id) DO UPDATE SET types = excluded.types, offsets = excluded.offsets, interested_opt_out = excluded.interested_opt_out, updated_at = excluded.updated_at`,
    )
    .bind(guildId, userId, JSON.stringify(s.types), JSON.stringify(s.offsets), s.interested_opt_out ? 1 : 0, now, now)
    .run();
}

export async function deleteSubscription(db: D1Database, guildId: string, userId: string): Promise<boolean> {
  const a = await db.prepare("DELETE FROM reminder_subscriptions WHERE guild_id = ? AND user_id = ?").bind(guildId, userId).run();
  const b = await db.prepare("DELETE FROM reminder_event_members WHERE guild_id = ? AND user_id = ? AND source = 'remind'").bind(guildId, userId).run();
  return a.meta.changes + b.meta.changes > 0;
}

/** The event as the guild-events core mirrors it (its current or next occurrence), in the shape reminders use. */
export function reminderInfo(ev: ScheduledEventRecord): EventInfo & { active: boolean } {
  return {
    guild_id: ev.guild_id,
    event_id: ev.event_id,
    name: ev.name,
    start_at: ev.start_at,
    end_at: ev.end_at,
    location: ev.location,
    channel_id: ev.channel_id,
    recurring: ev.recurrence_rule !== null,
    active: ev.deleted_at === null && isActiveStatus(ev.status),
  };
}

export async function getReminderEvent(db: D1Database, guildId: string, eventId: string): Promise<(EventInfo & { active: boolean }) | null> {
  const ev = await getScheduledEvent(db, guildId, eventId);
  return ev ? reminderInfo(ev) : null;
}

/**
 * The occurrence starting at `startAt`, for work that belongs to it (a fan-out, a retry, a channel post); null once it
 * no longer stands. A recurring event that moved on to its next occurrence meanwhile still gives the last one (with
 * its own times): the series moving on does not take back what was begun for an occurrence that took place.
 */
export function occurrenceInfo(ev: ScheduledEventRecord, startAt: number, now: number): EventInfo | null {
  if (!occurrenceStands(ev, startAt, now)) return null;
  const { active: _active, ...info } = reminderInfo(ev);
  return { ...info, start_at: startAt, end_at: ev.end_at === null ? null : startAt + (ev.end_at - ev.start_at) };
}

/** Upcoming events (a recurring one by its next occurrence). */
export async function upcomingEvents(db: D1Database, guildId: string, now: number, limit = 25): Promise<EventInfo[]> {
  return (await upcomingScheduledEvents(db, guildId, now, limit)).map(reminderInfo);
}

export async function addEventMember(
  db: D1Database,
  guildId: string,
  eventId: string,
  userId: string,
  source: "remind" | "interested",
  now: number,
): Promise<void> {
  await db
    .prepare("INSERT OR IGNORE INTO reminder_event_members (guild_id, event_id, user_id, source, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(guildId, eventId, userId, source, now)
    .run();
}

export async function removeEventMember(db: D1Database, guildId: string, eventId: string, userId: string, source: "remind" | "interested"): Promise<void> {
  await db
    .prepare("DELETE FROM reminder_event_members WHERE guild_id = ? AND event_id = ? AND user_id = ? AND source = ?")
    .bind(guildId, eventId, userId, source)
    .run();
}

/**
 * Who gets the reminder at `offset` for this event, in user-id order after `cursor`: subscribers whose types
 * match and whose offsets (or the guild's defaults) include it, members who asked for this one event, and
 * members who clicked Interested (unless the guild turned that off or they opted out).
 *
 * The cursor sits inside each arm, so each arm is a range scan of its primary key from the cursor ((guild_id,
 * user_id) and (guild_id, event_id, user_id, source)) rather than relying on the optimizer to push an outer filter
 * into the UNION; the compound ORDER BY … LIMIT merges the arms and stops after `limit` rows.
 */
export async function recipients(
  db: D1Database,
  q: { guildId: string; eventId: string; types: string[]; offset: number; defaultsInclude: boolean; interested: boolean; cursor: string; limit: number },
): Promise<string[]> {
  return (await recipientsWithMeta(db, q)).users;
}

/** `recipients` with D1's figures for the query (rows read), for tests and benchmarks. */
export async function recipientsWithMeta(
  db: D1Database,
  q: { guildId: string; eventId: string; types: string[]; offset: number; defaultsInclude: boolean; interested: boolean; cursor: string; limit: number },
): Promise<{ users: string[]; rowsRead: number }> {
  const typeList = q.types.map(() => "?").join(", ");
  const offsetMatch = (alias: string) =>
    `(CASE WHEN ${alias}.user_id IS NULL OR json_array_length(${alias}.offsets) = 0 THEN ? ELSE EXISTS (SELECT 1 FROM json_each(${alias}.offsets) WHERE value = ?) END)`;
  // A compound SELECT with ORDER BY … LIMIT: SQLite merges the arms' ordered range scans and stops after `limit`.
  const sql = `SELECT s.user_id FROM reminder_subscriptions s
        WHERE s.guild_id = ? AND s.user_id > ? AND EXISTS (SELECT 1 FROM json_each(s.types) WHERE value IN (${typeList})) AND ${offsetMatch("s")}
      UNION
      SELECT m.user_id FROM reminder_event_members m
        LEFT JOIN reminder_subscriptions s ON s.guild_id = m.guild_id AND s.user_id = m.user_id
        WHERE m.guild_id = ? AND m.event_id = ? AND m.user_id > ? AND m.source = 'remind' AND ${offsetMatch("s")}
      UNION
      SELECT m.user_id FROM reminder_event_members m
        LEFT JOIN reminder_subscriptions s ON s.guild_id = m.guild_id AND s.user_id = m.user_id
        WHERE m.guild_id = ? AND m.event_id = ? AND m.user_id > ? AND m.source = 'interested' AND ? AND ? AND COALESCE(s.interested_opt_out, 0) = 0
      ORDER BY 1 LIMIT ?`;
  const d = q.defaultsInclude ? 1 : 0;
  const rows = await db
    .prepare(sql)
    .bind(
      ...[q.guildId, q.cursor, ...q.types, d, q.offset],
      ...[q.guildId, q.eventId, q.cursor, d, q.offset],
      ...[q.guildId, q.eventId, q.cursor, q.interested ? 1 : 0, d],
      q.limit,
    )
    .all<{ user_id: string }>();
  return { users: rows.results.map((r) => r.user_id), rowsRead: rows.meta.rows_read ?? 0 };
}

export interface DeliveryKey {
  guild_id: string;
  event_id: string;
  start_at: number;
  offset_s: number;
}

/** A delivery this attempt may send: claimed just now, or left claimed / to retry by an earlier attempt. */
export interface Pending {
  user_id: string;
  attempts: number;
  /** When the first send of this delivery began (its nonce can have been used since then). */
  first_try_at: number;
}

/**
 * Claims (user, offset) for this start time; returns the deliveries this attempt should handle: claimed now, or
 * claimed by an earlier attempt that did not record how they ended. A delivery settled to retry is the retry item's
 * (after its backoff): a chunk run again after a cut neither sends it at once nor counts it a second time.
 */
export async function claim(db: D1Database, k: DeliveryKey & { event_name: string }, users: readonly string[], now: number): Promise<Pending[]> {
  if (!users.length) return [];
  await db.batch(
    users.map((u) =>
      db
        .prepare(
          "INSERT OR IGNORE INTO reminder_deliveries (guild_id, event_id, start_at, user_id, offset_s, status, event_name, updated_at, first_try_at) VALUES (?, ?, ?, ?, ?, 'claimed', ?, ?, ?)",
        )
        .bind(k.guild_id, k.event_id, k.start_at, u, k.offset_s, k.event_name, now, now),
    ),
  );
  const rows = await db
    .prepare(
      `SELECT user_id, attempts, COALESCE(first_try_at, updated_at) AS first_try_at FROM reminder_deliveries
       WHERE guild_id = ? AND event_id = ? AND start_at = ? AND offset_s = ? AND status = 'claimed'
       AND user_id IN (${users.map(() => "?").join(", ")}) ORDER BY user_id`,
    )
    .bind(k.guild_id, k.event_id, k.start_at, k.offset_s, ...users)
    .all<Pending>();
  return rows.results;
}

export type Settled = { user_id: string; status: "sent" | "failed" | "retry" | "skipped"; reason: string | null };

/** Records how each send ended, in one round trip. */
export async function settle(db: D1Database, k: DeliveryKey, outcomes: readonly Settled[], now: number): Promise<void> {
  if (!outcomes.length) return;
  await db.batch(
    outcomes.map((o) =>
      db
        .prepare(
          "UPDATE reminder_deliveries SET status = ?, reason = ?, attempts = attempts + 1, updated_at = ? WHERE guild_id = ? AND event_id = ? AND start_at = ? AND offset_s = ? AND user_id = ?",
        )
        .bind(o.status, o.reason, now, k.guild_id, k.event_id, k.start_at, k.offset_s, o.user_id),
    ),
  );
}

export async function pendingRetries(db: D1Database, k: DeliveryKey, limit: number): Promise<Pending[]> {
  const rows = await db
    .prepare(
      `SELECT user_id, attempts, COALESCE(first_try_at, updated_at) AS first_try_at FROM reminder_deliveries
       WHERE guild_id = ? AND event_id = ? AND start_at = ? AND offset_s = ? AND status = 'retry' ORDER BY user_id LIMIT ?`,
    )
    .bind(k.guild_id, k.event_id, k.start_at, k.offset_s, limit)
    .all<Pending>();
  return rows.results;
}
