import { describe, expect, it } from "vitest";
import { BUCKET_MS, BudgetScheduler, GLOBAL_LIMIT_PER_SECOND, HORIZON_MS, type Lane, MAX_GRANT, SLOT_LATENESS_MS } from "./budget";

interface Client {
  lane: Lane;
  guild: string;
  /** Calls still to make. */
  left: number;
  /** When it asks (next). */
  askAt: number;
  /** Start times of every slot it was granted, and when it asked for each. */
  slots: number[];
  askedAt: number[];
  /** Latest booking it held at the moment of each grant, relative to the grant's time. */
  maxAhead: number;
}

const client = (lane: Lane, guild: string, calls: number, askAt = 0): Client => ({ lane, guild, left: calls, askAt, slots: [], askedAt: [], maxAhead: 0 });

/**
 * Drives the scheduler with greedy callers: each asks again 10 ms after a grant (or at the retry time) for as
 * long as it has calls left, so only the scheduler's caps keep one from booking everything.
 */
function simulate(clients: Client[], untilMs: number, s = new BudgetScheduler()): BudgetScheduler {
  for (let t = 0; t <= untilMs; t += 10) {
    for (const c of clients) {
      if (c.left <= 0 || c.askAt > t) continue;
      const g = s.request({ lane: c.lane, guild: c.guild, n: c.left }, t);
      if (!g.ok) {
        c.askAt = g.retryAt;
        continue;
      }
      c.left -= g.slots.length;
      c.slots.push(...g.slots);
      c.askedAt.push(...g.slots.map(() => t));
      c.maxAhead = Math.max(c.maxAhead, (g.slots.at(-1) as number) - t);
      c.askAt = t + 10;
    }
  }
  return s;
}

const allSlots = (clients: Client[]) => clients.flatMap((c) => c.slots).sort((a, b) => a - b);

