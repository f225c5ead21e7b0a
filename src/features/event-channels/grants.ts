/**
 * Who holds an event's role, kept in step with who is Interested: the grants after creation (a few members per
 * recorded step), single members (un)marking Interested, and a full re-read after a fresh gateway session.
 */
import { DiscordApiError } from "../../discord/errors";
import type { TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import type { TimerOutcome } from "../../timers/kinds";
import { giveRole, gone, interestedPage, interestedUsers } from "./actions";
import { confirmGrants, forgetHolders, grantedAmong, holdersPage, intendGrants, listHolders } from "./holders";
import { isOccurrenceKey } from "./occurrences";
import { type EventRecord, getEvent, liveEvents, updateEvent } from "./storage";
import { ref, timerOf } from "./timeline";
import { eventRefPayload, grantPayload, memberPayload } from "./timer-payloads";

/** Grants confirmed per D1 write: a failure or an eviction repeats at most this many PUTs per lane (all idempotent). */
export const GRANT_BATCH = 10;
/** Grants in flight at once: a slow or hung PUT holds only its own lane, not every later grant of the event. */
export const GRANT_LANES = 5;
/** Like cleanups: retried for about a day (backoff capped at an hour), so a long Discord outage still ends with every grant. */
export const GRANT_ATTEMPTS = 30;

/** An event whose role is the bot's own and whose channels are live: the only role the bot hands out or takes back. */
function ownLiveRole(rec: EventRecord | null): rec is EventRecord & { role_id: string } {
  return rec?.state === "live" && !!rec.role_id && rec.role_created;
}

type LaneRun = { done: number; failure?: { error: unknown } };

/**
 * Runs `work` for each item, GRANT_LANES at a time, handing what succeeded to `record` GRANT_BATCH at a time. After a
 * failure no new item starts: those in flight end, what succeeded is recorded, and the first failure is returned.
 */
async function inLanes(items: readonly string[], work: (id: string) => Promise<unknown>, record: (ids: string[]) => Promise<void>): Promise<LaneRun> {
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  let finished: string[] = [];
  const flush = async () => {
    const part = finished;
    finished = [];
    if (part.length) await record(part);
    done += part.length;
  };
  const lane = async () => {
    try {
      while (!failure && next < items.length) {
        const id = items[next++] as string;
        await work(id);
        finished.push(id);
        if (finished.length >= GRANT_BATCH) await flush();
      }
    } catch (error) {
      failure ??= { error };
    }
  };
  await Promise.all(Array.from({ length: Math.min(GRANT_LANES, items.length) }, lane));
  await flush();
  return { done, failure };
}

/** Gives the role to each member side by side (inLanes); each grant is recorded before its call and confirmed after it. */
async function grantAll(s: Services, rec: EventRecord & { role_id: string }, userIds: readonly string[]): Promise<LaneRun> {
  if (!userIds.length) return { done: 0 };
  await intendGrants(s.env.DB, rec.guild_id, rec.event_id, userIds);
  return inLanes(
    userIds,
    (id) => giveRole(s, rec.guild_id, rec.role_id, id),
    (ids) => confirmGrants(s.env.DB, rec.guild_id, rec.event_id, ids),
  );
}

/** Takes the role back from each member side by side (already gone is fine) and forgets them as holders. */
function takeBackAll(s: Services, rec: EventRecord & { role_id: string }, userIds: readonly string[]): Promise<LaneRun> {
  return inLanes(
    userIds,
    (id) => gone(s.api.guilds.removeMemberRole(rec.guild_id, id, rec.role_id, { reason: "No longer interested" })),
    (ids) => forgetHolders(s.env.DB, rec.guild_id, rec.event_id, ids),
  );
}

/** Throws a lane run's failure. */
function orThrow(run: LaneRun): void {
  if (run.failure) throw run.failure.error;
}

/**
 * Who is to hold the record's role, a page after the cursor: the event's Interested members; for an ended occurrence
 * (`{event}@{start}`, an id Discord does not know) the members recorded as holding its role, since the series'
 * Interested list is the next occurrence's now.
 */
function wantedPage(s: Services, rec: EventRecord): Promise<string[]> {
  if (isOccurrenceKey(rec.event_id)) return holdersPage(s.env.DB, rec.guild_id, rec.event_id, rec.grant_cursor);
  return interestedPage(s, rec.guild_id, rec.event_id, rec.grant_cursor);
}

/**
 * One page of Interested members after the cursor, given the role side by side (grantAll), the cursor written after
 * the page: a failure, a restart or an eviction repeats only the grants not yet confirmed. A run that confirmed some
 * before failing goes on at once; only a run that made no progress counts as a failed attempt.
 */
const grant: TimerAction<"ec.grant"> = {
  kind: "ec.grant",
  payload: grantPayload,
  lane: "bulk",
  maxAttempts: GRANT_ATTEMPTS,
  async run(item, { services: s }): Promise<TimerOutcome> {
    const p = item.payload;
    const rec = await getEvent(s.env.DB, p.guild_id, p.event_id);
    // A role the bot did not make (adopted by name before 0014) is never handed out.
    if (!ownLiveRole(rec)) return;
    const page = await wantedPage(s, rec);
    const held = await grantedAmong(s.env.DB, rec.guild_id, rec.event_id, page);
    const { done: confirmed, failure } = await grantAll(
      s,
      rec,
      page.filter((u) => !held.has(u)),
    );
    if (failure) {
      const error = failure.error;
      if (!confirmed || !(error instanceof DiscordApiError) || !error.transient) throw error;
      logger.warn("event_channels.grant_interrupted", { guild_id: rec.guild_id, event_id: rec.event_id, confirmed, error });
      return { again: { dueAt: s.now() } };
    }
    if (page.length) await updateEvent(s.env.DB, rec.guild_id, rec.event_id, { grant_cursor: page.at(-1) ?? null }, s.now());
    return page.length === 100 ? { again: { dueAt: s.now() } } : undefined;
  },
};

/** A member marked or unmarked "Interested" after the channels exist. */
const member: TimerAction<"ec.member"> = {
  kind: "ec.member",
  payload: memberPayload,
  lane: "bulk",
  async run(item, { services: s }) {
    const p = item.payload;
    const rec = await getEvent(s.env.DB, p.guild_id, p.event_id);
    if (!ownLiveRole(rec)) return;
    orThrow(await (p.add ? grantAll : takeBackAll)(s, rec, [p.user_id]));
  },
};

/**
 * The Interested list read again in full (a USER_ADD/REMOVE may have been lost with a gateway session): the role
 * is taken from holders no longer Interested and given to the Interested who do not hold it yet.
 */
const resync: TimerAction<"ec.resync"> = {
  kind: "ec.resync",
  payload: eventRefPayload,
  lane: "bulk",
  maxAttempts: GRANT_ATTEMPTS,
  async run(item, { services: s }) {
    const p = item.payload;
    const rec = await getEvent(s.env.DB, p.guild_id, p.event_id);
    if (rec?.state === "live" && !rec.role_id && rec.role_created && (rec.text_id || rec.voice_ids.length)) {
      // The role was deleted by hand and its GUILD_ROLE_DELETE handled only in part: make it again.
      await timerOf(s, rec).schedule("restore-role", s.now(), "ec.restore_role", ref(rec));
      return;
    }
    if (!ownLiveRole(rec)) return;
    const holders = await listHolders(s.env.DB, rec.guild_id, rec.event_id);
    // An ended occurrence keeps the members who held its role: the series' Interested list is the next occurrence's.
    const interested = new Set(isOccurrenceKey(rec.event_id) ? holders.map((h) => h.user_id) : await interestedUsers(s, rec.guild_id, rec.event_id));
    const leaving = holders.filter((h) => !interested.has(h.user_id)).map((h) => h.user_id);
    orThrow(await takeBackAll(s, rec, leaving));
    // Unconfirmed grants are given again (the PUT is idempotent); confirmed ones are left alone.
    const granted = new Set(holders.filter((h) => h.granted).map((h) => h.user_id));
    const missing = [...interested].filter((u) => !granted.has(u));
    orThrow(await grantAll(s, rec, missing));
    logger.info("event_channels.resynced", {
      guild_id: rec.guild_id,
      event_id: rec.event_id,
      interested: interested.size,
      granted: missing.length,
      taken_back: leaving.length,
    });
  },
};

/**
 * After a fresh IDENTIFY (the guild's GUILD_CREATE): each of the guild's live events re-reads its Interested list on
 * its own timer, since dispatches of the old session may be lost. Cheap on the dispatch path: one query, one
 * schedule per live event.
 */
export async function queueInterestResync(s: Services, guildId: string): Promise<void> {
  for (const rec of await liveEvents(s.env.DB, guildId)) {
    await timerOf(s, rec).schedule("resync", s.now(), "ec.resync", ref(rec));
  }
}

export const grantKinds: TimerAction[] = [grant, member, resync];
