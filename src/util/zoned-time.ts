/**
 * The one place that turns wall-clock times in an IANA timezone into instants and back: Temporal does the zone
 * and DST arithmetic. workerd (compatibility date 2026-11-01) has no global Temporal, so this uses
 * temporal-polyfill's function API, which bundles a third of the size of its class API.
 */
import * as PlainDate from "temporal-polyfill/fns/PlainDate";
import * as PlainDateTime from "temporal-polyfill/fns/PlainDateTime";
import * as PlainTime from "temporal-polyfill/fns/PlainTime";
import * as ZonedDateTime from "temporal-polyfill/fns/ZonedDateTime";

/** A wall-clock reading; months and days count from 1. */
export interface WallTime {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s?: number;
}

/**
 * What a wall time names in a zone: one instant, two (clocks went back: `at` is the earlier, as calendars read
 * it), or none (clocks jumped over it: `at` is the same reading after the jump, as clocks do, and `gap` says
 * which local hour was skipped).
 */
export type ResolvedWallTime =
  | { kind: "exact"; at: number }
  | { kind: "ambiguous"; at: number; later: number }
  | { kind: "gap"; at: number; gap: { from: string; to: string } };

/** The runtime's IANA names, UTC first. */
let zoneNames: string[] | null = null;
export function timeZoneNames(): readonly string[] {
  zoneNames ??= ["UTC", ...Intl.supportedValuesOf("timeZone").filter((z) => z !== "UTC")];
  return zoneNames;
}

/**
 * Names already looked up: a DateTimeFormat costs about a millisecond to build, and every settings read checks its
 * zone (in the hour's profile, 300 ms of the isolate's thread in 10 s). Bounded: input is user text.
 */
const canonical = new Map<string, string | null>();
const CANONICAL_CACHE = 1_000;

/** A valid IANA zone name as the runtime's ICU knows it, in its canonical spelling; null for anything else. */
export function canonicalTimeZone(input: string): string | null {
  const name = input.trim();
  if (!name || name.length > 64) return null;
  const known = canonical.get(name);
  if (known !== undefined) return known;
  let found: string | null;
  try {
    found = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    found = null;
  }
  if (canonical.size >= CANONICAL_CACHE) canonical.clear();
  canonical.set(name, found);
  return found;
}

const zoned = (utcMs: number, tz: string) => ZonedDateTime.create(BigInt(utcMs) * 1_000_000n, tz);

/** `YYYY-MM-DD` of the instant in `tz`. */
export function localDate(utcMs: number, tz: string): string {
  return PlainDate.toString(ZonedDateTime.toPlainDate(zoned(utcMs, tz)));
}

const hhmm = (t: ZonedDateTime.Record) => PlainTime.toString(ZonedDateTime.toPlainTime(t), { smallestUnit: "minute" });

/** Resolves a wall time in `tz`; throws a RangeError for a reading that is not a calendar date or time. */
export function resolveWallTime(wall: WallTime, tz: string): ResolvedWallTime {
  const plain = PlainDateTime.fromFields(
    { year: wall.y, month: wall.mo, day: wall.d, hour: wall.h, minute: wall.mi, second: wall.s ?? 0 },
    { overflow: "reject" },
  );
  const earlier = PlainDateTime.toZonedDateTime(plain, tz, { disambiguation: "earlier" });
  const later = PlainDateTime.toZonedDateTime(plain, tz, { disambiguation: "later" });
  const exact = PlainDateTime.equals(ZonedDateTime.toPlainDateTime(earlier), plain);
  if (exact && earlier.epochMilliseconds === later.epochMilliseconds) return { kind: "exact", at: earlier.epochMilliseconds };
  if (exact) return { kind: "ambiguous", at: earlier.epochMilliseconds, later: later.epochMilliseconds };
  // In a gap "earlier" reads the time with the offset before the jump; the next transition is the jump itself.
  const jump = ZonedDateTime.getTimeZoneTransition(earlier, "next") ?? later;
  const from = ZonedDateTime.withTimeZone(jump, ZonedDateTime.offset(earlier));
  return { kind: "gap", at: later.epochMilliseconds, gap: { from: hhmm(from), to: hhmm(jump) } };
}

/** The instant a wall time in `tz` names: the earlier one when clocks went back, the later reading in a gap. */
export function zonedToUtc(wall: WallTime, tz: string): number {
  return resolveWallTime(wall, tz).at;
}

/** Formatters built already (as `canonical`: each costs about a millisecond; a role name takes six of them). */
const formatters = new Map<string, Intl.DateTimeFormat>();
const FORMATTER_CACHE = 2_000;

/** Formats an instant for people in `tz` (Intl formats; the zone's rules come from the runtime's ICU). */
export function formatInZone(utcMs: number, tz: string, options: Intl.DateTimeFormatOptions, locale = "en-US"): string {
  const key = `${locale}|${tz}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (f) formatters.delete(key);
  else {
    f = new Intl.DateTimeFormat(locale, { ...options, timeZone: tz });
    // The least recently used goes first (a Map keeps insertion order, and a hit is inserted again below): guilds in
    // more zones than fit keep their busiest formatters instead of all being built again.
    if (formatters.size >= FORMATTER_CACHE) formatters.delete(formatters.keys().next().value as string);
  }
  formatters.set(key, f);
  return f.format(new Date(utcMs));
}
