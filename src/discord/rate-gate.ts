/**
 * RateGate: one Durable Object every isolate asks before a burst of REST calls, so fan-outs from many alarms
 * together stay under Discord's global limit (50 requests/s per bot) instead of drawing 429s.
 */
import { DurableObject } from "cloudflare:workers";

export interface Reservation {
  /** When the first call may start (epoch ms). */
  start: number;
  /** Spacing between calls: evenly spread, so any one-second window holds at most `perSecond`. */
  interval: number;
}

export class RateGateObject<E> extends DurableObject<E> {
  /** The first free slot; kept in memory (a fresh object starts at "now", which is only ever later). */
  private next = 0;

  /** Reserves `n` evenly spaced slots at `perSecond`. */
  async reserve(n: number, perSecond: number): Promise<Reservation> {
    const interval = 1000 / Math.max(1, perSecond);
    const start = Math.max(Date.now(), this.next);
    this.next = start + Math.max(0, n) * interval;
    return { start, interval };
  }
}

export interface RateGate {
  reserve(n: number, perSecond: number): Promise<Reservation>;
}

export function rateGate(ns: { getByName(name: string): unknown }, name = "discord-global"): RateGate {
  return ns.getByName(name) as RateGate;
}

/** Runs `task(i)` for each slot of a reservation, each no earlier than its slot, all in flight together. */
export async function paced<T>(r: Reservation, count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const wait = r.start + i * r.interval - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      return task(i);
    }),
  );
}
