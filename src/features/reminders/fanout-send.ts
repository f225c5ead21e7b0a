/**
 * A reminder fan-out's sending: chunks of members claimed, sent to at the REST budget's pace (two chunks under way at
 * a time) and settled, within one run's share of the invocation's subrequests.
 */

import { sendDm } from "../../discord/dm";
import { gatedServices } from "../../discord/gated";
import { BudgetDeferred } from "../../discord/rate-gate";
import { logger } from "../../log";
import type { Services } from "../../services";
import { backoffMs } from "../../timers/agenda";
import type { TimerOutcome } from "../../timers/kinds";
import type { TimerPayloads } from "../../timers/payloads";
import { findReminderOccurrence } from "./event-lookup";
import { chunkDeadline } from "./fanout-start";
import { type EventInfo, reminderEmbed } from "./offsets";
import { claim, type DeliveryKey, type Pending, type Settled, settle } from "./storage";
import { resolveUnconfirmed, unconfirmed } from "./unconfirmed";

/** Members per chunk: claimed, sent to and settled together. */
export const CHUNK = 40;
/**
 * Chunks per alarm invocation at most: fewer when members without a cached DM channel (an open and a cache write
 * before each send) would take the run past SUBREQUEST_BUDGET.
 */
export const CHUNKS_PER_RUN = 5;
/** What one run may spend of its invocation's 1,000 subrequests (other items of the same alarm share the rest). */
const SUBREQUEST_BUDGET = 600;
/** A chunk's gate requests (one per 10 sends, more when refused) and D1 queries, beside its DMs. */
const SUBREQUESTS_PER_CHUNK = 30;
/** The most a chunk spends: every member without a cached DM channel. */
const WORST_CHUNK = 3 * CHUNK + SUBREQUESTS_PER_CHUNK;

/** Whether a run that has sent `sent` chunks, spending `spent` subrequests, starts another (a worst-case one must fit). */
export function runGoesOn(sent: number, spent: number): boolean {
  return sent < CHUNKS_PER_RUN && spent + WORST_CHUNK <= SUBREQUEST_BUDGET;
}

/** Chunks one run sends to members none of whom the bot has a DM channel with yet. */
export function uncachedRunChunks(): number {
  let k = 0;
  while (runGoesOn(k, k * WORST_CHUNK)) k++;
  return k;
}
export const MAX_DM_ATTEMPTS = 3;

export type FanoutPayload = TimerPayloads["reminders.dm"];

/** DM channels already known for a chunk, in one query. */
async function knownChannels(db: D1Database, users: readonly string[]): Promise<Map<string, string>> {
  if (!users.length) return new Map();
  const rows = await db
    .prepare(`SELECT user_id, channel_id FROM dm_channels WHERE user_id IN (${users.map(() => "?").join(", ")})`)
    .bind(...users)
    .all<{ user_id: string; channel_id: string }>();
  return new Map(rows.results.map((r) => [r.user_id, r.channel_id]));
}

/**
 * Sends to `users`, each call at a slot of the REST budget's bulk lane (fair between guilds), and records each
 * outcome. A member whose slot would come after `lateAt` is skipped as late (lateness judged after the wait); one
 * the budget cannot serve soon stays claimed for the next run, at `deferredUntil`.
 */
export async function deliver(
  s: Services,
  key: DeliveryKey,
  users: readonly { user_id: string; attempts: number }[],
  embed: ReturnType<typeof reminderEmbed>,
  lateAt: number,
) {
  const counts = { sent: 0, failed: 0, retry: 0, skipped: 0, deferredUntil: 0, subrequests: 0 };
  if (!users.length) return counts;
  const known = await knownChannels(
    s.env.DB,
    users.map((u) => u.user_id),
  );
  // Each DM a send, and with no cached channel an open and a cache write first; the gate asks and D1 queries besides.
  counts.subrequests = users.length + 2 * (users.length - known.size) + SUBREQUESTS_PER_CHUNK;
  // Slots are in real time; `lateAt` is on the services' clock (the timer's, moved in tests).
  const gs = gatedServices(s, { lane: "bulk", guild: key.guild_id, notAfter: Date.now() + (lateAt - s.now()) });
  const outcomes = await Promise.all(
    users.map(async (u) => {
      const nonce = `${key.guild_id}|${key.event_id}|${key.start_at}|${key.offset_s}|${u.user_id}`;
      try {
        return { u, out: await sendDm(gs, u.user_id, { embeds: [embed] }, nonce, known.get(u.user_id) ?? null), deferred: null };
      } catch (error) {
        if (error instanceof BudgetDeferred) return { u, out: null, deferred: error };
        throw error;
      }
    }),
  );
  const settled: Settled[] = [];
  for (const o of outcomes) {
    if (o.deferred) {
      if (o.deferred.late) settled.push({ user_id: o.u.user_id, status: "skipped", reason: `no send slot before ${new Date(lateAt).toISOString()}` });
      else counts.deferredUntil = Math.max(counts.deferredUntil, o.deferred.retryAt);
      continue;
    }
    const { u, out } = o;
    if (!out) continue;
    if (out.ok) settled.push({ user_id: u.user_id, status: "sent", reason: null });
    else if (out.permanent || u.attempts + 1 >= MAX_DM_ATTEMPTS) settled.push({ user_id: u.user_id, status: "failed", reason: out.reason });
    else settled.push({ user_id: u.user_id, status: "retry", reason: out.reason });
  }
  for (const x of settled) counts[x.status as "sent" | "failed" | "retry" | "skipped"]++;
  await settle(s.env.DB, key, settled, s.now());
  return counts;
}

