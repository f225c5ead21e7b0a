import { describe, expect, it } from "vitest";
import { backoffMs, backoffScale } from "./agenda";

describe("retry backoff", () => {
  it("doubles from 30 s and is capped at an hour", () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffMs(20)).toBe(3_600_000);
  });

  it("shrinks by the chaos suite's scale, and only a factor in (0, 1] is trusted", () => {
    expect(backoffMs(2, backoffScale("0.2"))).toBe(12_000);
    for (const raw of [undefined, "", "0", "-1", "2", "fast"]) expect(backoffScale(raw)).toBe(1);
  });
});
