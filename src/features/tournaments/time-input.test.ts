import { describe, expect, it } from "vitest";
import { parseMatchTime } from "./time-input";

const NOW = Date.UTC(2026, 10, 23, 12, 0); // Mon 23 Nov 2026 12:00 UTC
const H = 3_600_000;

describe("match time range (one check for every form)", () => {
  it.each([
    ["<t:9999999999999>", "out_of_range", "not a date Discord can show"],
    ["<t:99999999999999999999:F>", "out_of_range", "not a date Discord can show"],
    ["2020-01-01 10:00", "past", "Wed, Jan 1, 2020, 10:00 (Europe/Berlin), which is in the past"],
    ["<t:1:F>", "past", "in the past"],
    ["2029-01-01 10:00", "too_far", "more than 2 years ahead"],
    ["in 999999w", "too_far", "more than 2 years ahead"],
    ["<t:4102444800>", "too_far", "more than 2 years ahead"],
  ])("refuses %s as %s and says so", (input, problem, text) => {
    const r = parseMatchTime(input, "Europe/Berlin", NOW);
    expect(r).toMatchObject({ ok: false, problem });
    if (!r.ok) {
      expect(r.reason).toContain(text);
      expect(r.reason).not.toContain("couldn't read");
      expect(r.label.length).toBeLessThanOrEqual(97);
    }
  });

  it("accepts a match played in the last week and one up to two years ahead", () => {
    expect(parseMatchTime("2026-11-21 10:00Z", "UTC", NOW)).toMatchObject({ ok: true, at: Date.UTC(2026, 10, 21, 10, 0) });
    expect(parseMatchTime(`<t:${(NOW - 2 * H) / 1000}>`, "UTC", NOW)).toMatchObject({ ok: true, at: NOW - 2 * H });
    expect(parseMatchTime("2028-11-01 10:00", "UTC", NOW)).toMatchObject({ ok: true });
  });

  it("still answers unreadable input with the accepted forms", () => {
    expect(parseMatchTime("next tuesday", "UTC", NOW)).toMatchObject({ ok: false, problem: "unreadable", reason: expect.stringContaining("couldn't read") });
  });
});
