/** When a reminder fan-out began and whether it was on time: judged once, by its first attempt, and read by the rest. */
import type { DeliveryKey } from "./storage";

/** Overdue by more than this, a reminder is skipped: a redeploy must not flood members with stale ones. */
export const LATE_MS = 60_000;

export type FanoutKind = "dm" | "channel";

export interface FanoutStart {
  startedAt: number;
  onTime: boolean;
}

/** Whether a reminder due at `due` that begins at `now` is still worth sending. */
export function onTime(due: number, now: number): boolean {
  return now - due <= LATE_MS;
}

/**
 * The latest moment a send slot is worth taking for a chunk that begins waiting for slots at `now`: the reminder's
 * minute of grace, counted from the chunk's own start once the fan-out is under way. A chunk a restart delayed is
 * not late for that; one the REST budget keeps waiting longer than the grace is.
 */
export function chunkDeadline(due: number, now: number): number {
  return Math.max(due, now) + LATE_MS;
}

/**
 * Records the fan-out's start with `onTimeNow` (the first attempt's judgement) unless one is recorded already, and
 * returns the recorded one: a retried invocation or a later chunk keeps the decision made when it began.
 */
export async function startFanout(db: D1Database, key: DeliveryKey, what: FanoutKind, now: number, onTimeNow: boolean): Promise<FanoutStart> {
  const row = await db
    .prepare(
      `INSERT INTO reminder_fanouts (guild_id, event_id, start_at, what, offset_s, started_at, on_time) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (guild_id, event_id, start_at, what, offset_s) DO UPDATE SET started_at = reminder_fanouts.started_at
       RETURNING started_at, on_time`,
    )
    .bind(key.guild_id, key.event_id, key.start_at, what, key.offset_s, now, onTimeNow ? 1 : 0)
    .first<{ started_at: number; on_time: number }>();
  return row ? { startedAt: row.started_at, onTime: row.on_time === 1 } : { startedAt: now, onTime: onTimeNow };
}
