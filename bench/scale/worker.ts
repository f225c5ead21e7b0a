/**
 * The bench-only Worker entry of `npm run bench:scale`: the bot's own entry and classes, unchanged, with counters around
 * them (D1 statements and rows, Durable Object invocations and active time, Worker invocations, when each gateway
 * dispatch was handled), read at `GET /__bench/stats`. Only bench/scale.mjs bundles it; the deployed Worker never does.
 */
import type { GatewayDispatchPayload } from "discord-api-types/v10";
import type { Env } from "../../src/env";
import type { RelayHooks } from "../../src/gateway/relay";
import bot, { RateGate as BotGate, GatewayRelay as BotRelay, EventTimer as BotTimer } from "../../src/index";
import type { Services } from "../../src/services";

type Origin = "worker" | "EventTimer" | "GatewayRelay" | "RateGate";
type ClassName = Exclude<Origin, "worker">;

interface D1Count {
  statements: number;
  batches: number;
  rows_read: number;
  rows_written: number;
}

const d1 = (): D1Count => ({ statements: 0, batches: 0, rows_read: 0, rows_written: 0 });
const invocations = () => ({ rpc: 0, alarm: 0, active_ms: 0 });

/** Everything counted since the runtime started (monotonic: the bench diffs two reads). */
const stats = {
  worker: { fetch: 0, scheduled: 0 },
  d1: { worker: d1(), EventTimer: d1(), GatewayRelay: d1(), RateGate: d1() } as Record<Origin, D1Count>,
  objects: { EventTimer: invocations(), GatewayRelay: invocations(), RateGate: invocations() } as Record<ClassName, ReturnType<typeof invocations>>,
  /** Distinct objects that ran at least once, per class. */
  distinct: { EventTimer: 0, GatewayRelay: 0, RateGate: 0 } as Record<ClassName, number>,
  gateway: {
    guild_creates: 0,
    first_guild_create_done_at: 0,
    last_guild_create_done_at: 0,
    /** Every other handled dispatch: type, seq, and when its handlers finished (the newest 5,000). */
    others: [] as { t: string; s: number; guild_id: string | null; done_at: number }[],
  },
};

type Meta = { rows_read?: number; rows_written?: number } | undefined;

function note(c: D1Count, meta: Meta): void {
  c.statements++;
  c.rows_read += meta?.rows_read ?? 0;
  c.rows_written += meta?.rows_written ?? 0;
}

