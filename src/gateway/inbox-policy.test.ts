import { describe, expect, it } from "vitest";
import { DEFAULT_INBOX_BOUND, mayResume, mustPause, retryDelayMs } from "./inbox-policy";

describe("the relay queue's bound", () => {
  it("at 100,000 waiting dispatches it has long stopped reading: the default bound is 10,000 rows or 512 MB", () => {
    expect(DEFAULT_INBOX_BOUND).toEqual({ rows: 10_000, bytes: 512 * 1024 * 1024 });
    expect(mustPause({ rows: 100_000, bytes: 0 }, DEFAULT_INBOX_BOUND)).toBe(true);
    expect(mustPause({ rows: 9_999, bytes: 0 }, DEFAULT_INBOX_BOUND)).toBe(false);
    expect(mustPause({ rows: 1, bytes: 600 * 1024 * 1024 }, DEFAULT_INBOX_BOUND)).toBe(true);
  });

  it("reads again only once the queue is down to half, so it does not flap", () => {
    expect(mayResume({ rows: 5_001, bytes: 0 }, DEFAULT_INBOX_BOUND)).toBe(false);
    expect(mayResume({ rows: 5_000, bytes: 0 }, DEFAULT_INBOX_BOUND)).toBe(true);
    expect(mayResume({ rows: 10, bytes: 300 * 1024 * 1024 }, DEFAULT_INBOX_BOUND)).toBe(false);
  });

  it("retries a failing dispatch after 1 s doubling, capped at 30 s", () => {
    expect([1, 2, 3, 4, 6, 10].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 30_000, 30_000]);
  });
});
