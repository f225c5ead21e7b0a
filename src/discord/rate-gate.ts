/**
 * RateGate: the one Durable Object every isolate asks for a slot before a Discord call made outside an
 * interaction response, so calls from many alarms together stay under Discord's global limit, by lane and
 * fairly between guilds (the scheduling itself lives in ./budget).
 */
import type { IdentifyTurn } from "../gateway/identify-slots";
import { type Grant, type Lane, type LaneStatus, SLOT_LATENESS_MS, type SlotRequest } from "./budget";

export interface RateGate {
  take(req: SlotRequest): Promise<Grant>;
  status(): Promise<Record<Lane, LaneStatus>>;
  /** Whether a gateway shard with this identify rate-limit key may IDENTIFY now, or when to ask again. */
  identifyTurn(key: number): Promise<IdentifyTurn>;
}

export function rateGate(ns: { getByName(name: string): unknown }, name = "discord-global"): RateGate {
  return ns.getByName(name) as RateGate;
}

/** The gate could not give a slot soon enough (or before the caller's deadline): ask again at `retryAt`. */
export class BudgetDeferred extends Error {
  override readonly name = "BudgetDeferred";
  constructor(
    readonly retryAt: number,
    /** The slot would come after the caller's `notAfter`: the call is no longer worth making. */
    readonly late: boolean,
  ) {
    super(late ? "no REST slot before the deadline" : `REST budget full until ${new Date(retryAt).toISOString()}`);
  }
}

export interface SlotSourceOptions {
  lane: Lane;
  guild: string;
  /** A refusal further away than this is not waited out: the call throws BudgetDeferred (default 3 s). */
  maxWaitMs?: number;
  /** Calls whose slot comes after this (epoch ms) are not made: they throw BudgetDeferred with `late`. */
  notAfter?: number;
  clock?: () => number;
}

/** A slot this late is not used any more: its call could land in the same second as calls 10 buckets on. */
export const STALE_SLOT_MS = SLOT_LATENESS_MS;
const MAX_STALE_RETAKES = 3;

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/**
 * Hands each call its own slot from the gate, just in time: it asks for as many slots as calls are waiting
 * right now (≤ 10 per request), so concurrent calls of one fan-out share one gate request and nothing is
 * booked for a call that is not being made.
 */
export class SlotSource {
  private readonly cache: number[] = [];
  private waiting = 0;
  private refill: Promise<void> | null = null;
  private deferred: BudgetDeferred | null = null;
  private readonly clock: () => number;
  /** The caller's deadline; a non-finite one (NaN, Infinity) is none, as it always was (the gate refuses it). */
  private readonly notAfter: number | undefined;

  constructor(
    private readonly gate: Pick<RateGate, "take">,
    private readonly opts: SlotSourceOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.notAfter = Number.isFinite(opts.notAfter) ? opts.notAfter : undefined;
  }

  /** When a call was last deferred (the budget was full past `maxWaitMs`): when to run again; 0 if never. */
  get deferredUntil(): number {
    return this.deferred?.retryAt ?? 0;
  }

  /** Waits for this call's slot; throws BudgetDeferred when the budget cannot serve it in time. */
  async take(): Promise<void> {
    // Counted only until it holds a slot: a call sleeping until its slot's time asks for none (counting it booked
    // a slot per fan-out chunk that no call used).
    this.waiting++;
    let counted = true;
    let stale = 0;
    const holds = () => {
      if (counted) this.waiting--;
      counted = false;
    };
    try {
      for (;;) {
        if (this.deferred && this.deferred.retryAt > this.clock()) throw this.deferred;
        const at = this.cache.shift();
        // A slot whose bucket has passed is spent (the gate counts it so): a call made with it now would land in a
        // later bucket on top of the calls booked there, and a busy isolate waking late sent a whole second's worth at once.
        // Counted with the retakes below: a gate whose answers always arrive late must not be asked for ever.
        if (at !== undefined && this.clock() - at >= STALE_SLOT_MS && stale++ < MAX_STALE_RETAKES) continue;
        if (at !== undefined) {
          holds();
          if (this.notAfter !== undefined && at > this.notAfter) throw new BudgetDeferred(at, true);
          await sleep(at - this.clock());
          // Woken too late for its slot (the isolate was busy): this call asks for a new one instead, a few times at
          // most (an isolate late for every slot still gets its calls out, under the per-isolate limiter).
          if (this.clock() - at >= STALE_SLOT_MS && stale++ < MAX_STALE_RETAKES) {
            this.waiting++;
            counted = true;
            continue;
          }
          return;
        }
        this.refill ??= this.ask().finally(() => {
          this.refill = null;
        });
        await this.refill;
      }
    } finally {
      holds();
    }
  }

  private async ask(): Promise<void> {
    // Calls started together (a step's reads, a batch of creates) reach take() a few promise turns apart: one turn
    // of the event loop lets them all count, so they share one request and one round instead of waiting a
    // horizon for a second request behind the first.
    await new Promise((r) => setTimeout(r, 0));
    // The gate keeps the request until it can serve it (as long as this caller would wait anyway): no polling, and
    // a slot that comes within reach goes to the most urgent lane waiting for it.
    const maxWait = this.opts.maxWaitMs ?? 3_000;
    const waitMs = Math.max(0, Math.min(maxWait, (this.notAfter ?? Number.POSITIVE_INFINITY) - this.clock()));
    const req = { lane: this.opts.lane, guild: this.opts.guild, n: Math.max(1, this.waiting), waitMs, notAfter: this.notAfter };
    const grant = await this.gate.take(req).catch(async () => {
      // A waiting request is an open call to the gate for up to its wait: a gate restarted meanwhile (a deploy) drops
      // it, and every call waiting on it would fail. Asked once more, of the gate's new instance.
      await sleep(50);
      return this.gate.take(req);
    });
    if (grant.ok) {
      this.cache.push(...grant.slots);
      return;
    }
    const wait = grant.retryAt - this.clock();
    // No slot before the deadline, now or when it may ask again: the call is not made at all.
    const late = grant.reason === "late" || (this.notAfter !== undefined && grant.retryAt > this.notAfter);
    if (late) this.deferred = new BudgetDeferred(grant.retryAt, true);
    else if (wait > maxWait) this.deferred = new BudgetDeferred(grant.retryAt, false);
    else await sleep(wait);
  }
}
