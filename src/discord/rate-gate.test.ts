import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { paced, rateGate } from "./rate-gate";

describe("RateGate and paced", () => {
  it("hands out back-to-back, evenly spaced slots to everyone who asks", async () => {
    const gate = rateGate(env.RATE_GATE, `test-${crypto.randomUUID()}`);
    const a = await gate.reserve(40, 50);
    const b = await gate.reserve(10, 50);
    expect(a.interval).toBe(20);
    expect(b.start).toBeGreaterThanOrEqual(a.start + 40 * 20);
  });

  it("never starts more than 50 calls in any one second, even when asked for everything at once", async () => {
    const starts: number[] = [];
    const { results } = await paced({ start: Date.now(), interval: 0 }, 60, async (i) => {
      starts.push(Date.now());
      return i;
    });
    expect(results).toHaveLength(60);
    for (let i = 50; i < starts.length; i++) expect((starts[i] as number) - (starts[i - 50] as number)).toBeGreaterThanOrEqual(1000);
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