/**
 * Deliveries an earlier attempt may have sent outside the nonce window are settled from the DM channel and
 * counted; the rest are returned for this attempt to send (or skip).
 */
export async function settleUnconfirmed(
  s: Services,
  key: DeliveryKey,
  rows: readonly Pending[],
  at: number,
  mode: "send" | "skip",
  totals: NonNullable<FanoutPayload["totals"]>,
): Promise<Pending[]> {
  const doubtful = rows.filter((r) => unconfirmed(r, at, mode));
  if (!doubtful.length) return [...rows];
  const resolved = await resolveUnconfirmed(s, key, doubtful, mode === "skip" ? "skipped" : "failed", MAX_DM_ATTEMPTS);
  await settle(s.env.DB, key, resolved, s.now());
  for (const r of resolved) totals[r.status]++;
  return rows.filter((r) => !doubtful.includes(r));
}

/** One fan-out run's fixed parts: who it is for, how it goes, and the page query. */
export interface Fan {
  s: Services;
  key: DeliveryKey;
  ev: EventInfo;
  mode: "send" | "skip";
  due: number;
  hidden: boolean;
  page(cursor: string): Promise<string[]>;
  totals: NonNullable<FanoutPayload["totals"]>;
}

/**
 * Up to CHUNKS_PER_RUN chunks, two at a time: the next chunk is claimed and its DMs wait for their slots while the
 * chunk before is still going out, and each chunk's members are read while the one before goes out. One chunk at a
 * time left the budget idle at every change of chunk (a bucket or two in ten); a run per chunk left it idle while
 * each next alarm started. Returns the item's next run, or nothing when the fan-out is done. Members are claimed
 * only as their chunk's turn comes (a claimed member is one the fan-out may have sent to).
 */
export async function sendChunks(f: Fan, from: string, slotDeadline: number | undefined): Promise<TimerOutcome<FanoutPayload> | undefined> {
  const { s, key, totals } = f;
  const progress = (cursor: string): TimerOutcome<FanoutPayload> => ({ again: { dueAt: s.now(), payload: { ...key, cursor, hidden: f.hidden, totals } } });
  // Where the earliest chunk not yet finished begins: a run cut short resumes there (members settled meanwhile are not
  // claimed again). `users`: the next chunk's members; null when not read yet (more may remain).
  let cursor = from;
  let users: readonly string[] | null = await f.page(from);
  let spent = 0;
  let out: Running | null = null;
  for (let k = 0; ; k++) {
    let next: Running | null = null;
    let stop: "gone" | { error: unknown } | null = null;
    if (users?.length && runGoesOn(k, spent + (out ? WORST_CHUNK : 0))) {
      try {
        // A later chunk first checks its occurrence still stands (cancelled or moved: the new plan has its own items).
        if (k > 0 && !(await findReminderOccurrence(s, key.guild_id, key.event_id, key.start_at, "bulk"))) stop = "gone";
        else next = await startChunk(f, users, k === 0 ? slotDeadline : undefined, k + 1 < CHUNKS_PER_RUN);
      } catch (error) {
        if (!out) throw error;
        stop = { error };
      }
    }
    if (out) {
      // The chunk before finishes while this one's DMs wait for their slots.
      const done = await outcome(out.done);
      if ("error" in done || done.value.deferredUntil) return stopRun(f, { out, done, next, cursor, first: k === 1 });
      cursor = out.users.at(-1) as string;
      spent += done.value.subrequests;
    }
    if (stop === "gone") return undefined;
    if (stop) {
      failed(f, stop.error);
      return progress(cursor);
    }
    if (!next) return users === null || users.length > 0 ? progress(cursor) : undefined;
    out = next;
    const page = out.users.length < CHUNK ? { value: [] } : await outcome(out.next ?? Promise.resolve(null));
    // A failed read of the next members ends the run once this chunk is done (the next run reads them again).
    if ("error" in page) failed(f, page.error);
    users = "error" in page ? null : page.value;
  }
}

