/**
 * The RateGate Durable Object: Discord's limits the whole deployment shares (the REST budget, and when each gateway
 * shard may IDENTIFY). Kept apart from the client helpers so Node scripts can load the feature graph.
 */
import { DurableObject } from "cloudflare:workers";
import { type IdentifyTurn, takeIdentifyTurn } from "../gateway/identify-slots";
import { BudgetScheduler, type Grant, LANES, type Lane, type LaneStatus, type SlotRequest } from "./budget";
import { WaitingRoom } from "./budget-waiters";

export class RateGateObject<E> extends DurableObject<E> {
  /**
   * Kept in memory: bookings reach at most 10 s ahead, so a fresh object (after an eviction) forgets at most
   * that much; the per-isolate limiter in rest.ts still bounds each isolate meanwhile. Waiting requests are open
   * calls, so the object is not evicted while any waits.
   */
  private readonly budget = new BudgetScheduler();
  private readonly room = new WaitingRoom(this.budget);
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = 0;

  async take(req: SlotRequest): Promise<Grant> {
    if (
      !LANES.includes(req?.lane) ||
      typeof req.guild !== "string" ||
      !Number.isFinite(req.n) ||
      (req.notAfter !== undefined && !Number.isFinite(req.notAfter))
    )
      throw new Error("RateGate.take: bad request");
    const answer = new Promise<Grant>((resolve) => this.room.offer(req, Date.now(), resolve));
    this.arm();
    return answer;
  }

  /**
   * Whether a shard with this identify rate-limit key may IDENTIFY now (its window is then taken) or when to ask
   * again. Stored: a gate evicted between two shards' identifies must not let the second one in early.
   */
  async identifyTurn(key: number): Promise<IdentifyTurn> {
    if (!Number.isInteger(key) || key < 0) throw new Error("RateGate.identifyTurn: bad key");
    const stored = await this.ctx.storage.get<number>(`identify:${key}`);
    const { turn, nextFree } = takeIdentifyTurn(stored, Date.now());
    if (nextFree !== stored) await this.ctx.storage.put(`identify:${key}`, nextFree);
    return turn;
  }

  async status(): Promise<Record<Lane, LaneStatus>> {
    const st = this.budget.status(Date.now());
    for (const lane of LANES) st[lane].waiting = this.room.waiting(lane);
    return st;
  }

  /** One timer, at the earliest moment a waiting request may be served or must be answered. */
  private arm(): void {
    const next = this.room.nextAt();
    if (next === null || (this.timer !== null && this.timerAt <= next)) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.room.serve(Date.now());
        this.arm();
      },
      Math.max(0, next - Date.now()),
    );
  }
}
