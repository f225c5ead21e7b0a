/** Reminder delivery on the event's timer: one item per offset fans out in paced chunks, exactly once per member. */

import { roleMention, TimestampStyles, time } from "@discordjs/formatters";
import { AllowedMentionsTypes } from "discord-api-types/v10";
import { everyoneCanView } from "../../discord/channel-access";
import { sendDm } from "../../discord/dm";
import { gatedServices } from "../../discord/gated";
import { type Intent, postOnce, settleWithoutPosting } from "../../discord/post-once";
import { BudgetDeferred } from "../../discord/rate-gate";
import type { TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { backoffMs } from "../../timers/agenda";
import type { TimerOutcome } from "../../timers/kinds";
import type { TimerPayloads } from "../../timers/payloads";
import { liveEventRole } from "../event-channels/role-query";
import { isMatchEvent } from "../tournaments/league-query";
import { findReminderOccurrence } from "./event-lookup";
import { chunkDeadline, onTime, startFanout } from "./fanout-start";
import { type EventInfo, formatOffset, reminderEmbed } from "./offsets";
import { listTypes, matchingTypes, type ReminderSettings, readReminderSettings } from "./settings";
import { claim, type DeliveryKey, type Pending, pendingRetries, recipients, type Settled, settle } from "./storage";
import { deliveryKeyPayload, fanoutPayload, retryPayload } from "./timer-payloads";
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
const MAX_DM_ATTEMPTS = 3;

type FanoutPayload = TimerPayloads["reminders.dm"];

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
async function deliver(
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

async function finish(s: Services, key: DeliveryKey, totals: NonNullable<FanoutPayload["totals"]>, name: string, timerName: string): Promise<void> {
  const ctx = { guildId: key.guild_id };
  await s.bus.emit("reminder.sent", { event_id: key.event_id, name, offset: formatOffset(key.offset_s), ...totals }, ctx);
  const attempted = totals.sent + totals.failed + totals.retry;
  if (attempted >= 4 && totals.retry + totals.failed > attempted / 2) {
    // Most sends failing is not about members' DM settings: Discord or the bot is in trouble.
    await s.bus.emit("reminder.failed", { event_id: key.event_id, name, offset: formatOffset(key.offset_s), ...totals }, ctx);
  }
  if (totals.retry > 0) {
    await s.timer(timerName).schedule(`dm:${key.offset_s}:retry`, s.now() + backoffMs(1), "reminders.retry", { ...key, round: 1 });
  }
}

/**
 * Deliveries an earlier attempt may have sent outside the nonce window are settled from the DM channel and
 * counted; the rest are returned for this attempt to send (or skip).
 */
async function settleUnconfirmed(
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

const fanout: TimerAction<"reminders.dm"> = {
  kind: "reminders.dm",
  payload: fanoutPayload,
  // Every call of a fan-out (the channel's visibility, an unconfirmed send's check, each DM) is bulk work.
  lane: "bulk",
  async run(item, { services: s, timerName }) {
    const p = item.payload;
    // Its occurrence rescheduled or cancelled since: the new plan has its own items. A recurring event moving on to
    // its next occurrence mid fan-out is neither: the occurrence this fan-out belongs to took place.
    const ev = await findReminderOccurrence(s, p.guild_id, p.event_id, p.start_at, "bulk");
    if (!ev) return;
    const key: DeliveryKey = { guild_id: p.guild_id, event_id: p.event_id, start_at: p.start_at, offset_s: p.offset_s };
    const due = p.start_at - p.offset_s * 1000;
    // Judged once, when the fan-out begins: a chunk cut by a restart and retried later, or the next chunk, is not
    // judged again against a clock that has moved on (it would drop members of a fan-out that began on time).
    const started = await startFanout(s.env.DB, key, "dm", s.now(), p.mode ? p.mode === "send" : onTime(due, s.now()));
    const mode = started.onTime ? "send" : "skip";
    const [settings, types, isMatch] = await Promise.all([
      readReminderSettings(s.env.DB, p.guild_id),
      listTypes(s.env.DB, p.guild_id),
      isMatchEvent(s.env.DB, p.guild_id, p.event_id),
    ]);
    // Read once per fan-out: a subscription by type never reveals an event in a channel the member may not see.
    const hidden = p.hidden ?? (ev.channel_id ? !(await everyoneCanView(s.discord, p.guild_id, ev.channel_id, s.now())) : false);
    const page = (cursor: string) =>
      recipients(s.env.DB, {
        guildId: p.guild_id,
        eventId: p.event_id,
        types: hidden ? [] : matchingTypes(types, ev.name, isMatch),
        offset: p.offset_s,
        defaultsInclude: settings.default_offsets.includes(p.offset_s),
        interested: settings.interested_enabled,
        cursor,
        limit: CHUNK,
      });
    const fan: Fan = { s, key, ev, mode, due, hidden, page, totals: { sent: 0, failed: 0, skipped: 0, retry: 0, ...p.totals } };
    const outcome = await sendChunks(fan, p.cursor ?? "", p.slot_deadline);
    if (outcome) return outcome;
    const { totals } = fan;
    if (totals.sent + totals.failed + totals.skipped + totals.retry > 0) await finish(s, key, totals, ev.name, timerName);
    if (mode === "skip" && totals.skipped)
      logger.warn("reminders.skipped_late", { guild_id: p.guild_id, event_id: p.event_id, offset: p.offset_s, skipped: totals.skipped });
  },
};

/** One fan-out run's fixed parts: who it is for, how it goes, and the page query. */
interface Fan {
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
 * Up to CHUNKS_PER_RUN chunks, the next chunk's members read while the current chunk's DMs go out: a run per chunk
 * left the budget idle while each next alarm started, read and claimed. Returns the item's next run, or nothing
 * when the fan-out is done. Members are claimed only as their chunk's turn comes (a claimed member is one the
 * fan-out may have sent to).
 */
async function sendChunks(f: Fan, from: string, slotDeadline: number | undefined): Promise<TimerOutcome<FanoutPayload> | undefined> {
  const { s, key, totals } = f;
  const progress = (cursor: string): TimerOutcome<FanoutPayload> => ({ again: { dueAt: s.now(), payload: { ...key, cursor, hidden: f.hidden, totals } } });
  let cursor = from;
  let users = await f.page(cursor);
  let spent = 0;
  for (let k = 0; ; k++) {
    let chunk: ChunkResult;
    try {
      // A later chunk of the run first checks its occurrence still stands (cancelled or moved: the new plan has its own items).
      if (k > 0 && !(await findReminderOccurrence(s, key.guild_id, key.event_id, key.start_at, "bulk"))) return undefined;
      chunk = await sendChunk(f, users, k === 0 ? slotDeadline : undefined, k + 1 < CHUNKS_PER_RUN);
    } catch (error) {
      // What earlier chunks of this run did is kept (cursor and counts): the retry starts at this chunk.
      if (k > 0) {
        logger.warn("reminders.fanout_chunk_failed", { guild_id: key.guild_id, event_id: key.event_id, offset: key.offset_s, error });
        return progress(cursor);
      }
      throw error;
    }
    if (chunk.deferredUntil)
      return { again: { dueAt: chunk.deferredUntil, payload: { ...key, cursor: cursor || undefined, hidden: f.hidden, totals, slot_deadline: chunk.lateAt } } };
    const last = users.at(-1);
    if (users.length < CHUNK || last === undefined) return undefined;
    cursor = last;
    spent += chunk.subrequests;
    if (!chunk.next || !runGoesOn(k + 1, spent)) return progress(cursor);
    users = await chunk.next;
  }
}

interface ChunkResult {
  /** The next chunk's members, read while this one's DMs went out (null: the run stops after this chunk). */
  next: Promise<string[]> | null;
  deferredUntil: number;
  lateAt: number;
  subrequests: number;
}

/** Claims one chunk's members, sends to them (or skips them, too late) and counts the outcome into the run's totals. */
async function sendChunk(f: Fan, users: readonly string[], slotDeadline: number | undefined, readNext: boolean): Promise<ChunkResult> {
  const { s, key, totals } = f;
  const at = s.now();
  const claimed = await claim(s.env.DB, { ...key, event_name: f.ev.name }, users, at);
  const mine = await settleUnconfirmed(s, key, claimed, at, f.mode, totals);
  const last = users.at(-1);
  const next = readNext && users.length === CHUNK && last !== undefined ? f.page(last) : null;
  next?.catch(() => undefined); // awaited by the caller; a run that stops first leaves its failure unread
  const lateAt = slotDeadline ?? chunkDeadline(f.due, at);
  if (f.mode === "skip") {
    const reason = `late by ${Math.round((s.now() - f.due) / 1000)} s`;
    await settle(
      s.env.DB,
      key,
      mine.map(({ user_id }) => ({ user_id, status: "skipped", reason })),
      s.now(),
    );
    totals.skipped += mine.length;
    return { next, deferredUntil: 0, lateAt, subrequests: SUBREQUESTS_PER_CHUNK };
  }
  const c = await deliver(s, key, mine, reminderEmbed(f.ev, key.offset_s), lateAt);
  totals.sent += c.sent;
  totals.failed += c.failed;
  totals.retry += c.retry;
  totals.skipped += c.skipped;
  // The budget is full for a while: this chunk's unsent members stay claimed; the item runs again then.
  return { next, deferredUntil: c.deferredUntil, lateAt, subrequests: c.subrequests };
}

/** Members whose DM hit a 429/5xx/timeout get it again with backoff, up to three attempts in all. */
const retry: TimerAction<"reminders.retry"> = {
  kind: "reminders.retry",
  payload: retryPayload,
  lane: "bulk",
  async run(item, { services: s, timerName }) {
    const p = item.payload;
    const ev = await findReminderOccurrence(s, p.guild_id, p.event_id, p.start_at, "bulk");
    if (!ev) return;
    const key: DeliveryKey = { guild_id: p.guild_id, event_id: p.event_id, start_at: p.start_at, offset_s: p.offset_s };
    const users = await pendingRetries(s.env.DB, key, CHUNK);
    const doubtful = { sent: 0, failed: 0, skipped: 0, retry: 0 };
    const rest = await settleUnconfirmed(s, key, users, s.now(), "send", doubtful);
    // A retry is late by design (backoff): its deadline is the retry window, not the reminder's offset.
    const c = await deliver(s, key, rest, reminderEmbed(ev, p.offset_s), Number.POSITIVE_INFINITY);
    if (c.deferredUntil) return { again: { dueAt: c.deferredUntil, payload: p } };
    if (users.length === CHUNK) return { again: { dueAt: s.now(), payload: p } };
    if (c.retry + doubtful.retry > 0)
      await s.timer(timerName).schedule(`dm:${p.offset_s}:retry`, s.now() + backoffMs(p.round + 1), "reminders.retry", { ...key, round: p.round + 1 });
  },
};

/** The channel post of a reminder: mentions the event role when the event-channels feature made one. */
async function channelIntent(s: Services, key: string, p: DeliveryKey, ev: EventInfo, settings: ReminderSettings & { channel_id: string }): Promise<Intent> {
  const role = { role_id: await liveEventRole(s.env.DB, p.guild_id, p.event_id, p.start_at).catch(() => null) };
  const mention = role?.role_id ? `${roleMention(role.role_id)} ` : settings.channel_everyone ? "@everyone " : "";
  const t = Math.floor(ev.start_at / 1000);
  const content =
    p.offset_s === 0
      ? `${mention}**${ev.name}** is starting now!`
      : `${mention}**${ev.name}** starts ${time(t, TimestampStyles.RelativeTime)} (${time(t, TimestampStyles.ShortTime)}).`;
  return {
    key,
    guildId: p.guild_id,
    channelId: settings.channel_id,
    body: {
      content,
      embeds: [reminderEmbed(ev, p.offset_s)],
      allowed_mentions: role?.role_id ? { roles: [role.role_id] } : settings.channel_everyone ? { parse: [AllowedMentionsTypes.Everyone] } : { parse: [] },
    },
  };
}

/** How much later than a first attempt a channel post's retry after a failure may still go out. */
const RETRY_GRACE_MS = 4 * 60_000;

/** The optional channel post at T−1h and T−0, replacing the previous one for the event; posted once across retries. */
const channelPost: TimerAction<"reminders.channel"> = {
  kind: "reminders.channel",
  payload: deliveryKeyPayload,
  // One post at the reminder's offset: time-critical, ahead of bulk and background work.
  lane: "critical",
  async run(item, { services: s }) {
    const p = item.payload;
    const due = p.start_at - p.offset_s * 1000;
    const [ev, settings] = await Promise.all([
      findReminderOccurrence(s, p.guild_id, p.event_id, p.start_at, "critical"),
      readReminderSettings(s.env.DB, p.guild_id),
    ]);
    if (!ev || !settings.channel_id) return;
    const key = `rm-channel:${p.guild_id}:${p.event_id}:${p.start_at}:${p.offset_s}`;
    // Judged on every run against the reminder's own time, not once: a run the REST budget put off more than a minute
    // past it posts nothing new. A retry after a failed attempt (backoff 30 s, 60 s, …) has a few minutes' grace, so
    // two 5xx in a row do not lose the post. A post an earlier attempt may have made is looked for and finished.
    const late = !onTime(due, s.now() - (item.attempts > 0 ? RETRY_GRACE_MS : 0));
    const previous = await s.env.DB.prepare("SELECT channel_id, message_id FROM reminder_channel_posts WHERE guild_id = ? AND event_id = ?")
      .bind(p.guild_id, p.event_id)
      .first<{ channel_id: string; message_id: string }>();
    const posted = late
      ? await settleWithoutPosting(s, key)
      : await postOnce(s, await channelIntent(s, key, p, ev, { ...settings, channel_id: settings.channel_id }));
    if (!posted?.messageId) {
      if (late) logger.warn("reminders.channel_skipped_late", { guild_id: p.guild_id, event_id: p.event_id, offset: p.offset_s, late_ms: s.now() - due });
      return;
    }
    if (!posted.messageId || previous?.message_id === posted.messageId) return;
    // The previous post goes before the record moves on, so a crash in between leaves it findable, not forgotten.
    if (previous)
      await s.api.channels.deleteMessage(previous.channel_id, previous.message_id).catch((error: unknown) => {
        // No slot yet: the item runs again when the budget has room (the post is found, the old one deleted then).
        if (error instanceof BudgetDeferred) throw error;
      });
    await s.env.DB.prepare(
      "INSERT INTO reminder_channel_posts (guild_id, event_id, channel_id, message_id) VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, event_id) DO UPDATE SET channel_id = excluded.channel_id, message_id = excluded.message_id",
    )
      .bind(p.guild_id, p.event_id, posted.channelId, posted.messageId)
      .run();
  },
};

export const timerKinds: TimerAction[] = [fanout, retry, channelPost];
