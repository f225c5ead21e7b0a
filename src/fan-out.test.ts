import { describe, expect, it } from "vitest";
import { pageDueTimes } from "./fan-out";

describe("a fan-out page's due times", () => {
  it("spreads a page's guilds evenly over the gap before the next page, in order", () => {
    const due = pageDueTimes(10_000, 4, 1_000);
    expect(due).toEqual([10_000, 10_250, 10_500, 10_750]);
    expect(pageDueTimes(5, 0, 1_000)).toEqual([]);
    expect(pageDueTimes(5, 1, 1_000)).toEqual([5]);
  });
});
