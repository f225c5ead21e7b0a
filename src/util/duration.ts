/** The one reader and writer of spans of time as members type and read them: `1h30m`, `2 days`, `in 3 h 20 min`. */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const UNIT_MS: Readonly<Record<string, number>> = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: 7 * DAY_MS };
const UNIT_ALIASES: Readonly<Record<string, string>> = {
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

/**
 * `1h30m`, `90 min`, `2 days`, `1w 2d` → milliseconds (units m, h, d, w with their usual spellings, any order,
 * spaces allowed); null when any part is not a number followed by a known unit.
 */
export function parseDuration(text: string): number | null {
  const body = text.trim().toLowerCase();
  const parts = [...body.matchAll(/(\d+)\s*([a-z]+)/g)];
  const compact = (t: string) => t.replace(/\s/g, "");
  // Every character but spaces must belong to a part: `1h,` and `1 0h` are not durations.
  if (!parts.length || compact(parts.map((p) => p[0]).join("")) !== compact(body)) return null;
  let total = 0;
  for (const [, count, word] of parts) {
    const unit = UNIT_ALIASES[word ?? ""];
    if (!unit) return null;
    total += Number(count) * (UNIT_MS[unit] ?? 0);
  }
  return total;
}

/** `1d2h30m` (whole minutes, largest unit first; `0m` for nothing): the compact form members type back. */
export function formatDurationCompact(ms: number): string {
  const { d, h, m } = split(Math.floor(Math.abs(ms) / MINUTE_MS));
  return [d && `${d}d`, h && `${h}h`, m && `${m}m`].filter(Boolean).join("") || "0m";
}

/** `3 h 20 min`, `2 d 4 h`, `5 min`: the two largest units, to the nearest minute, for labels people read. */
export function formatDurationLong(ms: number): string {
  const { d, h, m } = split(Math.round(Math.abs(ms) / MINUTE_MS));
  return d ? `${d} d${h ? ` ${h} h` : ""}` : h ? `${h} h${m ? ` ${m} min` : ""}` : `${m} min`;
}

/** `in 3 h 20 min` or `2 d ago`: where Discord cannot render a `<t:…:R>` timestamp (autocomplete labels). */
export function formatRelative(at: number, now: number): string {
  const text = formatDurationLong(at - now);
  return at - now >= 0 ? `in ${text}` : `${text} ago`;
}

function split(minutes: number): { d: number; h: number; m: number } {
  return { d: Math.floor(minutes / 1440), h: Math.floor((minutes % 1440) / 60), m: minutes % 60 };
}
