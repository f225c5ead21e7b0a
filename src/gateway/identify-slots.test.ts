import { describe, expect, it } from "vitest";
import { bookIdentify, IDENTIFY_SLOT_GRACE_MS, IDENTIFY_SPACING_MS, identifyDelay, identifyKey } from "./identify-slots";

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

  it("uses a booked slot a little late, books again when it was missed by more, and never waits with one shard", async () => {
    let booked = 0;
    const book = async () => {
      booked++;
      return 50_000;
    };
    expect(await identifyDelay([1, 2], null, 40_000, book)).toEqual({ waitMs: 10_000, held: 50_000 });
    expect(await identifyDelay([1, 2], 50_000, 50_000 + IDENTIFY_SLOT_GRACE_MS, book)).toEqual({ waitMs: 0, held: 50_000 });
    expect(booked).toBe(1);
    // An alarm 3 s late: identifying now would come 2.5 s before the key's next slot.
    await identifyDelay([1, 2], 50_000, 53_000, book);
    expect(booked).toBe(2);
    expect(await identifyDelay([0, 1], null, 40_000, book)).toEqual({ waitMs: 0, held: null });
    expect(booked).toBe(2);
  });
});
