import { describe, expect, it } from "vitest";
import { formatDurationCompact, formatDurationLong, formatRelative, parseDuration } from "./duration";

const M = 60_000;
const H = 60 * M;
const D = 24 * H;

describe("parseDuration", () => {
  it.each([
    ["24h", 24 * H],
    ["15m", 15 * M],
    ["1h30m", 90 * M],
    ["1h 30m", 90 * M],
    ["2d", 2 * D],
    ["1d2h3m", D + 2 * H + 3 * M],
    ["90 min", 90 * M],
    ["3 days", 3 * D],
    ["1 hour 20 minutes", 80 * M],
    ["2hrs", 2 * H],
    ["1w", 7 * D],
    ["1W 2D", 9 * D],
    ["0m", 0],
  ])("reads %j", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "now", "10", "h", "1hm", "2 fortnights", "1h,", "tomorrow-ish", "1.5h", "-1h"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe("formatting", () => {
  it("writes the compact form members type back, and it reads again as the same span", () => {
    for (const ms of [15 * M, 90 * M, D + 2 * H + 3 * M, 30 * D, 0]) expect(parseDuration(formatDurationCompact(ms))).toBe(ms);
    expect(formatDurationCompact(90 * M)).toBe("1h30m");
    expect(formatDurationCompact(2 * D + 5 * M)).toBe("2d5m");
    expect(formatDurationCompact(0)).toBe("0m");
  });

  it("writes the long form with the two largest units, rounded to the minute", () => {
    expect(formatDurationLong(3 * H + 20 * M)).toBe("3 h 20 min");
    expect(formatDurationLong(2 * D + 4 * H + 59 * M)).toBe("2 d 4 h");
    expect(formatDurationLong(5 * M)).toBe("5 min");
    expect(formatDurationLong(H)).toBe("1 h");
    // 1 h 59 min 40 s is 2 h to the minute, not "1 h 60 min".
    expect(formatDurationLong(2 * H - 20_000)).toBe("2 h");
  });

  it("says in … or … ago", () => {
    expect(formatRelative(1_000 + 2 * H, 1_000)).toBe("in 2 h");
    expect(formatRelative(0, 2 * D)).toBe("2 d ago");
  });
});
