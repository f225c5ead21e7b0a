import { describe, expect, it } from "vitest";
import { BUCKET_MS, BUCKET_SLOTS, BudgetScheduler, GLOBAL_LIMIT_PER_SECOND, type Grant, HORIZON_MS, type Lane, SLOT_LATENESS_MS } from "./budget";
import { MAX_HOLD_MS, WaitingRoom } from "./budget-waiters";

/** A room driven as the RateGate object drives it: serve() at each nextAt(), time moving in 1 ms steps. */
function harness() {
  const budget = new BudgetScheduler();
  const room = new WaitingRoom(budget);
  const answers: { lane: Lane; guild: string; asked: number; at: number; grant: Grant }[] = [];
  let now = 0;
  /** Books the lane to its horizon now (requests that do not wait, until one is refused). */
  const fill = (lane: Lane) => {
    for (let i = 0; ; i++) {
      let refused = false;
      room.offer({ lane, guild: `fill${now}-${i}`, n: 5 }, now, (g) => {
        refused = !g.ok;
      });
      if (refused) return;
    }
  };
  return {
    fill,
    budget,
    room,
    answers,
    get now() {
      return now;
    },
    /** A caller with `total` calls to make that asks again as soon as it is answered (its calls keep waiting). */
    greedy(lane: Lane, guild: string, total: number, waitMs: number, slots: number[] = []) {
      let left = total;
      const again = () => {
        room.offer({ lane, guild, n: left, waitMs }, now, (g) => {
          slots.push(...slotsOf(g));
          left -= slotsOf(g).length;
          if (left > 0) again();
        });
      };
      again();
      return slots;
    },
    ask(lane: Lane, guild: string, n: number, waitMs: number) {
      const asked = now;
      room.offer({ lane, guild, n, waitMs }, now, (grant) => answers.push({ lane, guild, asked, at: now, grant }));
    },
    runUntil(t: number) {
      while (now < t) {
        const next = room.nextAt();
        now = next === null ? t : Math.min(t, Math.max(now + 1, next));
        room.serve(now);
      }
    },
  };
}

const slotsOf = (g: Grant) => (g.ok ? g.slots : []);

describe("the RateGate's waiting room", () => {
  it("gives a slot coming within reach to a waiting bulk request before a background request that waited longer", () => {
    const h = harness();
    // The bulk and background horizon is booked full.
    h.fill("bulk");
    h.ask("background", "sync", 5, 3_000);
    h.runUntil(10);
    h.ask("bulk", "dm", 5, 3_000);
    h.runUntil(2_000);
    const bg = h.answers.find((a) => a.guild === "sync");
    const bulk = h.answers.find((a) => a.guild === "dm");
    expect(bulk?.grant.ok && bg?.grant.ok).toBe(true);
    expect(slotsOf(bulk?.grant as Grant)[0]).toBeLessThan(slotsOf(bg?.grant as Grant)[0] as number);
  });

  it("answers a waiting request the moment its slot comes within reach, without being asked again", () => {
    const h = harness();
    h.fill("bulk");
    const booked = h.budget.status(0).bulk.booked;
    h.ask("bulk", "late", 2, 3_000);
    h.runUntil(3_000);
    const a = h.answers.find((x) => x.guild === "late");
    expect(a?.grant.ok).toBe(true);
    // The first bucket after the booked ones comes within the lane's horizon then, and the request is served then.
    const nextBucket = booked / 5;
    expect(a?.at).toBe(nextBucket * BUCKET_MS - HORIZON_MS.bulk);
    expect(slotsOf(a?.grant as Grant)).toEqual([nextBucket * BUCKET_MS, nextBucket * BUCKET_MS]);
  });

  it("answers at once, with when to ask again, a request the budget cannot serve within its wait", () => {
    const h = harness();
    // Critical work books the next 10 s.
    for (let i = 0; i < 1_000; i++) h.ask("critical", `c${i}`, 10, 0);
    h.ask("background", "b", 5, 2_000);
    const a = h.answers.find((x) => x.guild === "b");
    expect(a?.at).toBe(0);
    expect(a?.grant.ok).toBe(false);
    expect(a?.grant.ok === false && a.grant.retryAt).toBeGreaterThan(8_000);
  });

  it("answers a request still waiting at the end of its wait (never longer than the gate holds any)", () => {
    const h = harness();
    // A bulk guild with endless calls keeps its lane booked; the background request behind it never gets a slot.
    h.greedy("bulk", "fan", 1_000_000, MAX_HOLD_MS);
    h.ask("background", "b", 1, 60_000);
    h.runUntil(MAX_HOLD_MS + 1_000);
    const a = h.answers.find((x) => x.guild === "b");
    expect(a?.grant.ok).toBe(false);
    expect(a?.at).toBeLessThanOrEqual(MAX_HOLD_MS);
    expect(a?.at).toBeGreaterThan(MAX_HOLD_MS - BUCKET_MS);
  });

  it("keeps the budget at 49 calls a second for waiting callers of every lane, bulk before background, and never 51 in a second", () => {
    const h = harness();
    const bulk = h.greedy("bulk", "fan", 600, 3_000);
    const background = h.greedy("background", "sync", 2_000, 3_000);
    h.runUntil(2_000);
    const critical = h.greedy("critical", "ec", 150, 3_000);
    h.runUntil(20_000);
    const slots = [...bulk, ...background, ...critical].sort((a, b) => a - b);
    const inWindow = slots.filter((t) => t >= 0 && t < 18_000).length;
    expect(inWindow / 18).toBeGreaterThanOrEqual((0.98 * (BUCKET_SLOTS * 1000)) / BUCKET_MS);
    for (let i = GLOBAL_LIMIT_PER_SECOND; i < slots.length; i++)
      expect((slots[i] as number) - (slots[i - GLOBAL_LIMIT_PER_SECOND] as number)).toBeGreaterThanOrEqual(1000 + SLOT_LATENESS_MS);
    // Bulk went first: its 600 calls took the budget's time for 600 calls (plus what critical took meanwhile), not
    // the time for half of it beside background.
    expect(bulk).toHaveLength(600);
    expect((bulk.at(-1) as number) / 1000).toBeLessThanOrEqual((600 + 150) / 49 + 1);
    expect(critical).toHaveLength(150);
    expect(background.filter((t) => t < (bulk.at(-1) as number)).length).toBeLessThan(50);
  });
});
