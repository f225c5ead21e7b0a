/**
 * RateGate: one Durable Object every isolate asks before a burst of REST calls, so fan-outs from many alarms
 * together stay under Discord's global limit (50 requests/s per bot) instead of drawing 429s.
 */

export interface Reservation {
  /** When the first call may start (epoch ms). */
  start: number;
  /** Spacing between calls: evenly spread, so any one-second window holds at most `perSecond`. */
  interval: number;
}

export interface RateGate {
  reserve(n: number, perSecond: number): Promise<Reservation>;
}

export function rateGate(ns: { getByName(name: string): unknown }, name = "discord-global"): RateGate {
  return ns.getByName(name) as RateGate;
}

/** Discord's global limit: no more than this many requests in any one second. */
export const GLOBAL_LIMIT_PER_SECOND = 50;
/**
 * Calls start in groups of 5, groups at least 100 ms apart: any one-second window then holds at most 10 groups,
 * 50 calls, however late the timers fire (they fire late, never early). One timer per group, not per call,
 * keeps timer lateness from eating into the rate.
 */
const GROUP = 5;
const MIN_GROUP_GAP_MS = (GROUP * 1000) / GLOBAL_LIMIT_PER_SECOND;

/**
 * Runs `task(i)` for each slot of a reservation, all in flight together, and says when the last group started
 * (the caller's next batch passes it as `notBefore`, so the bound holds across batches too).
 */
export async function paced<T>(r: Reservation, count: number, task: (i: number) => Promise<T>, notBefore = 0): Promise<{ results: T[]; lastGroupAt: number }> {
  const running: Promise<T>[] = [];
  let last = notBefore ? notBefore : Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i += GROUP) {
    const at = Math.max(r.start + i * r.interval, last + MIN_GROUP_GAP_MS);
    const wait = at - Date.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    last = Date.now();
    for (let j = i; j < Math.min(count, i + GROUP); j++) running.push(task(j));
  }
  return { results: await Promise.all(running), lastGroupAt: last === Number.NEGATIVE_INFINITY ? 0 : last };
}

/** Waits for the i-th slot of a reservation, for callers that make their calls one after another. */
export async function untilSlot(r: Reservation, i: number): Promise<void> {
  const wait = r.start + i * r.interval - Date.now();
  if (wait > 0) await new Promise((res) => setTimeout(res, wait));
}
