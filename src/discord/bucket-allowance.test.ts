import { describe, expect, it } from "vitest";
import { BucketAllowance, bucketKey } from "./bucket-allowance";

/** An allowance on a clock the test moves; sleeping moves it. */
function clocked() {
  let t = 1_000;
  const a = new BucketAllowance(
    () => t,
    async (ms) => {
      t += ms;
      await new Promise((r) => setTimeout(r, 0));
    },
  );
  return { a, at: () => t };
}

const ok = (remaining: number, resetAfterS: number, limit = 5) => ({
  status: 204,
  header: (n: string) =>
    ({ "x-ratelimit-limit": String(limit), "x-ratelimit-remaining": String(remaining), "x-ratelimit-reset-after": String(resetAfterS) })[n] ?? null,
});

describe("a bucket shared by requests sent side by side", () => {
  it("sends two requests first to learn the bucket, then as many as it has left, then waits for its reset", async () => {
    const { a, at } = clocked();
    const key = "PUT /guilds/1/members/:id/roles/:id";
    await a.acquire(key);
    await a.acquire(key);
    // The first of them hangs: the second's answer describes the bucket.
    let second = false;
    const waiting = a.acquire(key).then(() => {
      second = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(second).toBe(false);
    a.settle(key, ok(2, 1));
    await waiting;
    expect(second).toBe(true);
    expect(at()).toBeLessThan(1_500);
    // Two were left, and the hung one and the third are in flight: the fourth waits for the window's reset.
    await a.acquire(key);
    expect(at()).toBeGreaterThanOrEqual(2_000);
  });

  it("holds every request after a 429 for its retry_after", async () => {
    const { a, at } = clocked();
    const key = "PUT /guilds/2/members/:id/roles/:id";
    await a.acquire(key);
    a.settle(key, ok(4, 1));
    await a.acquire(key);
    a.settle(key, { status: 429, header: (n) => (n === "retry-after" ? "3" : null) });
    await a.acquire(key);
    expect(at()).toBeGreaterThanOrEqual(4_000);
  });

  it("gives up waiting when the request's signal is aborted", async () => {
    const { a } = clocked();
    const key = "PUT /guilds/3/members/:id/roles/:id";
    await a.acquire(key);
    const abort = new AbortController();
    abort.abort(new Error("timed out"));
    await expect(a.acquire(key, abort.signal)).rejects.toThrow("timed out");
  });

  it("keys a route by its first id (Discord's major parameter): one guild's grants share a bucket, another guild's do not", () => {
    const url = (g: string, u: string) => `https://discord.com/api/v10/guilds/${g}/members/${u}/roles/111111111111111111`;
    expect(bucketKey("put", url("222222222222222222", "333333333333333333"))).toBe(bucketKey("PUT", url("222222222222222222", "444444444444444444")));
    expect(bucketKey("PUT", url("222222222222222222", "333333333333333333"))).not.toBe(bucketKey("PUT", url("555555555555555555", "333333333333333333")));
  });
});
