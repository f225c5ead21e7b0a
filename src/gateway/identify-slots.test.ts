import { describe, expect, it } from "vitest";
import { bookIdentify, IDENTIFY_SPACING_MS, identifyKey } from "./identify-slots";

describe("identify slots", () => {
  it("spaces the identifies of one rate-limit key by Discord's 5 s window", () => {
    const first = bookIdentify(undefined, 1_000);
    expect(first.at).toBe(1_000);
    const second = bookIdentify(first.nextFree, 1_200);
    expect(second.at).toBe(1_000 + IDENTIFY_SPACING_MS);
    expect(second.nextFree).toBe(1_000 + 2 * IDENTIFY_SPACING_MS);
    // A key idle for longer than the window identifies at once.
    expect(bookIdentify(second.nextFree, 60_000).at).toBe(60_000);
    expect(IDENTIFY_SPACING_MS).toBeGreaterThanOrEqual(5_000);
  });

  it("keys shards as Discord does (shard id % max_concurrency), a bad max_concurrency counting as 1", () => {
    expect([0, 1, 2, 3, 16, 17].map((s) => identifyKey(s, 16))).toEqual([0, 1, 2, 3, 0, 1]);
    expect(identifyKey(5, 0)).toBe(0);
    expect(identifyKey(5, Number.NaN)).toBe(0);
  });
});
