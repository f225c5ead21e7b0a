/**
 * The RateGate's waiting room: a request the budget cannot serve yet waits in the gate instead of its caller polling
 * the gate, and whenever slots come within reach the waiting requests are served by lane (most urgent first) and
 * oldest first inside a lane, so a free slot goes to bulk work before background work, whoever asked last.
 */
import { type BudgetScheduler, type Grant, LANES, type Lane, type SlotRequest } from "./budget";

/** The longest a request waits in the gate: a caller willing to wait longer asks again. */
export const MAX_HOLD_MS = 10_000;

type Refusal = Extract<Grant, { ok: false }>;

interface Waiting {
  req: SlotRequest;
  /** When it stops waiting: then it is answered with its last refusal (when to ask again). */
  until: number;
  /** Its last refusal: the budget cannot serve it before `retryAt`. */
  refusal: Refusal;
  answer(g: Grant): void;
}

export class WaitingRoom {
  private readonly queues: Record<Lane, Waiting[]> = { interactive: [], critical: [], bulk: [], background: [] };

  constructor(private readonly budget: BudgetScheduler) {}

  /**
   * Answers the request with its slots as soon as the budget can give them within the request's `waitMs`, or at once
   * with when to ask again when it cannot (a request without `waitMs` is always answered at once).
   */
  offer(req: SlotRequest, now: number, answer: (g: Grant) => void): void {
    const wait = Math.min(Math.max(0, Number(req.waitMs) || 0), MAX_HOLD_MS);
    // Queued behind those already waiting and served with them: never before an older request of its lane or a
    // request of a more urgent lane that is waiting for the same slot.
    this.queues[req.lane].push({ req, until: now + wait, refusal: { ok: false, retryAt: now }, answer });
    this.serve(now);
  }

  /** Serves what the budget can serve now, most urgent lane first; answers requests that can wait no longer. */
  serve(now: number): void {
    // Answered after the queues are settled: an answer may lead straight to another offer.
    const answered: [Waiting, Grant][] = [];
    for (const lane of LANES) {
      const queue = this.queues[lane];
      if (!queue.length) continue;
      // Once one request finds the lane booked to its horizon, so would every later one: they are not asked again.
      let full: Refusal | null = null;
      const kept: Waiting[] = [];
      for (const w of queue) {
        if (full) w.refusal = full;
        else if (w.refusal.retryAt <= now) {
          const g = this.budget.request(w.req, now);
          if (g.ok) {
            answered.push([w, g]);
            continue;
          }
          w.refusal = g;
          if (g.reason === "full") full = g;
        }
        if (w.until <= now || w.refusal.retryAt > w.until) answered.push([w, w.refusal]);
        else kept.push(w);
      }
      this.queues[lane] = kept;
    }
    for (const [w, g] of answered) w.answer(g);
  }

  /** When serve() has something to do next (a waiting request's slot may come, or its wait ends); null if none waits. */
  nextAt(): number | null {
    let next: number | null = null;
    for (const lane of LANES) for (const w of this.queues[lane]) next = Math.min(next ?? Number.POSITIVE_INFINITY, w.refusal.retryAt, w.until);
    return next;
  }

  waiting(lane: Lane): number {
    return this.queues[lane].length;
  }
}
