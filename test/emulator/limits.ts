/** Rate limits and injected faults, producing the same headers and 429 bodies Discord sends. */

export interface Bucket {
  limit: number;
  windowMs: number;
}

export interface RateLimitConfig {
  /** Requests per second across all routes (Discord: 50). */
  globalPerSecond: number;
  defaultBucket: Bucket;
  /**
   * Overrides by "METHOD /template", e.g. "POST /channels/:id/messages", or for one major parameter (guild, channel)
   * only by "METHOD /template|<id>", so a test can tighten its own guild's bucket without touching the others'.
   */
  routes: Record<string, Bucket>;
}

export const DEFAULT_LIMITS: RateLimitConfig = {
  globalPerSecond: 50,
  defaultBucket: { limit: 50, windowMs: 1000 },
  routes: { "POST /channels/:id/messages": { limit: 5, windowMs: 5000 } },
};

export interface Fault {
  id: number;
  method?: string;
  /** Substring of the request path (ids included), so a test only breaks its own resources. */
  path: string;
  /** Status to answer with (500, 502, 429 …). */
  status?: number;
  /** Hold the request this long before answering (or forever when `hang`), to test timeouts. */
  delayMs?: number;
  hang?: boolean;
  /** Carry the request out first, then answer with the fault (or hang): the work is done, the reply is lost. */
  effect?: boolean;
  /** Cut the connection without an answer (a reset); with `commit`, after the change was made. */
  reset?: boolean;
  retryAfter?: number;
  global?: boolean;
  body?: unknown;
  /** Apply the request first, then answer with `status` (or never, with `hang`): the change happened, the answer is lost. */
  commit?: boolean;
  /** How many matching requests to fail; omitted = every one until cleared. */
  times?: number;
  /** Let this many matching requests through first (e.g. fail the second channel of a batch). */
  after?: number;
  /** Matching requests seen, including the ones let through by `after`. */
  seen: number;
  hits: number;
}

interface Window {
  start: number;
  count: number;
}

export class Limiter {
  private readonly windows = new Map<string, Window>();
  private global: Window = { start: 0, count: 0 };
  faults: Fault[] = [];
  private nextFaultId = 1;

  config: RateLimitConfig;
  constructor(config: RateLimitConfig = DEFAULT_LIMITS) {
    this.config = config;
  }

  addFault(f: Omit<Fault, "id" | "hits" | "seen">): Fault {
    const fault = { ...f, id: this.nextFaultId++, hits: 0, seen: 0 };
    this.faults.push(fault);
    return fault;
  }

  /** The first live fault matching the request, counted as used. */
  takeFault(method: string, path: string): Fault | null {
    for (const f of this.faults) {
      if ((f.method && f.method !== method) || !path.includes(f.path) || (f.times !== undefined && f.hits >= f.times)) continue;
      f.seen++;
      if (f.seen <= (f.after ?? 0)) continue;
      f.hits++;
      return f;
    }
    return null;
  }

  /** Counts the request; returns headers to send, or a 429 when a bucket or the global limit is spent. */
  take(
    method: string,
    template: string,
    major: string,
    now = Date.now(),
  ): { headers: Record<string, string>; limited?: { retryAfter: number; global: boolean } } {
    if (now - this.global.start >= 1000) this.global = { start: now, count: 0 };
    if (this.global.count >= this.config.globalPerSecond) {
      const retryAfter = (this.global.start + 1000 - now) / 1000;
      return { headers: { "x-ratelimit-global": "true", "x-ratelimit-scope": "global" }, limited: { retryAfter, global: true } };
    }
    this.global.count++;
    const key = `${method} ${template}`;
    const bucket = this.config.routes[`${key}|${major}`] ?? this.config.routes[key] ?? this.config.defaultBucket;
    const id = `${key}|${major}`;
    let w = this.windows.get(id);
    if (!w || now - w.start >= bucket.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(id, w);
    }
    const resetAfter = (w.start + bucket.windowMs - now) / 1000;
    const headers = {
      "x-ratelimit-limit": String(bucket.limit),
      "x-ratelimit-remaining": String(Math.max(0, bucket.limit - w.count - 1)),
      "x-ratelimit-reset": ((w.start + bucket.windowMs) / 1000).toFixed(3),
      "x-ratelimit-reset-after": resetAfter.toFixed(3),
      "x-ratelimit-bucket": hashBucket(key),
    };
    if (w.count >= bucket.limit) {
      return { headers: { ...headers, "x-ratelimit-remaining": "0", "x-ratelimit-scope": "user" }, limited: { retryAfter: resetAfter, global: false } };
    }
    w.count++;
    return { headers };
  }
}

function hashBucket(key: string): string {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16);
}

export function rateLimitedBody(retryAfter: number, global: boolean) {
  return { message: "You are being rate limited.", retry_after: Math.max(0.001, Number(retryAfter.toFixed(3))), global };
}
