import { describe, expect, it } from "vitest";
import { IDENTIFY_SPACING_MS, type IdentifyTurn, identifyDelay, identifyKey, MIN_IDENTIFY_WAIT_MS, takeIdentifyTurn } from "./identify-slots";

describe("identify turns", () => {
  it("gives one turn per Discord 5 s window per key, only for now, and tells the others when to ask again", () => {
    const first = takeIdentifyTurn(undefined, 1_000);
    expect(first.turn).toEqual({ go: true });
    const second = takeIdentifyTurn(first.nextFree, 1_200);
    expect(second.turn).toEqual({ go: false, retryAt: 1_000 + IDENTIFY_SPACING_MS });
    // Nothing was booked for the shard told to wait.
    expect(second.nextFree).toBe(first.nextFree);
    // A key idle for longer than the window gives its turn at once.
    expect(takeIdentifyTurn(second.nextFree, 60_000)).toEqual({ turn: { go: true }, nextFree: 60_000 + IDENTIFY_SPACING_MS });
    expect(IDENTIFY_SPACING_MS).toBeGreaterThanOrEqual(5_000);
  });

  it("lets no stored time hold a key for more than one window from now (slots booked ahead before turns)", () => {
    expect(takeIdentifyTurn(1_000 + 1_270_000, 1_000)).toEqual({
      turn: { go: false, retryAt: 1_000 + IDENTIFY_SPACING_MS },
      nextFree: 1_000 + IDENTIFY_SPACING_MS,
    });
  });

  it("keys shards as Discord does (shard id % max_concurrency), a bad max_concurrency counting as 1", () => {
    expect([0, 1, 2, 3, 16, 17].map((s) => identifyKey(s, 16))).toEqual([0, 1, 2, 3, 0, 1]);
    expect(identifyKey(5, 0)).toBe(0);
    expect(identifyKey(5, Number.NaN)).toBe(0);
  });

  it("loses a late shard nothing but its lateness: with every wake a second late, ten shards identify one window apart", () => {
    // One key; each shard asks, and when told to wait wakes a second after the time it was given.
    let nextFree: number | undefined;
    const wakes = Array.from({ length: 10 }, () => 0);
    const identified: number[] = [];
    for (let now = 0; identified.length < 10 && now < 600_000; now += 100) {
      for (let shard = 0; shard < 10; shard++) {
        if (wakes[shard] !== now) continue;
        const taken = takeIdentifyTurn(nextFree, now);
        nextFree = taken.nextFree;
        if (taken.turn.go) identified.push(now);
        else wakes[shard] = Math.ceil((taken.turn.retryAt + 1_000) / 100) * 100;
      }
    }
    expect(identified).toHaveLength(10);
    const gaps = identified.slice(1).map((t, i) => t - (identified[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(IDENTIFY_SPACING_MS);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(IDENTIFY_SPACING_MS + 1_100);
  });

  it("waits as the gate says, never asks with one shard, and never waits less than a moment", async () => {
    let asked = 0;
    const gate = (turn: IdentifyTurn) => async () => {
      asked++;
      return turn;
    };
    const at40 = () => 40_000;
    expect(await identifyDelay([1, 2], at40, gate({ go: false, retryAt: 50_000 }))).toBe(10_000);
    expect(await identifyDelay([1, 2], at40, gate({ go: true }))).toBe(0);
    // The gate's clock a little behind the relay's: a retry time already passed still waits a moment.
    expect(await identifyDelay([1, 2], at40, gate({ go: false, retryAt: 39_990 }))).toBe(MIN_IDENTIFY_WAIT_MS);
    expect(asked).toBe(3);
    expect(await identifyDelay([0, 1], at40, gate({ go: false, retryAt: 50_000 }))).toBe(0);
    expect(asked).toBe(3);
  });
});
