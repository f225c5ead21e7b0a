import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BudgetScheduler } from "./budget";
import { BudgetDeferred, type RateGate, rateGate, SlotSource } from "./rate-gate";

describe("the RateGate object and SlotSource", () => {
  it("grants small, just-in-time slots and shows per lane how far ahead it is booked", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    const g = await gate.take({ lane: "bulk", guild: "1", n: 500 });
    expect(g.ok && g.slots.length).toBe(10);
    const st = await gate.status();
    expect(st.bulk.booked).toBe(10);
    expect(st.bulk.ahead_ms).toBeGreaterThan(0);
    expect(st.critical.booked).toBe(0);
  });

  it("starts no more than 50 calls in any one second when 120 calls of two guilds wait at once", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    const starts: number[] = [];
    const a = new SlotSource(gate, { lane: "bulk", guild: "a", maxWaitMs: 60_000 });
    const b = new SlotSource(gate, { lane: "background", guild: "b", maxWaitMs: 60_000 });
    await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        (i % 2 ? a : b).take().then(() => {
          starts.push(Date.now());
        }),
      ),
    );
    starts.sort((x, y) => x - y);
    expect(starts).toHaveLength(120);
    // Measured when each awaited take() resumes, so an early slot's resumption can lag behind its time on a loaded
    // machine; the exact bound on the slots themselves is src/discord/budget.test.ts's, and the per-isolate limiter
    // guards the calls. 50 starts never fit in 900 ms here.
    for (let i = 50; i < starts.length; i++) expect((starts[i] as number) - (starts[i - 50] as number)).toBeGreaterThanOrEqual(900);
  });

  it("keeps a request the budget cannot serve yet and answers it with its slot when it comes, bulk before background", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    // Critical work books the next second (as far as bulk and background could reach, and beyond): both requests below
    // wait for the first bucket after it, whatever moment they arrive at.
    for (let i = 0; i < 10; i++) await gate.take({ lane: "critical", guild: `fill${i}`, n: 5 });
    const asked = Date.now();
    const background = gate.take({ lane: "background", guild: "sync", n: 5, waitMs: 3_000 });
    await new Promise((r) => setTimeout(r, 20));
    const bulk = gate.take({ lane: "bulk", guild: "fan", n: 5, waitMs: 3_000 });
    expect((await gate.status()).bulk.waiting).toBe(1);
    const [b, g] = await Promise.all([bulk, background]);
    expect(b.ok && g.ok).toBe(true);
    if (!b.ok || !g.ok) return;
    // One request each, answered once a bucket came within reach (no refusal to poll), the bulk one first.
    expect(Date.now() - asked).toBeLessThan(3_000);
    expect(Math.max(...b.slots)).toBeLessThan(Math.min(...g.slots));
  });

  it("asks once more when the gate drops its waiting request (a restart of the gate while it waited)", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    let asks = 0;
    const restarting: Pick<RateGate, "take" | "status"> = {
      take: async (req) => {
        asks++;
        if (asks === 1) throw new Error("Durable Object reset because its code was updated.");
        return gate.take(req);
      },
      status: () => gate.status(),
    };
    await new SlotSource(restarting, { lane: "bulk", guild: "g" }).take();
    expect(asks).toBe(2);
  });

  it("books exactly one slot per call when a chunk's calls reach the source one after another", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    let granted = 0;
    const counting = {
      take: async (req: Parameters<typeof gate.take>[0]) => {
        const g = await gate.take(req);
        if (g.ok) granted += g.slots.length;
        return g;
      },
      status: () => gate.status(),
    };
    const source = new SlotSource(counting, { lane: "bulk", guild: "fan", maxWaitMs: 60_000 });
    // As a fan-out's sends do: each reaches take() a few microtasks after the one before.
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        for (let k = 0; k < i; k++) await null;
        await source.take();
      }),
    );
    // Calls already holding a slot (asleep until its time) asked for none: nothing booked goes unused.
    expect(granted).toBe(40);
  });

  it("does not make a call with a slot whose time passed while the isolate was busy: it takes a new one", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    const asked: number[] = [];
    const late = {
      // The first grant reaches the call only after its slot's time (the isolate was busy for half a second).
      take: async (req: Parameters<typeof gate.take>[0]) => {
        asked.push(Date.now());
        const g = await gate.take(req);
        return asked.length === 1 && g.ok ? { ok: true as const, slots: g.slots.map((at) => at - 600) } : g;
      },
      status: () => gate.status(),
    };
    const source = new SlotSource(late, { lane: "bulk", guild: "late" });
    await source.take();
    // The stale slot was not used: the call went out on a second, current one.
    expect(asked).toHaveLength(2);
  });

  it("tells the gate its deadline: a call that cannot go out in time books no slot anyone else could have used", async () => {
    const scheduler = new BudgetScheduler();
    const now = 1_000_000;
    const gate: Pick<RateGate, "take" | "status"> = { take: async (req) => scheduler.request(req, now), status: async () => scheduler.status(now) };
    // Critical work holds the next second.
    for (let i = 0; i < 5; i++) await gate.take({ lane: "critical", guild: `c${i}`, n: 10 });
    const before = (await gate.status()).critical.booked;
    const source = new SlotSource(gate, { lane: "critical", guild: "dm", notAfter: now + 300, clock: () => now });
    const err = await source.take().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetDeferred);
    expect((err as BudgetDeferred).late).toBe(true);
    expect((await gate.status()).critical.booked).toBe(before);
  });

  it("takes a non-finite deadline for none, as before the gate was told of deadlines", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    for (const notAfter of [Number.NaN, Number.POSITIVE_INFINITY])
      await expect(new SlotSource(gate, { lane: "bulk", guild: "g", notAfter }).take()).resolves.toBeUndefined();
  });

  it("makes its call after a few retakes when every answer of the gate arrives after its slots' time", async () => {
    const scheduler = new BudgetScheduler();
    let now = 1_000_000;
    let asks = 0;
    // Each answer takes 250 ms to arrive (a far or busy gate): every slot it grants is stale on arrival.
    const slow: Pick<RateGate, "take" | "status"> = {
      take: async (req) => {
        asks++;
        if (asks > 50) throw new Error(`still asking after ${asks - 1} requests`);
        const g = scheduler.request(req, now);
        now += 250;
        return g;
      },
      status: async () => scheduler.status(now),
    };
    await new SlotSource(slow, { lane: "bulk", guild: "g", clock: () => now }).take();
    expect(asks).toBeLessThanOrEqual(4);
  });

  it("defers a call the budget cannot serve soon, and refuses one whose slot comes after its deadline", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    // Critical work books the next 10 s full.
    for (let i = 0, last = 0; i < 2_000 && last < Date.now() + 9_800; i++) {
      const g = await gate.take({ lane: "critical", guild: `c${i}`, n: 10 });
      if (g.ok) last = Math.max(last, ...g.slots);
    }
    const bg = new SlotSource(gate, { lane: "background", guild: "b", maxWaitMs: 1_000 });
    const err = await bg.take().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetDeferred);
    expect((err as BudgetDeferred).late).toBe(false);
    expect((err as BudgetDeferred).retryAt).toBeGreaterThan(Date.now() + 5_000);
    const late = new SlotSource(gate, { lane: "critical", guild: "z", notAfter: Date.now() + 500 });
    const lateErr = await late.take().catch((e: unknown) => e);
    expect(lateErr).toBeInstanceOf(BudgetDeferred);
    expect((lateErr as BudgetDeferred).late).toBe(true);
  });
});

describe("the per-isolate request limit", () => {
  it("lets no more than 49 REST calls start in any one second", async () => {
    const { takeSlot, ISOLATE_REQUESTS_PER_SECOND } = await import("./rest");
    const starts: number[] = [];
    // The limiter's own record of each start (its last clock reading), not when this loop happened to resume.
    let last = 0;
    const clock = () => {
      last = Date.now();
      return last;
    };
    for (let i = 0; i < 60; i++) {
      await takeSlot(clock);
      starts.push(last);
    }
    for (let i = ISOLATE_REQUESTS_PER_SECOND; i < starts.length; i++) {
      expect((starts[i] as number) - (starts[i - ISOLATE_REQUESTS_PER_SECOND] as number)).toBeGreaterThanOrEqual(1000);
    }
  });
});
