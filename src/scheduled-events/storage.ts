/** D1 storage of the scheduled-event mirror, and the read functions features use instead of keeping copies. */
import type { APIGuildScheduledEventRecurrenceRule, GuildScheduledEventStatus } from "discord-api-types/v10";
import type { EventSnapshot, OccurrenceException, ScheduledEventRecord } from "./record";

type Row = Omit<ScheduledEventRecord, "recurrence_rule" | "exceptions"> & { recurrence_rule: string | null; exceptions: string | null };

const COLUMNS =
  "guild_id, event_id, name, description, location, channel_id, entity_type, start_at, end_at, status, recurrence_rule, exceptions, creator_id, user_count, revision, deleted_at, updated_at";

function fromRow(r: Row): ScheduledEventRecord {
  return {
    ...r,
    status: r.status as GuildScheduledEventStatus,
    recurrence_rule: r.recurrence_rule ? (JSON.parse(r.recurrence_rule) as APIGuildScheduledEventRecurrenceRule) : null,
    exceptions: r.exceptions ? (JSON.parse(r.exceptions) as OccurrenceException[]) : [],
  };
}

export async function getScheduledEvent(db: D1Database, guildId: string, eventId: string): Promise<ScheduledEventRecord | null> {
  const r = await db.prepare(`SELECT ${COLUMNS} FROM scheduled_events WHERE guild_id = ? AND event_id = ?`).bind(guildId, eventId).first<Row>();
  return r ? fromRow(r) : null;
}

/**
 * Writes what Discord says now. `expectedRevision` is the revision the change was decided on (compare-and-set: a
 * concurrent handler that wrote first makes this one decide again); `bump` when the change was reported.
 */
export async function writeScheduledEvent(db: D1Database, ev: EventSnapshot, expectedRevision: number | null, bump: boolean, now: number): Promise<boolean> {
  const values = [
    ev.name,
    ev.description,
    ev.location,
    ev.channel_id,
    ev.entity_type,
    ev.start_at,
    ev.end_at,
    ev.status,
    ev.recurrence_rule ? JSON.stringify(ev.recurrence_rule) : null,
    ev.exceptions.length ? JSON.stringify(ev.exceptions) : null,
    ev.creator_id,
    ev.user_count,
  ];
  if (expectedRevision === null) {
    const r = await db
      .prepare(`INSERT INTO scheduled_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NULL, ?) ON CONFLICT DO NOTHING`)
      .bind(ev.guild_id, ev.event_id, ...values, now)
      .run();
    return (r.meta.changes ?? 0) > 0;
  }
  const r = await db
    .prepare(
      `UPDATE scheduled_events SET name = ?, description = ?, location = ?, channel_id = ?, entity_type = ?, start_at = ?, end_at = ?, status = ?,
       recurrence_rule = ?, exceptions = ?, creator_id = ?, user_count = COALESCE(?, user_count), revision = revision + ?, deleted_at = NULL,
       updated_at = ? WHERE guild_id = ? AND event_id = ? AND revision = ? AND updated_at <= ?`,
    )
    // The as-of time in the condition too: two looks that differ only in the interested count both pass the revision
    // check, and the older must not write its count, or the mirror's time, back over the newer's.
    .bind(...values, bump ? 1 : 0, now, ev.guild_id, ev.event_id, expectedRevision, now)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/**
 * Discord deleted an event the mirror never knew (made and deleted while a GUILD_CREATE naming it waited): recorded
 * as deleted, so that older description never brings it back. False when the mirror knows it by now.
 */
export async function recordDeleted(db: D1Database, ev: EventSnapshot, now: number, asOf: number): Promise<boolean> {
  const r = await db
    .prepare(
      `INSERT INTO scheduled_events (guild_id, event_id, name, entity_type, start_at, end_at, status, revision, deleted_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .bind(ev.guild_id, ev.event_id, ev.name, ev.entity_type, ev.start_at, ev.end_at, ev.status, now, asOf)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/** Discord deleted it: kept (so the calendar can say it is gone) until retention; compare-and-set on the revision. */
export async function markDeleted(db: D1Database, guildId: string, eventId: string, expectedRevision: number, now: number): Promise<boolean> {
  const r = await db
    .prepare(
      "UPDATE scheduled_events SET deleted_at = ?, revision = revision + 1, updated_at = ? WHERE guild_id = ? AND event_id = ? AND revision = ? AND deleted_at IS NULL",
    )
    .bind(now, now, guildId, eventId, expectedRevision)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/** The guild's events that are still on (SCHEDULED or ACTIVE, not deleted), for reconciliation. */
/** Events still active here, last written before `before` (a row written after a list was taken is newer than it). */
export async function activeEventIds(db: D1Database, guildId: string, before = Number.MAX_SAFE_INTEGER): Promise<string[]> {
  const rows = await db
    .prepare("SELECT event_id FROM scheduled_events WHERE guild_id = ? AND deleted_at IS NULL AND status IN (1, 2) AND updated_at < ?")
    .bind(guildId, before)
    .all<{ event_id: string }>();
  return rows.results.map((r) => r.event_id);
}

/**
 * The guild's events for a calendar or a list: every event still on, and those that ended or were cancelled or
 * deleted since `since`, soonest first. Recurring events come once (their next occurrence's start).
 */
export async function listScheduledEvents(db: D1Database, guildId: string, since: number, limit = 500): Promise<ScheduledEventRecord[]> {
  const rows = await db
    .prepare(
      `SELECT ${COLUMNS} FROM scheduled_events WHERE guild_id = ?
       AND ((deleted_at IS NULL AND status IN (1, 2)) OR COALESCE(end_at, start_at) >= ? OR recurrence_rule IS NOT NULL AND updated_at >= ?)
       ORDER BY start_at LIMIT ?`,
    )
    .bind(guildId, since, since, limit)
    .all<Row>();
  return rows.results.map(fromRow);
}

/** The guild's events still on whose (next) occurrence starts after `after`, soonest first. */
export async function upcomingScheduledEvents(db: D1Database, guildId: string, after: number, limit = 25): Promise<ScheduledEventRecord[]> {
  const rows = await db
    .prepare(
      `SELECT ${COLUMNS} FROM scheduled_events WHERE guild_id = ? AND deleted_at IS NULL AND status IN (1, 2) AND start_at > ? ORDER BY start_at LIMIT ?`,
    )
    .bind(guildId, after, limit)
    .all<Row>();
  return rows.results.map(fromRow);
}
