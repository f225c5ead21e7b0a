/**
 * The bot's one REST budget, as a pure scheduler: lanes by urgency, fair shares between guilds inside a lane,
 * small just-in-time grants, and a bounded booking horizon per lane. The RateGate Durable Object holds one.
 */

export const LANES = ["interactive", "critical", "bulk", "background"] as const;
export type Lane = (typeof LANES)[number];

/** Discord's global limit: no more than this many requests in any one second. */
export const GLOBAL_LIMIT_PER_SECOND = 50;
/**
 * How late after its slot a call may still be made (a busy isolate wakes a little late). Later than this it asks
 * for a new slot (rate-gate.ts).
 */
export const SLOT_LATENESS_MS = 20;
/**
 * Slots live in buckets of 5, each slot starting at its bucket's start. Discord counts a second from some request
 * of its own choosing, so a second that begins with a call made a little late must not reach the calls of the
 * bucket 10 on: 10 buckets span 1,000 ms plus the lateness allowed (49 calls a second at most, never a 51st in any
 * window; at 100 ms buckets, calls 15 ms late drew 429s at the top of the hour).
 */
export const BUCKET_SLOTS = 5;
export const BUCKET_MS = (1000 + SLOT_LATENESS_MS) / (GLOBAL_LIMIT_PER_SECOND / BUCKET_SLOTS);
/** Slots one request may take: grants are for calls about to be made, never for a whole plan. */
export const MAX_GRANT = 10;

/**
 * How far ahead each lane may book. Bulk and background only ever hold the next moment (3 buckets, ~300 ms), so each call
 * of a time-critical step arriving while they saturate the budget waits at most that long: a creation makes ~8
 * calls one after another, and at 1.5 s each it ran 9 s past its floor. 300 ms is still enough for a greedy
 * caller asking 10 slots at a time to keep the budget full (budget.test.ts); below 3 buckets a lane's capacity
 * falls under one grant and fair shares stop working.
 */
export const HORIZON_MS: Record<Lane, number> = { interactive: 10_000, critical: 10_000, bulk: 3 * BUCKET_MS, background: 3 * BUCKET_MS };
/**
 * A guild's fair share is of this much of its lane (or of the lane's horizon, if shorter): the urgent lanes book 10 s
 * ahead, and a share of all of that let one guild's 200 calls book 4 s ahead in a few requests, in front of every
 * other guild's next call in the lane.
 */
const SHARE_WINDOW_MS = 1_000;
/** A guild that asked within this long counts as active in a lane (for its fair share). */
const ACTIVE_MS = 3_000;

export interface SlotRequest {
  lane: Lane;
  guild: string;
  /** Calls about to be made (clamped to 1..MAX_GRANT). */
  n: number;
  /** How long the request may wait in the gate for its slots (ms; none: answered at once). */
  waitMs?: number;
  /**
   * The latest slot the caller can still use (epoch ms): none after it is booked, since the caller would give it up
   * and no other call could have it. With no free slot until then the request is refused as `late`.
   */
  notAfter?: number;
}

/**
 * Either the start times of the granted slots (epoch ms, ascending, 1..n of them) or when to ask again: because the
 * lane is booked to its horizon (`full`), because the guild holds its fair share of it (`share`), or because every
 * slot before the request's deadline is taken (`late`: asking again cannot help).
 */
export type Grant = { ok: true; slots: number[] } | { ok: false; retryAt: number; reason?: "full" | "share" | "late" };

export interface LaneStatus {
  /** Slots booked from now on. */
  booked: number;
  /** How far ahead the last booked slot lies (ms; 0 when nothing is booked). */
  ahead_ms: number;
  /** Guilds that asked in this lane lately. */
  guilds: number;
  /** Requests waiting in the gate for a slot of this lane. */
  waiting?: number;
}

interface Booking {
  lane: Lane;
  guild: string;
  at: number;
}

export class BudgetScheduler {
  /** Slots used per bucket index (bucket start = index × BUCKET_MS). */
  private readonly used = new Map<number, number>();
  /** Every booked slot not yet passed, oldest first. */
  private bookings: Booking[] = [];
  /** Last request per lane and guild, for the count of guilds sharing a lane. */
  private readonly seen: Record<Lane, Map<string, number>> = { interactive: new Map(), critical: new Map(), bulk: new Map(), background: new Map() };

