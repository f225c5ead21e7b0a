import { describe, expect, it } from "vitest";
import { CHUNK, CHUNKS_PER_RUN, runGoesOn, uncachedRunChunks } from "./fanout-send";

/** Chunks one run sends when each chunk spends `perChunk` subrequests. */
const chunksAt = (perChunk: number) => {
  let k = 0;
  while (runGoesOn(k, k * perChunk)) k++;
  return k;
};

describe("how much of a reminder fan-out one alarm invocation sends", () => {
  it("sends every chunk of a run to members whose DM channels are cached (one call each)", () => {
    expect(chunksAt(CHUNK + 30)).toBe(CHUNKS_PER_RUN);
  });

  it("stops early for members never DMed (an open, a cache write and a send each), within 1,000 subrequests", () => {
    const n = uncachedRunChunks();
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThan(CHUNKS_PER_RUN);
    expect(n * (3 * CHUNK + 30)).toBeLessThanOrEqual(1_000);
    // A run that has already spent most of its budget starts no chunk that could take it past.
    expect(runGoesOn(1, 900)).toBe(false);
  });
});