/** A D1 binding that counts every statement and the rows D1 reports it read and wrote (first() runs as all() to see them). */
function countedDb(db: D1Database, c: D1Count): D1Database {
  const raw = new WeakMap<object, D1PreparedStatement>();
  const wrap = (st: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(st, {
      get(target, key) {
        if (key === "bind") return (...args: unknown[]) => wrap(target.bind(...args));
        if (key === "run" || key === "all")
          return async () => {
            const r = await target[key]();
            note(c, r.meta);
            return r;
          };
        if (key === "first")
          return async (column?: string) => {
            const r = await target.all<Record<string, unknown>>();
            note(c, r.meta);
            const row = r.results[0] ?? null;
            return column === undefined ? row : row === null ? null : (row[column] ?? null);
          };
        if (key === "raw")
          return (...args: Parameters<D1PreparedStatement["raw"]>) => {
            c.statements++;
            return target.raw(...args);
          };
        const v = Reflect.get(target, key, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    raw.set(proxy, st);
    return proxy;
  };
  return new Proxy(db, {
    get(target, key) {
      if (key === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (key === "batch")
        return async (stmts: D1PreparedStatement[]) => {
          c.batches++;
          const out = await target.batch(stmts.map((s) => raw.get(s) ?? s));
          for (const r of out) note(c, r.meta);
          return out;
        };
      const v = Reflect.get(target, key, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** When alarms ran and what the gate granted (read at /__bench/trace by the hour's measure and --dump): kept in memory, never logged. */
const traced: unknown[] = [];
const TRACE_CAP = 200_000;
const trace = (x: unknown) => {
  // The newest are kept (the hour, measured last, is read from it): the oldest tenth goes when it is full.
  if (traced.length >= TRACE_CAP) traced.splice(0, TRACE_CAP / 10);
  traced.push(x);
};
const counted = (env: Env, origin: Origin): Env => ({ ...env, DB: countedDb(env.DB, stats.d1[origin]) });

/** One object's invocations: counted, and its active wall time (overlapping ones once) added to the class. */
class Activity {
  private inFlight = 0;
  private since = 0;
  private seen = false;
  constructor(private readonly cls: ClassName) {}
  async run<T>(kind: "rpc" | "alarm", fn: () => Promise<T>): Promise<T> {
    const o = stats.objects[this.cls];
    o[kind]++;
    if (!this.seen) {
      this.seen = true;
      stats.distinct[this.cls]++;
    }
    if (this.inFlight++ === 0) this.since = Date.now();
    try {
      return await fn();
    } finally {
      if (--this.inFlight === 0) o.active_ms += Date.now() - this.since;
    }
  }
}

/**
 * Timers with an alarm set, by name (read at /__bench/pending): the bench's way to know the hourly work is done, since
 * a timer whose work is all due within the minute keeps no row in D1's `timers` table.
 */
const armed = new Set<string>();

export class EventTimer extends BotTimer {
  private readonly activity = new Activity("EventTimer");
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "EventTimer"));
  }
  /** Notes whether this timer still has an alarm set, after a call that may have changed it. */
  private async noteArmed<T>(out: T): Promise<T> {
    const name = (this as unknown as { ctx: DurableObjectState }).ctx.id.name ?? "";
    if ((await super.nextAlarm()) === null) armed.delete(name);
    else armed.add(name);
    return out;
  }
  override schedule(...a: Parameters<BotTimer["schedule"]>) {
    return this.activity.run("rpc", () => super.schedule(...a)).then((r) => this.noteArmed(r));
  }
  override cancel(...a: Parameters<BotTimer["cancel"]>) {
    return this.activity.run("rpc", () => super.cancel(...a)).then((r) => this.noteArmed(r));
  }
  override list() {
    return this.activity.run("rpc", () => super.list());
  }
  override nextAlarm() {
    return this.activity.run("rpc", () => super.nextAlarm());
  }
  override alarm() {
    const t = Date.now();
    return this.activity
      .run("alarm", () => super.alarm())
      .finally(async () => {
        await this.noteArmed(null);
        trace({ event: "alarm", name: (this as unknown as { ctx: DurableObjectState }).ctx.id.name ?? null, start: t, end: Date.now() });
      });
  }
}

function handled(p: GatewayDispatchPayload): void {
  const now = Date.now();
  const g = stats.gateway;
  if (p.t === "GUILD_CREATE") {
    g.guild_creates++;
    g.first_guild_create_done_at ||= now;
    g.last_guild_create_done_at = now;
    return;
  }
  const guildId = (p.d as { guild_id?: string } | null)?.guild_id ?? null;
  g.others.push({ t: p.t, s: p.s, guild_id: guildId, done_at: now });
  if (g.others.length > 5000) g.others.splice(0, g.others.length - 5000);
}

export class GatewayRelay extends BotRelay {
  private readonly activity = new Activity("GatewayRelay");
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "GatewayRelay"));
  }
  protected override hooks(): RelayHooks<Services> {
    const h = super.hooks();
    return {
      ...h,
      forward: async (payload, services, skip, meta) => {
        const out = await h.forward(payload, services, skip, meta);
        handled(payload);
        return out;
      },
    };
  }
  override ensure(...a: Parameters<BotRelay["ensure"]>) {
    return this.activity.run("rpc", () => super.ensure(...a));
  }
  override stop() {
    return this.activity.run("rpc", () => super.stop());
  }
  override status() {
    return this.activity.run("rpc", () => super.status());
  }
  override gatewayInfo(...a: Parameters<BotRelay["gatewayInfo"]>) {
    return this.activity.run("rpc", () => super.gatewayInfo(...a));
  }
  override alarm() {
    return this.activity.run("alarm", () => super.alarm());
  }
}

export class RateGate extends BotGate {
  private readonly activity = new Activity("RateGate");
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, counted(env, "RateGate"));
  }
  override take(...a: Parameters<BotGate["take"]>) {
    const t = Date.now();
    return this.activity
      .run("rpc", () => super.take(...a))
      .then((g) => {
        trace({ event: "gate", at: t, req: a[0], grant: g.ok ? { n: g.slots.length, first: g.slots[0], last: g.slots.at(-1) } : g });
        return g;
      });
  }
  override status() {
    return this.activity.run("rpc", () => super.status());
  }
}

export default {
  async fetch(req, env, ctx) {
    if (new URL(req.url).pathname === "/__bench/stats") return Response.json(stats);
    if (new URL(req.url).pathname === "/__bench/trace") return Response.json(traced);
    if (new URL(req.url).pathname === "/__bench/pending") {
      const prefixes = (new URL(req.url).searchParams.get("prefix") ?? "").split(",").filter(Boolean);
      return Response.json({ armed: [...armed].filter((n) => prefixes.some((p) => n.startsWith(p))).length });
    }
    // Answered at once: how long it takes says how long workerd's thread was busy with something else.
    if (new URL(req.url).pathname === "/__bench/ping") return new Response(null, { status: 204 });
    stats.worker.fetch++;
    return bot.fetch(req, counted(env, "worker"), ctx);
  },
  async scheduled(controller, env, ctx) {
    stats.worker.scheduled++;
    return bot.scheduled(controller, counted(env, "worker"), ctx);
  },
} satisfies ExportedHandler<Env>;
