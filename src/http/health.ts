/**
 * GET /health for operators: a summary (D1, secrets, event catalog, cron runs, gateway shards, timers) computed at
 * most once per cache window per isolate, since the route is public and each computation costs D1 and a relay RPC.
 * Failures appear as "d1: error" / "relay: error" with a ref; the full error goes only to the log under that ref.
 */

import { rateGate } from "../discord/rate-gate";
import { type Env, missingSecrets } from "../env";
import { relayHealth } from "../gateway/client";
import { logger } from "../log";
import { VERSION } from "../version";

/** How long one computed summary is served (per isolate). */
export const HEALTH_CACHE_MS = 5_000;

export interface HealthReport {
  status: 200 | 503;
  body: Record<string, unknown>;
}

const newRef = () => crypto.randomUUID().slice(0, 8);

/** Logs the full error under a fresh ref and returns what /health may show of it. */
function hidden(part: "d1" | "relay" | "budget", error: unknown): { error: string; ref: string } {
  const ref = newRef();
  logger.error(`health.${part}_failed`, { ref, error });
  return { error: `${part}: error`, ref };
}

/** Both D1 reads in one batch: one round trip per computation. */
async function readD1(db: D1Database, now: number) {
  const [crons, timers] = await db.batch([
    db.prepare("SELECT job, last_started_at, last_finished_at, last_status FROM cron_runs ORDER BY job"),
    db
      .prepare(
        "SELECT COUNT(*) AS timers, COALESCE(SUM(pending), 0) AS pending, MIN(next_due) AS next_due, SUM(CASE WHEN next_due < ? THEN 1 ELSE 0 END) AS overdue FROM timers WHERE pending > 0",
      )
      .bind(now - 60_000),
  ]);
  return { crons: crons?.results ?? [], timers: timers?.results[0] ?? null };
}

export async function computeHealth(env: Env, catalogErrors: readonly string[], now: number): Promise<HealthReport> {
  const [d1, relay, budget] = await Promise.all([
    readD1(env.DB, now).then(
      (r) => ({ ok: true as const, ...r }),
      (error: unknown) => ({ ok: false as const, ...hidden("d1", error) }),
    ),
    relayHealth(env.GATEWAY_RELAY).catch((error: unknown) => hidden("relay", error)),
    rateGate(env.RATE_GATE)
      .status()
      .catch((error: unknown) => hidden("budget", error)),
  ]);
  const secrets = missingSecrets(env);
  const ok = d1.ok && secrets.length === 0 && catalogErrors.length === 0;
  return {
    status: ok ? 200 : 503,
    body: {
      ok,
      version: VERSION,
      checked_at: new Date(now).toISOString(),
      d1: d1.ok ? { ok: true } : { ok: false, error: d1.error, ref: d1.ref },
      missing_secrets: secrets,
      events: { valid: catalogErrors.length === 0, errors: catalogErrors },
      crons: d1.ok ? d1.crons : null,
      relay,
      // Timers with pending items; "overdue" ones are a minute past due (stuck alarms show here; one whose work was all
      // due within the minute, once more work is queued on it).
      timers: d1.ok ? d1.timers : null,
      // The REST budget per lane: slots booked and how far ahead (bulk and background never beyond 1.5 s / 1 s).
      rest_budget: budget,
    },
  };
}

/**
 * One value per window: calls within `ttlMs` of the computation that started it share its promise (so a burst of
 * concurrent requests costs one computation too). The argument of the call that starts a window is the one used;
 * for /health that is the isolate's env, the same for every request.
 */
export function cachedFor<A, T>(ttlMs: number, compute: (arg: A, now: number) => Promise<T>, clock: () => number = Date.now): (arg: A) => Promise<T> {
  let held: { at: number; value: Promise<T> } | null = null;
  return (arg) => {
    const now = clock();
    if (held && now - held.at < ttlMs) return held.value;
    const value = compute(arg, now);
    const entry = { at: now, value };
    held = entry;
    // A computation that throws is not served again.
    value.catch(() => {
      if (held === entry) held = null;
    });
    return value;
  };
}
