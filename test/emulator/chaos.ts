/** The emulator's chaos mode: seeded random faults on every route (the chaos suite), and how a faulted request ends. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { rateLimitedBody } from "./limits.ts";

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

export type ChaosKind = "5xx" | "429" | "timeout" | "reset";

/**
 * Seeded random faults on every route (the chaos suite): a share of requests fails as Discord and networks do.
 * The same seed gives the same sequence of decisions, request by request in arrival order.
 */
export interface ChaosConfig {
  seed: number;
  /** Share of requests that fail (0–1). */
  rate: number;
  /** Relative weights of the fault kinds (default: equal). */
  weights?: Partial<Record<ChaosKind, number>>;
  /** Share of failing writes (5xx, timeout, reset) applied first, the answer then lost: Discord did it, the bot cannot know. */
  commitShare?: number;
  /** Share of requests during which the bot's runtime is restarted (Durable Objects evicted mid-step), if `onEvict` takes it. */
  evictRate?: number;
  /** Path substrings never faulted. */
  exempt?: string[];
}

/** What the chaos mode decided for one request. */
export interface ChaosDecision {
  kind: ChaosKind | "evict";
  status?: number;
  retryAfter?: number;
  global?: boolean;
  commit: boolean;
}

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The item a uniform draw in [0, 1) lands on when each item takes a share of the range proportional to its weight. */
export function weighted<T>(items: readonly T[], weight: (item: T) => number, draw: number): T {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  let left = draw * total;
  for (const item of items) {
    left -= weight(item);
    if (left < 0) return item;
  }
  return items[items.length - 1] as T;
}

const KINDS: ChaosKind[] = ["5xx", "429", "timeout", "reset"];
const SERVER_ERRORS = [500, 502, 503, 504];

export class Chaos {
  readonly config: ChaosConfig;
  private readonly random: () => number;
  /** Decisions taken, by kind (committed ones counted apart). */
  readonly counts: Record<string, number> = {};

  constructor(config: ChaosConfig) {
    this.config = config;
    this.random = seededRandom(config.seed);
  }

  decide(method: string, path: string): ChaosDecision | null {
    const c = this.config;
    if (c.exempt?.some((p) => path.includes(p))) return null;
    // Three draws per request whatever happens, so one request's outcome does not shift the next one's.
    const roll = this.random();
    const pickDraw = this.random();
    const detail = this.random();
    // An eviction is counted by whoever takes it (the runner may decline).
    if (c.evictRate && roll < c.evictRate) return { kind: "evict", commit: method !== "GET" && detail < 0.5 };
    if (roll >= (c.evictRate ?? 0) + c.rate) return null;
    const kind = weighted(KINDS, (k) => c.weights?.[k] ?? 1, pickDraw);
    if (kind === "429") return this.count({ kind, commit: false, retryAfter: Number((0.05 + detail * 0.95).toFixed(3)), global: detail < 0.1 });
    const commit = method !== "GET" && detail < (c.commitShare ?? 0);
    const status = kind === "5xx" ? SERVER_ERRORS[Math.floor(pickDraw * 997) % SERVER_ERRORS.length] : undefined;
    return this.count({ kind, commit, status });
  }

  count(d: ChaosDecision): ChaosDecision {
    const key = `${d.kind}${d.commit ? "+commit" : ""}`;
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    return d;
  }
}

export function tooManyRequests(retryAfter: number, global: boolean): [number, unknown, Record<string, string>] {
  return [
    429,
    rateLimitedBody(retryAfter, global),
    {
      "retry-after": String(retryAfter),
      "x-ratelimit-scope": global ? "global" : "user",
      ...(global
        ? { "x-ratelimit-global": "true" }
        : { "x-ratelimit-limit": "1", "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": String(retryAfter) }),
    },
  ];
}

/**
 * Ends a request the way a chaos decision says: an error status, a 429, no answer at all (the client's timeout
 * fires), or a connection reset. Returns the status logged (0 when nothing was answered).
 */
export function failChaos(req: IncomingMessage, res: ServerResponse, d: ChaosDecision): number {
  if (d.kind === "429") {
    const [status, body, headers] = tooManyRequests(d.retryAfter ?? 0.05, !!d.global);
    send(res, status, body, headers);
    return status;
  }
  if (d.kind === "5xx") {
    const status = d.status ?? 500;
    send(res, status, { message: `${status}: injected fault${d.commit ? " after the change" : ""}`, code: 0 });
    return status;
  }
  if (d.kind === "reset") req.socket.destroy();
  // "timeout" and "evict": never answered; the client gives up, or the runtime holding the connection goes away.
  return 0;
}