describe("the REST budget scheduler", () => {
  it("never lets 51 calls into one second, wherever Discord starts counting it, even when calls are made a little late", () => {
    const clients = [
      client("bulk", "a", 10_000),
      client("background", "b", 10_000),
      client("critical", "c", 300, 2_000),
      client("interactive", "d", 100, 4_000),
      ...Array.from({ length: 20 }, (_, i) => client("bulk", `g${i}`, 50, i * 300)),
    ];
    simulate(clients, 30_000);
    const slots = allSlots(clients);
    expect(slots.length).toBeGreaterThan(1_400);
    // A call is made at its slot or up to SLOT_LATENESS_MS after it: the 51st call after any call comes more than a
    // second after it only if their slots are a second plus that lateness apart.
    for (let i = GLOBAL_LIMIT_PER_SECOND; i < slots.length; i++) {
      expect((slots[i] as number) - (slots[i - GLOBAL_LIMIT_PER_SECOND] as number)).toBeGreaterThanOrEqual(1000 + SLOT_LATENESS_MS);
    }
  });

  it("keeps the budget saturated when one lane alone asks for more than it can give", () => {
    const clients = [client("bulk", "a", 10_000)];
    simulate(clients, 20_000);
    const inWindow = allSlots(clients).filter((t) => t >= 2_000 && t < 20_000).length;
    expect(inWindow / 18).toBeGreaterThanOrEqual(0.95 * GLOBAL_LIMIT_PER_SECOND);
  });

  it("gives another guild its fair share of a lane one guild asks 10,000 slots of", () => {
    const big = client("bulk", "big", 10_000);
    const small = client("bulk", "small", 200, 1_000);
    simulate([big, small], 30_000);
    // Two guilds share the lane: the small one gets about half of 50/s, so 200 calls take ~8 s, not 200 s.
    const done = small.slots.at(-1) as number;
    expect(small.left).toBe(0);
    expect(done - 1_000).toBeLessThanOrEqual((200 / (GLOBAL_LIMIT_PER_SECOND / 2)) * 1000 + 1_500);
    // And the big one was not starved either.
    expect(big.slots.filter((t) => t >= 1_000 && t < done).length).toBeGreaterThan(150);
  });

  it("serves critical requests within 2 s while bulk and background saturate the budget", () => {
    const fill = [client("bulk", "a", 10_000), client("bulk", "b", 10_000), client("background", "c", 10_000), client("background", "d", 10_000)];
    const critical = Array.from({ length: 40 }, (_, i) => client("critical", `x${i}`, 3, 1_000 + i * 437));
    simulate([...fill, ...critical], 25_000);
    for (const c of critical) {
      expect(c.left).toBe(0);
      for (const [i, at] of c.slots.entries()) expect(at - (c.askedAt[i] as number)).toBeLessThanOrEqual(2_000);
      expect((c.slots.at(-1) as number) - (critical.indexOf(c) * 437 + 1_000)).toBeLessThanOrEqual(2_000);
    }
    // Critical work did not idle the rest of the budget.
    const used = allSlots([...fill, ...critical]).filter((t) => t >= 2_000 && t < 25_000).length;
    expect(used / 23).toBeGreaterThanOrEqual(0.95 * GLOBAL_LIMIT_PER_SECOND);
  });

  it("serves one guild's single critical call within a second although another guild has 200 critical calls to make", () => {
    const big = client("critical", "cleanup", 200);
    const single = client("critical", "voice", 1, 100);
    simulate([big, single], 10_000);
    expect(single.left).toBe(0);
    expect((single.slots[0] as number) - 100).toBeLessThanOrEqual(1_000);
    expect(big.left).toBe(0);
  });

  it("keeps time-critical steps of calls made one after another within 2 s of their floor while bulk and background saturate", () => {
    // 25 event-channel creations due at the same moment, each 8 calls, each asked for only once the one before it
    // was answered (a slot, then ~50 ms of round trip), as an alarm's step makes them.
    const s = new BudgetScheduler();
    const fill = [client("bulk", "a", 100_000), client("background", "c", 100_000)];
    const steps = Array.from({ length: 25 }, (_, i) => ({ guild: `g${i}`, left: 8, askAt: 5_000, done: 0 }));
    for (let t = 0; t <= 30_000; t += 10) {
      for (const c of fill) {
        if (c.askAt > t) continue;
        const g = s.request({ lane: c.lane, guild: c.guild, n: MAX_GRANT }, t);
        c.askAt = g.ok ? t + 10 : g.retryAt;
        if (g.ok) c.slots.push(...g.slots);
      }
      for (const st of steps) {
        if (st.left <= 0 || st.askAt > t) continue;
        const g = s.request({ lane: "critical", guild: st.guild, n: 1 }, t);
        if (!g.ok) {
          st.askAt = g.retryAt;
          continue;
        }
        st.left--;
        st.askAt = (g.slots[0] as number) + 50;
        st.done = st.askAt;
      }
    }
    // The floor: 200 calls cannot all be made before 4 s at 50/s, and one step's 8 round trips take 0.4 s.
    const floor = 5_000 + (25 * 8 * 1000) / GLOBAL_LIMIT_PER_SECOND;
    for (const st of steps) {
      expect(st.left).toBe(0);
      expect(st.done - floor).toBeLessThanOrEqual(2_000);
    }
    const used = allSlots(fill).length + 200;
    expect(used / 30).toBeGreaterThanOrEqual(0.95 * GLOBAL_LIMIT_PER_SECOND);
  });

  it("never books background or bulk beyond their horizon, and grants at most 10 slots per request", () => {
    const s = new BudgetScheduler();
    for (let t = 0; t < 5_000; t += 10) {
      for (const lane of ["bulk", "background"] as const) {
        const g = s.request({ lane, guild: "a", n: 10_000 }, t);
        if (!g.ok) {
          expect(g.retryAt).toBeGreaterThan(t);
          continue;
        }
        expect(g.slots.length).toBeLessThanOrEqual(MAX_GRANT);
        for (const at of g.slots) expect(at - t).toBeLessThanOrEqual(HORIZON_MS[lane]);
      }
      const st = s.status(t);
      expect(st.background.ahead_ms).toBeLessThanOrEqual(HORIZON_MS.background);
      expect(st.bulk.ahead_ms).toBeLessThanOrEqual(HORIZON_MS.bulk);
    }
  });

  it("answers a request that cannot be served within the horizon with a time to ask again, not a far slot", () => {
    const s = new BudgetScheduler();
    // Critical work books the next 10 s full.
    // (each guild books only its fair share, so as many guilds as it takes)
    for (let i = 0; i < 1_000; i++) s.request({ lane: "critical", guild: `c${i}`, n: 10 }, 0);
    const g = s.request({ lane: "background", guild: "b", n: 5 }, 0);
    expect(g.ok).toBe(false);
    if (!g.ok) {
      expect(g.retryAt).toBeGreaterThan(8_000);
      const later = s.request({ lane: "background", guild: "b", n: 5 }, g.retryAt);
      expect(later.ok).toBe(true);
    }
    expect(s.status(0).critical.ahead_ms).toBeGreaterThanOrEqual(9_900);
  });

  it("books no slot past a request's deadline: refused as late, the slot after it stays free for the next caller", () => {
    const s = new BudgetScheduler();
    // Critical work holds the next five buckets; a reminder DM that must go out within 250 ms cannot.
    for (let i = 0; i < 5; i++) expect(s.request({ lane: "critical", guild: `c${i}`, n: MAX_GRANT }, 0).ok).toBe(true);
    const booked = s.status(0).critical.ahead_ms;
    const late = s.request({ lane: "critical", guild: "dm", n: MAX_GRANT, notAfter: 250 }, 0);
    expect(late).toMatchObject({ ok: false, reason: "late" });
    if (!late.ok) expect(late.retryAt).toBeGreaterThan(250);
    // The first free slot still goes to whoever asks next (the late request took none of it).
    const next = s.request({ lane: "critical", guild: "next", n: 1 }, 0);
    expect(next.ok && next.slots[0]).toBeGreaterThan(booked);
    expect(next.ok && next.slots[0]).toBeLessThanOrEqual(booked + 2 * BUCKET_MS);
    // A deadline within reach is served, with no slot after it.
    const inTime = s.request({ lane: "critical", guild: "soon", n: MAX_GRANT, notAfter: booked + 2 * BUCKET_MS }, 0);
    expect(inTime.ok).toBe(true);
    if (inTime.ok) expect(Math.max(...inTime.slots)).toBeLessThanOrEqual(booked + 2 * BUCKET_MS);
  });
});