  request(req: SlotRequest, now: number): Grant {
    this.prune(now);
    const lane = req.lane;
    this.seen[lane].set(req.guild, now);
    const want = Math.max(1, Math.min(MAX_GRANT, Math.floor(req.n) || 1));
    const horizonEnd = now + HORIZON_MS[lane];
    const mine = this.bookings.filter((b) => b.lane === lane && b.guild === req.guild);
    const allowed = Math.min(want, this.fairShare(lane, now) - mine.length);
    // Over its share: ask again when its own earliest slot has passed (others get the room meanwhile).
    if (allowed <= 0) return { ok: false, retryAt: (mine[0]?.at ?? now) + 1, reason: "share" };
    const slots: number[] = [];
    const first = Math.ceil(now / BUCKET_MS);
    const lastUsable = Math.min(horizonEnd, req.notAfter ?? Number.POSITIVE_INFINITY);
    for (let b = first; b * BUCKET_MS <= lastUsable && slots.length < allowed; b++) {
      const free = BUCKET_SLOTS - (this.used.get(b) ?? 0);
      for (let k = 0; k < free && slots.length < allowed; k++) slots.push(b * BUCKET_MS);
    }
    // Every slot it could use is taken: asking again cannot help, the ones after its deadline are of no use to it.
    if (!slots.length && lastUsable < horizonEnd) return { ok: false, retryAt: this.firstFreeAfter(first) * BUCKET_MS, reason: "late" };
    if (!slots.length)
      return { ok: false, retryAt: this.firstFreeAfter(Math.floor(horizonEnd / BUCKET_MS) + 1) * BUCKET_MS - HORIZON_MS[lane], reason: "full" };
    for (const at of slots) {
      const b = Math.round(at / BUCKET_MS);
      this.used.set(b, (this.used.get(b) ?? 0) + 1);
      this.bookings.push({ lane, guild: req.guild, at });
    }
    this.bookings.sort((x, y) => x.at - y.at);
    return { ok: true, slots };
  }

  /** Notes a guild still asking in a lane (a request waiting in the gate), so it keeps its place in fair shares. */
  touch(lane: Lane, guild: string, now: number): void {
    this.seen[lane].set(guild, now);
  }

  /** Per lane: what is booked from now on and how far ahead (for /health). */
  status(now: number): Record<Lane, LaneStatus> {
    this.prune(now);
    const out = {} as Record<Lane, LaneStatus>;
    for (const lane of LANES) {
      const mine = this.bookings.filter((b) => b.lane === lane);
      const last = mine.at(-1)?.at;
      out[lane] = { booked: mine.length, ahead_ms: last === undefined ? 0 : Math.max(0, last - now), guilds: this.activeGuilds(lane, now) };
    }
    return out;
  }

  /**
   * A guild's share of the lane's next second (or of its horizon, if shorter): that capacity split between the
   * guilds asking in it, never under one grant (or half the lane, if less). The floor keeps the budget used when many guilds share a
   * lane but few have much to send (at one slot each, a fan-out beside 25 guilds granting roles got a slot in 15).
   */
  private fairShare(lane: Lane, now: number): number {
    const capacity = Math.floor(Math.min(HORIZON_MS[lane], SHARE_WINDOW_MS) / BUCKET_MS) * BUCKET_SLOTS;
    const guilds = this.activeGuilds(lane, now);
    // A guild alone in a short-horizon lane (a fan-out) may book all of it (at a bucket's start, 3 buckets' horizon
    // reaches 4): a share would leave the rest to a less urgent lane. The urgent lanes keep the share of a second.
    if (guilds <= 1 && HORIZON_MS[lane] < SHARE_WINDOW_MS) return capacity + BUCKET_SLOTS;
    // The floor is at most half the lane: two guilds that both want everything split it evenly.
    const floor = Math.min(MAX_GRANT, Math.ceil(capacity / 2));
    return Math.max(floor, Math.floor(capacity / guilds));
  }

  private activeGuilds(lane: Lane, now: number): number {
    let n = 0;
    for (const [guild, at] of this.seen[lane]) {
      if (now - at <= ACTIVE_MS) n++;
      else this.seen[lane].delete(guild);
    }
    return n;
  }

  private firstFreeAfter(bucket: number): number {
    let b = bucket;
    while ((this.used.get(b) ?? 0) >= BUCKET_SLOTS) b++;
    return b;
  }

  /** Forgets slots whose time has come: they are spent (used or not). */
  private prune(now: number): void {
    const current = Math.ceil(now / BUCKET_MS);
    let i = 0;
    while (i < this.bookings.length && (this.bookings[i] as Booking).at < current * BUCKET_MS) i++;
    if (i) this.bookings = this.bookings.slice(i);
    for (const b of this.used.keys()) if (b < current) this.used.delete(b);
  }
}
