import { describe, expect, it } from "vitest";
import { parseMatchTime, relativeLabel } from "./time-input";

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

describe("match times on DST change days", () => {
  const MARCH = Date.UTC(2026, 2, 1, 12, 0);

  it("reads a time entered on the spring-forward day with that evening's offset (New York, Berlin)", () => {
    expect(parseMatchTime("2026-03-08 19:30", "America/New_York", MARCH)).toMatchObject({ ok: true, at: Date.UTC(2026, 2, 8, 23, 30), form: "local" });
    expect(parseMatchTime("2026-03-08 1:30am", "America/New_York", MARCH)).toMatchObject({ ok: true, at: Date.UTC(2026, 2, 8, 6, 30) });
    expect(parseMatchTime("2026-03-29 19:30", "Europe/Berlin", MARCH)).toMatchObject({ ok: true, at: Date.UTC(2026, 2, 29, 17, 30) });
    expect(parseMatchTime("2026-03-29 01:30", "Europe/Berlin", MARCH)).toMatchObject({ ok: true, at: Date.UTC(2026, 2, 29, 0, 30) });
  });

  it.each([
    ["2026-03-08 02:30", "America/New_York", "2026-03-08 03:30"],
    ["2026-03-08 2:30am", "America/New_York", "2026-03-08 03:30"],
    ["2026-03-29 02:30", "Europe/Berlin", "2026-03-29 03:30"],
  ])("refuses %s in %s (the clocks skip it) and says which hour is missing", (input, tz, instead) => {
    const r = parseMatchTime(input, tz, MARCH);
    expect(r).toMatchObject({ ok: false, problem: "nonexistent" });
    if (!r.ok) {
      expect(r.reason).toContain(`does not exist in ${tz}`);
      expect(r.reason).toContain("from 02:00 straight to 03:00");
      expect(r.reason).toContain(instead);
      expect(r.label.length).toBeLessThanOrEqual(97);
    }
  });

  it("reads a time that happens twice (fall back) as the first one, in New York and Berlin alike", () => {
    const OCT = Date.UTC(2026, 9, 20, 12, 0);
    expect(parseMatchTime("2026-11-01 01:30", "America/New_York", OCT)).toMatchObject({ ok: true, at: Date.UTC(2026, 10, 1, 5, 30) });
    expect(parseMatchTime("2026-10-25 02:30", "Europe/Berlin", OCT)).toMatchObject({ ok: true, at: Date.UTC(2026, 9, 25, 0, 30) });
  });

  it("takes a typed offset as it is, DST or not", () => {
    expect(parseMatchTime("2026-03-08 02:30-05:00", "America/New_York", MARCH)).toMatchObject({ ok: true, at: Date.UTC(2026, 2, 8, 7, 30), form: "offset" });
    expect(parseMatchTime("2026-03-29 02:30 +0100", "Europe/Berlin", MARCH)).toMatchObject({ ok: true, at: Date.UTC(2026, 2, 29, 1, 30) });
  });
});

describe("autocomplete's relative label", () => {
  it("rounds to the minute before splitting into units (never `1 h 60 min`)", () => {
    expect(relativeLabel(NOW + 2 * H - 20_000, NOW)).toBe("in 2 h");
    expect(relativeLabel(NOW + 3 * H + 20 * 60_000, NOW)).toBe("in 3 h 20 min");
    expect(relativeLabel(NOW - 50 * H, NOW)).toBe("2 d 2 h ago");
  });
});
