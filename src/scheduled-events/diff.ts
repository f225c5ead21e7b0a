/** The one place that decides what changed about a scheduled event between two of Discord's descriptions (pure). */
import { GuildScheduledEventStatus } from "discord-api-types/v10";
import { type EventSnapshot, isActiveStatus } from "./record";

/** Each change names the occurrence it is about by its start (`start_at`, ms). */
export type ScheduledEventChange =
  | { kind: "created"; start_at: number }
  | { kind: "updated"; start_at: number; fields: string[] }
  | { kind: "rescheduled"; start_at: number; previous_start_at: number }
  | { kind: "cancelled"; start_at: number }
  | { kind: "deleted"; start_at: number }
  | { kind: "occurrence_started"; start_at: number }
  /** `next_start_at`: a recurring event moved on to its next occurrence (not a reschedule). */
  | { kind: "occurrence_ended"; start_at: number; next_start_at: number | null }
  /** One occurrence of a recurring event cancelled (Discord's exception) while the event showed it: it moved on to `next_start_at`. */
  | { kind: "occurrence_cancelled"; start_at: number; next_start_at: number };

export type ChangeKind = ScheduledEventChange["kind"];

/** Fields whose change is an `updated` (times and status have their own kinds; counts are not changes). */
const DESCRIBED = ["name", "description", "location", "channel_id", "entity_type", "recurrence_rule", "exceptions"] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The rule apart from its `start` (Discord may or may not move that along with the occurrences). */
const ruleShape = (e: EventSnapshot) => (e.recurrence_rule ? { ...e.recurrence_rule, start: undefined } : null);

/** The rule's time of the occurrence an event shows (an exception may have moved it). */
const originalStart = (e: EventSnapshot) => e.exceptions.find((x) => !x.cancelled && x.start_at === e.start_at)?.original_start_at ?? e.start_at;

/**
 * The occurrence `old` showed was cancelled by an exception and Discord shows the next one: the exception is new in
 * `next`. Discord announces exceptions with dispatches of their own (undocumented, not forwarded); the event's UPDATE,
 * GUILD_CREATE or the hourly list carries the exception, and this is how the core tells it from a reschedule.
 */
export function isCancelledOccurrence(old: EventSnapshot, next: EventSnapshot): boolean {
  if (!old.recurrence_rule || !next.recurrence_rule || !same(ruleShape(old), ruleShape(next)) || next.start_at === old.start_at) return false;
  const original = originalStart(old);
  const cancelled = (e: EventSnapshot) => e.exceptions.some((x) => x.cancelled && x.original_start_at === original);
  return cancelled(next) && !cancelled(old);
}

/**
 * The move of a recurring event to its next occurrence: same rule, later start, back to SCHEDULED, after the
 * occurrence it showed began (ACTIVE, or its start passed without anyone starting it). Discord sends this as one
 * UPDATE, never a COMPLETED; an admin moving a future occurrence is a reschedule instead.
 */
export function isNextOccurrence(old: EventSnapshot, next: EventSnapshot, now: number): boolean {
  if (!old.recurrence_rule || !next.recurrence_rule || !same(ruleShape(old), ruleShape(next))) return false;
  if (next.status !== GuildScheduledEventStatus.Scheduled || next.start_at <= old.start_at) return false;
  return old.status === GuildScheduledEventStatus.Active || old.start_at <= now;
}

/** What happened between `old` (null: never seen) and `next` (null: deleted). Empty when nothing a feature cares about. */
export function diff(old: EventSnapshot | null, next: EventSnapshot | null, now: number): ScheduledEventChange[] {
  if (!next) return old ? [{ kind: "deleted", start_at: old.start_at }] : [];
  if (!old) {
    if (!isActiveStatus(next.status)) return []; // first seen already over: nothing to follow
    const created: ScheduledEventChange[] = [{ kind: "created", start_at: next.start_at }];
    if (next.status === GuildScheduledEventStatus.Active) created.push({ kind: "occurrence_started", start_at: next.start_at });
    return created;
  }
  if (!isActiveStatus(old.status)) return []; // COMPLETED and CANCELED are final on Discord
  const out: ScheduledEventChange[] = [];
  const fields = DESCRIBED.filter((f) => (f === "recurrence_rule" ? !same(ruleShape(old), ruleShape(next)) : !same(old[f], next[f])));
  if (next.status === GuildScheduledEventStatus.Canceled) return [{ kind: "cancelled", start_at: old.start_at }];
  if (next.status === GuildScheduledEventStatus.Completed) return [{ kind: "occurrence_ended", start_at: old.start_at, next_start_at: null }];
  if (next.status === GuildScheduledEventStatus.Scheduled && isCancelledOccurrence(old, next)) {
    out.push({ kind: "occurrence_cancelled", start_at: old.start_at, next_start_at: next.start_at });
  } else if (isNextOccurrence(old, next, now)) {
    out.push({ kind: "occurrence_ended", start_at: old.start_at, next_start_at: next.start_at });
  } else {
    if (old.start_at !== next.start_at || old.end_at !== next.end_at)
      out.push({ kind: "rescheduled", start_at: next.start_at, previous_start_at: old.start_at });
    if (old.status === GuildScheduledEventStatus.Scheduled && next.status === GuildScheduledEventStatus.Active)
      out.push({ kind: "occurrence_started", start_at: next.start_at });
  }
  if (fields.length) out.push({ kind: "updated", start_at: next.start_at, fields });
  return out;
}
