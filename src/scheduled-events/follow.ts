/**
 * Follows Discord's scheduled events into the mirror: decide what changed (diff), let the features that consume the
 * core act on it, then write the mirror and report the change on the bus.
 *
 * Consumers run before the write and their errors propagate, so a failure leaves the mirror as it was and the
 * retried dispatch decides the same change again (at least once); consumers are idempotent followers of the state
 * they are given, so running again after a partial success is harmless. Bus events are reported after the write,
 * under ids fixed by the revision, so a replay reports nothing twice.
 */
import type { APIGuildScheduledEvent } from "discord-api-types/v10";
import { logger } from "../log";
import type { Services } from "../services";
import { diff, type ScheduledEventChange } from "./diff";
import { type EventSnapshot, isActiveStatus, type ScheduledEventRecord, snapshotOf } from "./record";
import { getScheduledEvent, markDeleted, recordDeleted, writeScheduledEvent } from "./storage";

/** What a consumer is told: the event now (deleted: `deleted_at` set) and what changed since the mirror's copy. */
export interface ScheduledEventUpdate {
  before: ScheduledEventRecord | null;
  after: ScheduledEventRecord;
  changes: ScheduledEventChange[];
  /** `reconcile`: a full look (GUILD_CREATE, the hourly list) that may find nothing changed; consumers re-check their state. */
  source: "dispatch" | "reconcile";
}

export interface ScheduledEventConsumer {
  /** Stable name, for logs. */
  name: string;
  handle(update: ScheduledEventUpdate, services: Services): Promise<void>;
}

const ATTEMPTS = 3;

/**
 * Discord describes an event (CREATE, UPDATE, GUILD_CREATE, the hourly list) as it was at `asOf` (when the dispatch
 * was received, the list requested). A description older than the one the mirror holds (a GUILD_CREATE set aside and
 * reconciled after a newer UPDATE, a dispatch that waited in the queue while a list was taken) is not applied: it
 * would take the event, and every feature, back to an older name, time or status. The mirror's `updated_at` is the
 * time of the description it holds.
 */
export async function observeEvent(
  s: Services,
  ev: APIGuildScheduledEvent,
  source: ScheduledEventUpdate["source"],
  guildId: string = ev.guild_id,
  asOf: number = s.now(),
): Promise<void> {
  const next = snapshotOf(ev, guildId);
  if (!next) {
    logger.warn("scheduled_events.unreadable", { guild_id: guildId, event_id: ev.id, start: ev.scheduled_start_time });
    return;
  }
  // Compare-and-set on the revision: a concurrent handler that wrote first makes this one decide again.
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const before = await getScheduledEvent(s.env.DB, guildId, ev.id);
    if (before?.deleted_at) return; // Discord never brings a deleted event back: this is an older description
    if (before && before.updated_at > asOf) {
      logger.info("scheduled_events.older_description", { guild_id: guildId, event_id: ev.id, source, as_of: asOf, mirror_as_of: before.updated_at });
      return;
    }
    const known = before;
    const changes = diff(known, next, s.now());
    const after: ScheduledEventRecord = { ...next, revision: (before?.revision ?? 0) + (changes.length ? 1 : 0), deleted_at: null, updated_at: asOf };
    if (isActiveStatus(next.status) || known) await runConsumers(s, { before: known, after, changes, source });
    // Nothing new at all (a replay, a reconnect's GUILD_CREATE): no write.
    if (before && !changes.length && unchanged(before, next)) return;
    if (await writeScheduledEvent(s.env.DB, next, before ? before.revision : null, changes.length > 0, asOf)) {
      await report(s, after, changes);
      return;
    }
  }
  throw new Error(`scheduled event ${ev.id} kept changing under the mirror`);
}

/**
 * Discord deleted the event (DELETE, or absent from a full list taken at `asOf`). A DELETE is final; absence from a
 * list is not when the mirror holds a newer description of the event (made, or seen again, after the list was taken).
 */
export async function observeDeleted(s: Services, guildId: string, eventId: string, asOf: number | null = null): Promise<void> {
  const before = await getScheduledEvent(s.env.DB, guildId, eventId);
  if (!before || before.deleted_at) return;
  if (asOf !== null && before.updated_at > asOf) return;
  const after: ScheduledEventRecord = { ...before, deleted_at: s.now(), revision: before.revision + 1, updated_at: s.now() };
  const changes = diff(before, null, s.now());
  await runConsumers(s, { before, after, changes, source: "dispatch" });
  if (await markDeleted(s.env.DB, guildId, eventId, before.revision, s.now())) await report(s, after, changes);
}

/** A DELETE dispatch: final. An event the mirror never knew is recorded as deleted, so no older look brings it back. */
export async function observeDeleteDispatch(s: Services, ev: APIGuildScheduledEvent, receivedAt: number): Promise<void> {
  const known = await getScheduledEvent(s.env.DB, ev.guild_id, ev.id);
  const snapshot = known ? null : snapshotOf(ev);
  if (snapshot && (await recordDeleted(s.env.DB, snapshot, s.now(), receivedAt))) return;
  await observeDeleted(s, ev.guild_id, ev.id);
}

/** Every field the mirror keeps is as stored (diff ignores the count and the creator; the mirror does not). */
function unchanged(before: ScheduledEventRecord, next: EventSnapshot): boolean {
  return (Object.keys(next) as (keyof EventSnapshot)[]).every(
    (k) => JSON.stringify(before[k]) === JSON.stringify(next[k]) || (k === "user_count" && next[k] === null),
  );
}

async function runConsumers(s: Services, update: ScheduledEventUpdate): Promise<void> {
  // In order, each to the end: the first failure is rethrown after the others ran, so one feature's outage
  // does not hold back another's work (the retry runs them all again; they are idempotent).
  let failure: unknown = null;
  for (const c of s.scheduledEventConsumers) {
    try {
      await c.handle(update, s);
    } catch (error) {
      logger.error("scheduled_events.consumer_failed", { consumer: c.name, guild_id: update.after.guild_id, event_id: update.after.event_id, error });
      failure ??= error;
    }
  }
  if (failure) throw failure;
}

/** One bus event per change, with the occurrence's start, under an id a replay repeats. */
async function report(s: Services, ev: ScheduledEventRecord, changes: readonly ScheduledEventChange[]): Promise<void> {
  for (const c of changes) {
    const data = { event_id: ev.event_id, name: ev.name, recurring: ev.recurrence_rule !== null, end_at: ev.end_at, ...c };
    await s.bus.emit(`scheduled_event.${c.kind}`, data, { guildId: ev.guild_id }, { id: `se:${ev.guild_id}:${ev.event_id}:${ev.revision}:${c.kind}` });
  }
}