/**
 * The run's end when a chunk failed or the budget put it off, with the chunk after it (already under way) finished
 * first: its outcome is counted and the members it settled are not claimed again by the next run, which starts at
 * the chunk that stopped.
 */
async function stopRun(
  f: Fan,
  r: { out: Running; done: { value: ChunkResult } | { error: unknown }; next: Running | null; cursor: string; first: boolean },
): Promise<TimerOutcome<FanoutPayload>> {
  const { s, key, totals } = f;
  const after = r.next ? await outcome(r.next.done) : null;
  const payload = { ...key, cursor: r.cursor || undefined, hidden: f.hidden, totals };
  if (after && "error" in after) failed(f, after.error);
  if ("error" in r.done) {
    // The first chunk of the run failing is the item's failure (retried with backoff), unless the chunk after it
    // settled members: then the run's counts are kept and the item runs again after the same backoff.
    if (r.first && !(after && "value" in after && after.value.settled > 0)) throw r.done.error;
    failed(f, r.done.error);
    return { again: { dueAt: r.first ? s.now() + backoffMs(1) : s.now(), payload } };
  }
  const until = Math.max(r.done.value.deferredUntil, (after && "value" in after && after.value.deferredUntil) || 0);
  return { again: { dueAt: until, payload: { ...payload, slot_deadline: r.out.lateAt } } };
}

function failed(f: Fan, error: unknown): void {
  logger.warn("reminders.fanout_chunk_failed", { guild_id: f.key.guild_id, event_id: f.key.event_id, offset: f.key.offset_s, error });
}
/** A chunk whose members are claimed and whose DMs are going out. */
interface Running {
  users: readonly string[];
  /** The next chunk's members, read while this one goes out (null: the run stops after this chunk). */
  next: Promise<string[]> | null;
  /** Its DMs' slots come no later than this. */
  lateAt: number;
  /** Its DMs' end, counted into the run's totals. */
  done: Promise<ChunkResult>;
}

interface ChunkResult {
  deferredUntil: number;
  subrequests: number;
  /** Members whose outcome it recorded. */
  settled: number;
}

async function outcome<T>(p: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

/** Claims one chunk's members and starts sending to them (or skipping them, too late); returns once they are claimed. */
async function startChunk(f: Fan, users: readonly string[], slotDeadline: number | undefined, readNext: boolean): Promise<Running> {
  const { s, key, totals } = f;
  const at = s.now();
  const claimed = await claim(s.env.DB, { ...key, event_name: f.ev.name }, users, at);
  const mine = await settleUnconfirmed(s, key, claimed, at, f.mode, totals);
  const last = users.at(-1);
  const next = readNext && users.length === CHUNK && last !== undefined ? f.page(last) : null;
  next?.catch(() => undefined); // awaited by the caller; a run that stops first leaves its failure unread
  const lateAt = slotDeadline ?? chunkDeadline(f.due, at);
  const done = sendClaimed(f, mine, lateAt);
  done.catch(() => undefined); // awaited by the caller, once the next chunk has started
  return { users, next, lateAt, done };
}

async function sendClaimed(f: Fan, mine: readonly Pending[], lateAt: number): Promise<ChunkResult> {
  const { s, key, totals } = f;
  if (f.mode === "skip") {
    const reason = `late by ${Math.round((s.now() - f.due) / 1000)} s`;
    await settle(
      s.env.DB,
      key,
      mine.map(({ user_id }) => ({ user_id, status: "skipped", reason })),
      s.now(),
    );
    totals.skipped += mine.length;
    return { deferredUntil: 0, subrequests: SUBREQUESTS_PER_CHUNK, settled: mine.length };
  }
  const c = await deliver(s, key, mine, reminderEmbed(f.ev, key.offset_s), lateAt);
  totals.sent += c.sent;
  totals.failed += c.failed;
  totals.retry += c.retry;
  totals.skipped += c.skipped;
  // The budget is full for a while: this chunk's unsent members stay claimed; the item runs again then.
  return { deferredUntil: c.deferredUntil, subrequests: c.subrequests, settled: c.sent + c.failed + c.retry + c.skipped };
}
