/** The RateGate Durable Object (kept apart from the client helpers so Node scripts can load the feature graph). */
import { DurableObject } from "cloudflare:workers";
import { BudgetScheduler, type Grant, LANES, type Lane, type LaneStatus, type SlotRequest } from "./budget";

export class RateGateObject<E> extends DurableObject<E> {
  /**
   * Kept in memory: bookings reach at most 10 s ahead, so a fresh object (after an eviction) forgets at most
   * that much; the per-isolate limiter in rest.ts still bounds each isolate meanwhile.
   */
  private readonly budget = new BudgetScheduler();

  async take(req: SlotRequest): Promise<Grant> {
    if (!LANES.includes(req?.lane) || typeof req.guild !== "string" || !Number.isFinite(req.n)) throw new Error("RateGate.take: bad request");
    return this.budget.request(req, Date.now());
  }

  async status(): Promise<Record<Lane, LaneStatus>> {
    return this.budget.status(Date.now());
  }
}
