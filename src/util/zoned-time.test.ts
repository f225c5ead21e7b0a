import { describe, expect, it } from "vitest";
import { canonicalTimeZone, formatInZone, localDate, resolveWallTime, timeZoneNames, zonedToUtc } from "./zoned-time";

const utc = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

describe("wall time → instant across DST changes", () => {
  it("reads ordinary times on a DST change day in New York and Berlin with that day's offsets", () => {
    // 2026-03-08: New York springs forward at 02:00 EST → 03:00 EDT.
    expect(resolveWallTime({ y: 2026, mo: 3, d: 8, h: 1, mi: 30 }, "America/New_York")).toEqual({ kind: "exact", at: utc(2026, 3, 8, 6, 30) });
    expect(resolveWallTime({ y: 2026, mo: 3, d: 8, h: 19, mi: 30 }, "America/New_York")).toEqual({ kind: "exact", at: utc(2026, 3, 8, 23, 30) });
    // 2026-03-29: Berlin springs forward at 02:00 CET → 03:00 CEST.
    expect(zonedToUtc({ y: 2026, mo: 3, d: 29, h: 1, mi: 59 }, "Europe/Berlin")).toBe(utc(2026, 3, 29, 0, 59));
    expect(zonedToUtc({ y: 2026, mo: 3, d: 29, h: 3, mi: 0 }, "Europe/Berlin")).toBe(utc(2026, 3, 29, 1, 0));
    expect(zonedToUtc({ y: 2026, mo: 3, d: 29, h: 19, mi: 30 }, "Europe/Berlin")).toBe(utc(2026, 3, 29, 17, 30));
  });

  it("names the skipped hour for a time that does not exist (spring forward) and maps it to the reading after the jump", () => {
    expect(resolveWallTime({ y: 2026, mo: 3, d: 8, h: 2, mi: 30 }, "America/New_York")).toEqual({
      kind: "gap",
      at: utc(2026, 3, 8, 7, 30), // 03:30 EDT
      gap: { from: "02:00", to: "03:00" },
    });
    expect(resolveWallTime({ y: 2026, mo: 3, d: 29, h: 2, mi: 30 }, "Europe/Berlin")).toEqual({
      kind: "gap",
      at: utc(2026, 3, 29, 1, 30), // 03:30 CEST
      gap: { from: "02:00", to: "03:00" },
    });
  });

  it("takes the earlier of a time that happens twice (fall back), in both hemispheres of UTC alike", () => {
    // 2026-11-01 01:30 in New York: EDT (05:30Z) then EST (06:30Z).
    expect(resolveWallTime({ y: 2026, mo: 11, d: 1, h: 1, mi: 30 }, "America/New_York")).toEqual({
      kind: "ambiguous",
      at: utc(2026, 11, 1, 5, 30),
      later: utc(2026, 11, 1, 6, 30),
    });
    // 2026-10-25 02:30 in Berlin: CEST (00:30Z) then CET (01:30Z).
    expect(resolveWallTime({ y: 2026, mo: 10, d: 25, h: 2, mi: 30 }, "Europe/Berlin")).toEqual({
      kind: "ambiguous",
      at: utc(2026, 10, 25, 0, 30),
      later: utc(2026, 10, 25, 1, 30),
    });
  });

  it("refuses a reading that is no calendar date or time", () => {
    expect(() => resolveWallTime({ y: 2026, mo: 2, d: 30, h: 19, mi: 0 }, "UTC")).toThrow(RangeError);
    expect(() => resolveWallTime({ y: 2026, mo: 12, d: 1, h: 24, mi: 0 }, "UTC")).toThrow(RangeError);
  });

  it("accepts a fixed offset as a zone", () => {
    expect(zonedToUtc({ y: 2026, mo: 12, d: 1, h: 19, mi: 30 }, "+05:30")).toBe(utc(2026, 12, 1, 14, 0));
  });
});

describe("instant → wall time", () => {
  it("gives the local date and formats in the zone", () => {
    expect(localDate(utc(2026, 3, 8, 4, 0), "America/New_York")).toBe("2026-03-07");
    expect(localDate(utc(2026, 3, 8, 4, 0), "Europe/Berlin")).toBe("2026-03-08");
    expect(formatInZone(utc(2026, 3, 29, 1, 30), "Europe/Berlin", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })).toBe("03:30");
  });

  it("canonicalises zone names and refuses unknown ones", () => {
    expect(canonicalTimeZone(" europe/berlin ")).toBe("Europe/Berlin");
    expect(canonicalTimeZone("Mars/Olympus")).toBeNull();
    expect(canonicalTimeZone("")).toBeNull();
  });

  it("gives the same answers from its caches: again, per zone, per option set, and past the cache's bound", () => {
    const at = utc(2026, 3, 29, 1, 30);
    for (let i = 0; i < 2; i++) {
      expect(canonicalTimeZone("Mars/Olympus")).toBeNull();
      expect(canonicalTimeZone("europe/berlin")).toBe("Europe/Berlin");
      expect(formatInZone(at, "Europe/Berlin", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })).toBe("03:30");
      expect(formatInZone(at, "America/New_York", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })).toBe("21:30");
      expect(formatInZone(at, "Europe/Berlin", { weekday: "short" })).toBe("Sun");
    }
    // Hostile input fills the cache; answers stay right after it is emptied.
    for (let i = 0; i < 1_200; i++) expect(canonicalTimeZone(`Nowhere/${i}`)).toBeNull();
    expect(canonicalTimeZone("europe/berlin")).toBe("Europe/Berlin");
    // More formatters than the cache holds (every zone, several option sets): the oldest go, answers stay right.
    const sets: Intl.DateTimeFormatOptions[] = [
      { weekday: "short" },
      { day: "numeric" },
      { month: "short" },
      { hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
    ];
    for (const options of sets) for (const zone of timeZoneNames()) formatInZone(at, zone, options);
    expect(formatInZone(at, "Europe/Berlin", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })).toBe("03:30");
    expect(formatInZone(at, "Asia/Tokyo", { weekday: "short" })).toBe("Sun");
  });
});
