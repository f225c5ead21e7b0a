/** A match's lease as one mirror invocation holds it: every Discord call ends before the lease can run out. */
import { withDeadline } from "../../discord/deadline";
import { LEASE_MS, renewLease } from "./mapping-storage";

/** Another invocation took the match: whoever holds it now finishes the work, this one stops. */
export class LeaseLost extends Error {
  override readonly name = "LeaseLost";
  constructor(matchId: number) {
    super(`lost the lease of match ${matchId}`);
  }
}

/** The longest one Discord call may take (the client's retries and 429 waits included). */
export const CALL_BUDGET_MS = 20_000;
/** A call ends this long before the lease does, so nobody else can hold the match while it runs. */
const MARGIN_MS = 2_000;

export class Lease {
  /** When the lease runs out, as last written by this holder. */
  private until: number;

  constructor(
    readonly db: D1Database,
    readonly matchId: number,
    readonly owner: string,
    private readonly now: () => number,
    acquiredAt: number,
  ) {
    this.until = acquiredAt + LEASE_MS;
  }

  /** A compare-and-set write under the lease changed nothing: the lease is gone. */
  held(changed: boolean): void {
    if (!changed) throw new LeaseLost(this.matchId);
  }

  /** The holder wrote `lease_until = now + LEASE_MS` as part of another write. */
  extended(at: number): void {
    this.until = at + LEASE_MS;
  }

  /**
   * Runs one Discord call that is aborted before the lease could run out; when too little of the lease is
   * left for a whole call, it is renewed first (compare-and-set on the holder's token).
   */
  async call<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const now = this.now();
    if (this.until - now < CALL_BUDGET_MS + MARGIN_MS) {
      this.held(await renewLease(this.db, this.owner, this.matchId, now));
      this.extended(now);
    }
    return withDeadline(Math.min(CALL_BUDGET_MS, this.until - this.now() - MARGIN_MS), call);
  }
}
