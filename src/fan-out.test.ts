import { describe, expect, it } from "vitest";
import { pageDueTimes } from "./fan-out";

describe("a fan-out page's due times", () => {
  it("spreads a full page evenly over the gap before the next page, in order, and a short page at the same pace", () => {
    expect(pageDueTimes(10_000, 4, 1_000, 4)).toEqual([10_000, 10_250, 10_500, 10_750]);
    expect(pageDueTimes(10_000, 2, 1_000, 100)).toEqual([10_000, 10_010]);
    expect(pageDueTimes(5, 0, 1_000, 100)).toEqual([]);
  });
});
