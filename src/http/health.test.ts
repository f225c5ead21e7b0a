import { describe, expect, it } from "vitest";
import { cachedFor } from "./health";

describe("cachedFor", () => {
  it("serves one computation per window and computes again after it, or after a failure", async () => {
    let now = 1_000;
    let runs = 0;
    let fail = false;
    const get = cachedFor(
      5_000,
      async (_: null, at: number) => {
        runs++;
        if (fail) throw new Error("boom");
        return at;
      },
      () => now,
    );
    expect(await get(null)).toBe(1_000);
    now = 5_999;
    expect(await get(null)).toBe(1_000);
    expect(runs).toBe(1);
    now = 6_000;
    expect(await get(null)).toBe(6_000);
    fail = true;
    now = 20_000;
    await expect(get(null)).rejects.toThrow("boom");
    fail = false;
    expect(await get(null)).toBe(20_000);
    expect(runs).toBe(4);
  });
});
