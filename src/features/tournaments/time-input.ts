/** Reads a match time as a member types it (wall time in the guild's timezone, `in 2h`, or `<t:…>`); pure. */

/** Why a time was refused: not a time at all, or a time outside what a match can have. */
export type TimeProblem = "unreadable" | "out_of_range" | "past" | "too_far";

export type ParsedTime =
  | { ok: true; at: number; form: "local" | "offset" | "relative" | "timestamp" }
  | { ok: false; problem: TimeProblem; reason: string; label: string };

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const UNIT_ALIASES: Record<string, string> = {
  m: "m",
  min: "m",
  mins: "m",
  minute: "m",
  minutes: "m",
  h: "h",
  hr: "h",
  hrs: "h",
  hour: "h",
  hours: "h",
  d: "d",
  day: "d",
  days: "d",
  w: "w",
  week: "w",
  weeks: "w",
};
const DAY_MS = 86_400_000;
/** Far enough for any league season; rejects typos like 2062 for 2026. */
export const MAX_AHEAD_MS = 2 * 366 * DAY_MS;
/** A match played in the last week can still be recorded (it gets no Discord event); older is a typo. */
export const MAX_PAST_MS = 7 * DAY_MS;
/** The last instant a JavaScript Date (and so an ISO time for Discord) can hold: ±8.64e15 ms. */
const DATE_LIMIT_MS = 8.64e15;

/** Offset of `tz` from UTC (ms, local minus UTC) at the instant `utcMs`. */
export function zoneOffsetMs(utcMs: number, tz: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The instant a wall-clock time in `tz` names; in a DST gap the later side wins, as clocks do. */
export function zonedToUtc(wall: { y: number; mo: number; d: number; h: number; mi: number; s?: number }, tz: string): number {
  const local = Date.UTC(wall.y, wall.mo - 1, wall.d, wall.h, wall.mi, wall.s ?? 0);
  const first = local - zoneOffsetMs(local, tz);
  return local - zoneOffsetMs(first, tz);
}

const ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+|\s*,\s*)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm)?\s*(z|utc|[+-]\d{2}:?\d{2})?$/i;
const RELATIVE = /^in\s+((?:\d+\s*[a-z]+\s*)+)$/i;
const TIMESTAMP = /^<t:(-?\d{1,20})(?::[tTdDfFR])?>$/;

/** The one range check every form goes through: a real date, at most a week past and two years ahead. */
function inRange(at: number, form: "local" | "offset" | "relative" | "timestamp", shown: string, tz: string, now: number): ParsedTime {
  if (!Number.isFinite(at) || Math.abs(at) > DATE_LIMIT_MS)
    return {
      ok: false,
      problem: "out_of_range",
      label: `${shown} is not a date Discord can show`,
      reason: `${shown} is not a date Discord can show. A pasted timestamp counts seconds since 1970, like \`<t:${Math.floor((now + 7 * DAY_MS) / 1000)}:F>\`.`,
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

function parseRelative(body: string): number | null {
  let total = 0;
  const re = /(\d+)\s*([a-z]+)/gi;
  let consumed = "";
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const unit = UNIT_ALIASES[(m[2] ?? "").toLowerCase()];
    if (!unit) return null;
    total += Number(m[1]) * (UNIT_MS[unit] ?? 0);
    consumed += m[0];
  }
  return consumed.replace(/\s/g, "") === body.replace(/\s/g, "") && total > 0 ? total : null;
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
    const ms = parseRelative(rel[1] ?? "");
    return ms === null ? fail() : inRange(now + ms, "relative", shown, tz, now);
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
  if (wall.mo < 1 || wall.mo > 12 || wall.h > 23 || wall.mi > 59 || wall.s > 59) return fail();
  // Date.UTC rolls 2026-02-30 over to March; a real date survives the round trip.
  const check = new Date(Date.UTC(wall.y, wall.mo - 1, wall.d));
  if (check.getUTCDate() !== wall.d || check.getUTCMonth() !== wall.mo - 1) return fail();
  let at: number;
  if (zone) {
    const z = zone.toLowerCase();
    const offsetMin = z === "z" || z === "utc" ? 0 : Math.sign(Number(`${z[0]}1`)) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(-2)));
    at = Date.UTC(wall.y, wall.mo - 1, wall.d, wall.h, wall.mi, wall.s) - offsetMin * 60_000;
  } else {
    at = zonedToUtc(wall, tz);
  }
  return inRange(at, zone ? "offset" : "local", shown, tz, now);
}

/** The error text for input that is not a time: what was typed and every form that works, in this guild's zone. */
export function acceptedForms(input: string, tz: string, now: number): string {
  const example = new Date(now + 7 * 86_400_000);
  const local = new Date(example.getTime() + zoneOffsetMs(example.getTime(), tz));
  const date = local.toISOString().slice(0, 10);
  const shown = input.length > 40 ? `${input.slice(0, 40)}…` : input;
  return [
    `I couldn't read ${shown ? `\`${shown.replace(/`/g, "'")}\`` : "an empty value"} as a time. Use one of:`,
    `• a date and time in this server's timezone (${tz}): \`${date} 19:30\` (or \`${date} 7:30pm\`)`,
    "• a relative time: `in 2h`, `in 1h30m`, `in 3d`",
    `• a Discord timestamp, as pasted: \`<t:${Math.floor(example.getTime() / 1000)}:F>\``,
  ].join("\n");
}

/** How a time reads to members of the guild: `Tue, Dec 1, 2026, 19:30 (Europe/Berlin)`. */
export function describeTime(at: number, tz: string): string {
  const text = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    weekday: "short",
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(at));
  return `${text} (${tz})`;
}

/** `in 3 h 20 min` / `2 d ago`, for autocomplete labels where Discord cannot render `<t:…:R>`. */
export function relativeLabel(at: number, now: number): string {
  const diff = at - now;
  const abs = Math.abs(diff);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.round((abs % 3_600_000) / 60_000);
  const text = d ? `${d} d${h ? ` ${h} h` : ""}` : h ? `${h} h${m ? ` ${m} min` : ""}` : `${m} min`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}
