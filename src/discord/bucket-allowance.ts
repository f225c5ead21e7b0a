/**
 * What a Discord rate-limit bucket still allows, learnt from its answers and shared by clients that send one bucket's
 * requests side by side (`putAlongside`, `deleteAlongside`, `postAlongside`). @discordjs/rest knows a bucket only inside one client, which sends its
 * requests one after another; clients running side by side would otherwise each learn the limit from a 429.
 */

/** A bucket's state: what its last answer said, and what is in flight now. */
interface BucketState {
  limit: number;
  remaining: number;
  resetAt: number;
  inflight: number;
  /** Nothing answered yet: UNKNOWN_IN_FLIGHT requests go first, to learn the bucket. */
  known: boolean;
}

/**
 * Requests sent before any answer has described the bucket: two, so that one hung request cannot hold every other
 * (the next answer describes the bucket), and few buckets allow fewer.
 */
const UNKNOWN_IN_FLIGHT = 2;
/** While the bucket is not yet known, waiting requests look again this often. */
const PROBE_WAIT_MS = 25;

/** The answer's rate-limit headers (names lower-case, as fetch gives them). */
export interface BucketAnswer {
  status: number;
  header(name: string): string | null;
}

/**
 * Discord's buckets are per route and major parameter (the guild, channel or webhook id first in the path); the other
 * ids of a path (a member, a role) share it.
 */
export function bucketKey(method: string, url: string): string {
  const path = new URL(url).pathname.replace(/^\/api(\/v\d+)?/, "");
  let first = true;
  const shape = path.replace(/\d{15,21}/g, (id) => {
    if (!first) return ":id";
    first = false;
    return id;
  });
  return `${method.toUpperCase()} ${shape}`;
}

export class BucketAllowance {
  private readonly buckets = new Map<string, BucketState>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Waits until the bucket allows one more request, and counts it in flight. Throws the signal's reason if aborted. */
  async acquire(key: string, signal?: AbortSignal | null): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const b = this.state(key);
      const t = this.now();
      // A window that has passed is full again.
      if (b.known && t >= b.resetAt) b.remaining = b.limit;
      const room = b.known ? b.remaining : UNKNOWN_IN_FLIGHT;
      if (b.inflight < room) {
        b.inflight++;
        return;
      }
      await this.sleep(b.known && b.remaining <= b.inflight && t < b.resetAt ? Math.max(1, b.resetAt - t) : PROBE_WAIT_MS);
    }
  }

  /** The answer of a request counted by `acquire` (or null when none came: a timeout or a reset). */
  settle(key: string, answer: BucketAnswer | null): void {
    const b = this.state(key);
    b.inflight = Math.max(0, b.inflight - 1);
    if (!answer) return;
    const t = this.now();
    const retryAfter = Number(answer.header("retry-after") ?? answer.header("x-ratelimit-reset-after"));
    if (answer.status === 429 && Number.isFinite(retryAfter)) {
      b.remaining = 0;
      b.resetAt = Math.max(b.resetAt, t + retryAfter * 1000);
      b.known = true;
      return;
    }
    const limit = Number(answer.header("x-ratelimit-limit"));
    const remaining = Number(answer.header("x-ratelimit-remaining"));
    const resetAfter = Number(answer.header("x-ratelimit-reset-after"));
    if (!answer.header("x-ratelimit-remaining") || !Number.isFinite(remaining) || !Number.isFinite(resetAfter)) {
      // An answer without rate-limit headers: the route has no bucket to respect.
      if (!b.known) Object.assign(b, { known: true, limit: Number.POSITIVE_INFINITY, remaining: Number.POSITIVE_INFINITY, resetAt: 0 });
      return;
    }
    const resetAt = t + resetAfter * 1000;
    // Answers of one window may arrive out of order: the lowest remaining is the truth.
    const sameWindow = b.known && Math.abs(resetAt - b.resetAt) < 250;
    b.remaining = sameWindow ? Math.min(b.remaining, remaining) : remaining;
    b.resetAt = resetAt;
    if (Number.isFinite(limit) && limit > 0) b.limit = limit;
    b.known = true;
  }

  private state(key: string): BucketState {
    let b = this.buckets.get(key);
    if (!b) {
      b = { limit: 1, remaining: 1, resetAt: 0, inflight: 0, known: false };
      this.buckets.set(key, b);
    }
    return b;
  }
}
