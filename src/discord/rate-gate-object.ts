/** The RateGate Durable Object (kept apart from the client helpers so Node scripts can load the feature graph). */
import { DurableObject } from "cloudflare:workers";
import type { Reservation } from "./rate-gate";

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
