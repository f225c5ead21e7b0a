/**
 * Fans a periodic job out to per-guild timers: the cron only arms a cursor on the job's own timer, and that timer
 * enqueues the guilds a page at a time (a bounded number of timer calls per invocation, pages spaced out), each
 * guild's work then running on the guild's own timer. It knows nothing about what the job does.
 */
import * as z from "zod";
import type { CronTrigger } from "./cron-triggers";
import type { CronJob, TimerAction } from "./feature";
import { logger } from "./log";
import type { Services } from "./services";

/** Where a round of the fan-out is: the cron's time (the run's "now" for every guild), the last guild, the count. */
const cursorPayload = z.object({ round: z.number(), after: z.string(), queued: z.number().int().nonnegative() });
type Cursor = z.infer<typeof cursorPayload>;

declare module "./timers/payloads" {
  interface TimerPayloads {
    [fanOut: `fanout.${string}`]: z.infer<typeof cursorPayload>;
  }
}

/** Guilds enqueued per invocation of the fan-out timer (one D1 read and this many timer calls). */
export const FAN_OUT_PAGE = 100;
/**
 * Between two pages: 10,000 guilds are enqueued over 400 s, their runs spread over that time (25 guilds a second).
 * At 100 a second, the three hourly jobs together started ~230 guild runs in a second: their D1 queries (one
 * database answers one query at a time) stalled every other tenant's work for 2–3 s.
 */
export const FAN_OUT_PAGE_GAP_MS = 4_000;
/**
 * A round starts this long after its cron fires. The cron's minute belongs to the time-critical steps due then
 * (events start on the hour, so their channels and reminders are due at :00): enqueuing and running every guild's
 * background work in the same seconds held them up for D1 and Durable Objects, which no REST lane governs.
 */
export const FAN_OUT_START_DELAY_MS = 30_000;
/**
 * A page's guilds run from this long after the page is enqueued: enqueuing 100 guilds' timers takes a while, and runs
 * due before it ended all started together when it did (a burst that stalled the isolate's other work).
 */
export const FAN_OUT_PAGE_LEAD_MS = 1_000;
/** Jobs on the same cron start their rounds up to this much apart (by name), so their first pages do not coincide. */
export const FAN_OUT_STAGGER_MS = 20_000;

/** A job's fixed offset inside the stagger window, from its name. */
export function staggerOf(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h % FAN_OUT_STAGGER_MS;
}

export interface GuildFanOutSpec<R extends { guild_id: string }> {
  /** The cron job's name (recorded in `cron_runs`); the fan-out's timer is `fanout:{name}`. */
  name: string;
  cron: CronTrigger;
  /** The next guilds after `after` (guild-id order, ascending), at most `limit`. */
  page(s: Services, after: string, limit: number, round: number): Promise<R[]>;
  /** Queues one guild's run on the guild's own timer, due at `dueAt` (or a time of its own choosing). */
  enqueue(s: Services, row: R, dueAt: number, round: number): Promise<unknown>;
  /** Work of the job that is not per guild (bounded by itself), done by the cron invocation. */
  global?(s: Services, round: number): Promise<unknown>;
  /** The timer kinds of the per-guild runs, registered with the job. */
  guildKinds?: TimerAction[];
  pageSize?: number;
  pageGapMs?: number;
}

/** Guilds enqueued between two yields to the rest of the isolate (see yieldToOthers). */
export const ENQUEUE_SLICE = 5;
/**
 * Lets the isolate's other work run: a chain of calls to other Durable Objects in the same process never waits on
 * the network, so without a timer in between it holds the thread until the whole page is enqueued.
 */
const yieldToOthers = () => new Promise((r) => setTimeout(r, 0));

export const fanOutTimer = (name: string) => `fanout:${name}`;
const kindOf = (name: string): `fanout.${string}` => `fanout.${name}`;

/**
 * When each guild of a page runs, in page order: at the fan-out's steady pace (a full page spread over the gap
 * before the next one), so a short last page, or a job with few guilds, is not stretched over the whole gap.
 */
export function pageDueTimes(start: number, count: number, gapMs: number, pageSize: number): number[] {
  return Array.from({ length: count }, (_, i) => start + Math.floor((i * gapMs) / Math.max(1, pageSize)));
}

/** The cron job (it only arms the cursor) and, on it, the timer kind that pages through the guilds. */
export function guildFanOut<R extends { guild_id: string }>(spec: GuildFanOutSpec<R>): CronJob {
  const pageSize = spec.pageSize ?? FAN_OUT_PAGE;
  const gap = spec.pageGapMs ?? FAN_OUT_PAGE_GAP_MS;
  const kind: TimerAction<`fanout.${string}`> = {
    kind: kindOf(spec.name),
    payload: cursorPayload,
    async run(item, { services: s, now }) {
      const cursor = item.payload;
      const rows = await spec.page(s, cursor.after, pageSize, cursor.round);
      const due = pageDueTimes(now + FAN_OUT_PAGE_LEAD_MS, rows.length, gap, pageSize);
      for (const [i, row] of rows.entries()) {
        await spec.enqueue(s, row, due[i] as number, cursor.round);
        if ((i + 1) % ENQUEUE_SLICE === 0) await yieldToOthers();
      }
      const queued = cursor.queued + rows.length;
      const last = rows.at(-1);
      if (rows.length === pageSize && last) return { again: { dueAt: now + gap, payload: { round: cursor.round, after: last.guild_id, queued } } };
      logger.info("fan_out.done", { job: spec.name, guilds: queued, round: cursor.round });
      return undefined;
    },
  };
  return {
    name: spec.name,
    cron: spec.cron,
    timerKinds: [kind, ...(spec.guildKinds ?? [])],
    async run(s, scheduledTime) {
      await spec.global?.(s, scheduledTime);
      // One timer call, whatever the number of guilds; a round still paging when the next cron fires starts over.
      const start: Cursor = { round: scheduledTime, after: "", queued: 0 };
      await s.timer(fanOutTimer(spec.name)).schedule("round", s.now() + FAN_OUT_START_DELAY_MS + staggerOf(spec.name), kindOf(spec.name), start);
    },
  };
}
