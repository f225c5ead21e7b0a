/** Reads a match time as a member types it (wall time in the guild's timezone, `in 2h`, or `<t:…>`); pure. */
import { TimestampStyles, time } from "@discordjs/formatters";
import { formatRelative, parseDuration } from "../../util/duration";
import { formatInZone, localDate, type ResolvedWallTime, resolveWallTime } from "../../util/zoned-time";

export { zonedToUtc } from "../../util/zoned-time";

/** Why a time was refused: not a time at all, or a time outside what a match can have. */
export type TimeProblem = "unreadable" | "out_of_range" | "past" | "too_far" | "nonexistent";

export type ParsedTime =
  | { ok: true; at: number; form: "local" | "offset" | "relative" | "timestamp" }
  | { ok: false; problem: TimeProblem; reason: string; label: string };

const DAY_MS = 86_400_000;
/** Far enough for any league season; rejects typos like 2062 for 2026. */
export const MAX_AHEAD_MS = 2 * 366 * DAY_MS;
/** A match played in the last week can still be recorded (it gets no Discord event); older is a typo. */
export const MAX_PAST_MS = 7 * DAY_MS;
/** The last instant a JavaScript Date (and so an ISO time for Discord) can hold: ±8.64e15 ms. */
const DATE_LIMIT_MS = 8.64e15;

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+|\s*,\s*)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm)?\s*(z|utc|[+-]\d{2}:?\d{2})?$/i;
const RELATIVE = /^in\s+(.+)$/i;
const TIMESTAMP = /^<t:(-?\d{1,20})(?::[tTdDfFR])?>$/;

/** The one range check every form goes through: a real date, at most a week past and two years ahead. */
function inRange(at: number, form: "local" | "offset" | "relative" | "timestamp", shown: string, tz: string, now: number): ParsedTime {
  if (!Number.isFinite(at) || Math.abs(at) > DATE_LIMIT_MS)
    return {
      ok: false,
      problem: "out_of_range",
      label: `${shown} is not a date Discord can show`,
      reason: `${shown} is not a date Discord can show. A pasted timestamp counts seconds since 1970, like \`${time(new Date(now + 7 * DAY_MS), TimestampStyles.FullDateShortTime)}\`.`,
    };
  if (at < now - MAX_PAST_MS)
    return {
      ok: false,
      problem: "past",
      label: `In the past: ${describeTime(at, tz)}`,
      reason: `${shown} is ${describeTime(at, tz)}, which is in the past. A match can be at most 7 days in the past (to record one already played); check the year and the date.`,
    };
  if (at > now + MAX_AHEAD_MS)
    return {
      ok: false,
      problem: "too_far",
      label: `Too far ahead: ${describeTime(at, tz)}`,
      reason: `${shown} is ${describeTime(at, tz)}, more than 2 years ahead. Matches can be scheduled up to 2 years ahead; check the year.`,
    };
  return { ok: true, at, form };
}

/** Parses `input` relative to `now` in the guild's timezone; errors say what was wrong (unreadable, past, too far, not a date). */
export function parseMatchTime(input: string, tz: string, now: number): ParsedTime {
  const text = input.trim();
  const fail = (): ParsedTime => ({
    ok: false,
    problem: "unreadable",
    reason: acceptedForms(text, tz, now),
    label: `Not understood — try YYYY-MM-DD HH:MM (${tz}), in 2h, or <t:…>`,
  });
  if (!text || text.length > 64) return fail();
  const shown = `\`${text.replace(/`/g, "'")}\``;
  const ts = TIMESTAMP.exec(text);
  if (ts) return inRange(Number(ts[1]) * 1000, "timestamp", shown, tz, now);
  const rel = RELATIVE.exec(text);
  if (rel) {
    const ms = parseDuration(rel[1] ?? "");
    return ms === null || ms <= 0 ? fail() : inRange(now + ms, "relative", shown, tz, now);
  }
  const iso = ISO.exec(text);
  if (!iso) return fail();
  const [, y, mo, d, hRaw, mi = "0", s = "0", ampm, zone] = iso;
  let h = Number(hRaw);
  if (ampm) {
    if (h < 1 || h > 12) return fail();
    h = (h % 12) + (ampm.toLowerCase() === "pm" ? 12 : 0);
  }
  const wall = { y: Number(y), mo: Number(mo), d: Number(d), h, mi: Number(mi), s: Number(s) };
  const z = zone?.toLowerCase();
  // A typed offset is a fixed zone: `+0530` and `+05:30` both name UTC+05:30.
  const zoneId = !z ? tz : z === "z" || z === "utc" ? "UTC" : `${z.slice(0, 3)}:${z.slice(-2)}`;
  let resolved: ResolvedWallTime;
  try {
    resolved = resolveWallTime(wall, zoneId);
  } catch {
    return fail(); // not a calendar date or time: 2026-02-30, 25:00
  }
  if (resolved.kind === "gap") return skipped(shown, resolved, tz);
  return inRange(resolved.at, zone ? "offset" : "local", shown, tz, now);
}

/** A wall time the clocks jump over (spring forward): refused, naming the skipped hour and a time that exists. */
function skipped(shown: string, r: Extract<ResolvedWallTime, { kind: "gap" }>, tz: string): ParsedTime {
  const date = localDate(r.at, tz);
  const instead = `${date} ${formatInZone(r.at, tz, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })}`;
  return {
    ok: false,
    problem: "nonexistent",
    label: `Not a time in ${tz}: clocks jump from ${r.gap.from} to ${r.gap.to} that day`,
    reason: `${shown} does not exist in ${tz}: on ${date} the clocks jump from ${r.gap.from} straight to ${r.gap.to}. Type a time before ${r.gap.from} or from ${r.gap.to} on, for example \`${instead}\`.`,
  };
}

/** The error text for input that is not a time: what was typed and every form that works, in this guild's zone. */
export function acceptedForms(input: string, tz: string, now: number): string {
  const example = now + 7 * DAY_MS;
  const date = localDate(example, tz);
  const shown = input.length > 40 ? `${input.slice(0, 40)}…` : input;
  return [
    `I couldn't read ${shown ? `\`${shown.replace(/`/g, "'")}\`` : "an empty value"} as a time. Use one of:`,
    `• a date and time in this server's timezone (${tz}): \`${date} 19:30\` (or \`${date} 7:30pm\`)`,
    "• a relative time: `in 2h`, `in 1h30m`, `in 3d`",
    `• a Discord timestamp, as pasted: \`${time(new Date(example), TimestampStyles.FullDateShortTime)}\``,
  ].join("\n");
}

/** How a time reads to members of the guild: `Tue, Dec 1, 2026, 19:30 (Europe/Berlin)`. */
export function describeTime(at: number, tz: string): string {
  const text = formatInZone(at, tz, {
    weekday: "short",
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  return `${text} (${tz})`;
}

/** `in 3 h 20 min` / `2 d ago`, for autocomplete labels where Discord cannot render `<t:…:R>`. */
export function relativeLabel(at: number, now: number): string {
  return formatRelative(at, now);
}
