// A five-field cron matcher (minute hour day month weekday: *, */n, a-b, lists) for the local cron ticker.

function fieldMatches(field, value, min) {
  return field.split(",").some((part) => {
    const [range, stepText] = part.split("/");
    const step = stepText ? Number(stepText) : 1;
    let lo;
    let hi;
    if (range === "*") [lo, hi] = [min, Number.MAX_SAFE_INTEGER];
    else if (range.includes("-")) [lo, hi] = range.split("-").map(Number);
    else [lo, hi] = [Number(range), stepText ? Number.MAX_SAFE_INTEGER : Number(range)];
    return value >= lo && value <= hi && (value - lo) % step === 0;
  });
}

/** Whether `cron` fires at the minute of `date` (UTC, as Cloudflare runs crons). */
export function cronMatches(cron, date) {
  const [minute, hour, day, month, weekday] = cron.trim().split(/\s+/);
  return (
    fieldMatches(minute, date.getUTCMinutes(), 0) &&
    fieldMatches(hour, date.getUTCHours(), 0) &&
    fieldMatches(day, date.getUTCDate(), 1) &&
    fieldMatches(month, date.getUTCMonth() + 1, 1) &&
    fieldMatches(weekday, date.getUTCDay(), 0)
  );
}

/** The cron expressions listed under [triggers] in wrangler.toml. */
export function cronsFromToml(text) {
  const m = text.match(/crons\s*=\s*\[([^\]]*)\]/);
  return m ? [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]) : [];
}
