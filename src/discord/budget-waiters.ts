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
  /** Per lane, the earliest moment one of its waiting requests may be served or must be answered. */
  private readonly due: Record<Lane, number> = { interactive: Infinity, critical: Infinity, bulk: Infinity, background: Infinity };

  constructor(private readonly budget: BudgetScheduler) {}

  /**
   * Answers the request with its slots as soon as the budget can give them within the request's `waitMs`, or at once
   * with when to ask again when it cannot (a request without `waitMs` is always answered at once).
   */
  offer(req: SlotRequest, now: number, answer: (g: Grant) => void): void {
    const until = now + Math.min(Math.max(0, Number(req.waitMs) || 0), MAX_HOLD_MS);
    // Requests of its lane or a more urgent one whose slot may have come go first; then this one is tried at once (a
    // request whose lane is booked to its horizon is refused in one look, so 10,000 waiting cost no more per offer).
    this.serve(now, req.lane);
    const g = this.budget.request(req, now);
    if (g.ok || until <= now || g.retryAt > until) answer(g);
    else {
      this.queues[req.lane].push({ req, until, refusal: g, answer });
      this.due[req.lane] = Math.min(this.due[req.lane], g.retryAt, until);
    }
    this.serve(now);
  }

  /**
   * Serves what the budget can serve now, most urgent lane first (down to `lastLane`), and answers requests that can
   * wait no longer. Lanes with nothing due are not looked at.
   */
  serve(now: number, lastLane: Lane = "background"): void {
    // Answered after the queues are settled: an answer may lead straight to another offer.
    const answered: [Waiting, Grant][] = [];
    for (const lane of LANES.slice(0, LANES.indexOf(lastLane) + 1)) {
      if (this.due[lane] > now) continue;
      // Once one request finds the lane booked to its horizon, so would every later one: they are not asked again.
      let full: Refusal | null = null;
      const kept: Waiting[] = [];
      let due = Infinity;
      for (const w of this.queues[lane]) {
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
        else {
          // Still asking: its guild counts among the lane's active ones for everyone's fair share.
          this.budget.touch(lane, w.req.guild, now);
          kept.push(w);
          due = Math.min(due, w.refusal.retryAt, w.until);
        }
      }
      this.queues[lane] = kept;
      this.due[lane] = due;
    }
    for (const [w, g] of answered) w.answer(g);
  }

  /** When serve() has something to do next (a waiting request's slot may come, or its wait ends); null if none waits. */
  nextAt(): number | null {
    const next = Math.min(...LANES.map((lane) => this.due[lane]));
    return Number.isFinite(next) ? next : null;
  }

  waiting(lane: Lane): number {
    return this.queues[lane].length;
  }
}
