// bench:scale's verdicts and printed summary: each target with the figure measured, the unit costs, the monthly estimate.

import { perUnit } from "./measure.mjs";
import { monthlyEstimate } from "./pricing.mjs";

const LAG_TARGET_MS = 2_000;

/** Each target of issue 15, the figure it is judged on, and whether it holds. */
export function targets(report) {
  const out = [];
  for (const s of report.storms) {
    out.push({ target: `${s.label}: every GUILD_CREATE handled`, value: `${s.guild_creates_handled}/${s.guild_creates_sent}`, ok: s.drained });
    out.push({
      target: `${s.label}: live dispatch lag max ≤ 2 s`,
      value: s.live_lag.max_ms,
      ok: s.live_lag.max_ms !== null && s.live_lag.max_ms <= LAG_TARGET_MS,
    });
  }
  const h = report.hour;
  if (h) {
    const ec = h.lanes.critical_event_channels;
    const vd = h.lanes.critical_voice_delete;
    out.push({
      target: "hour: every critical action done",
      value: `${ec.done}/${ec.due} channels, ${vd.done}/${vd.due} deletions`,
      ok: ec.done === ec.due && vd.done === vd.due,
    });
    // The floor of every call the creations make (their guild reads too); the older floor, of the Interested read,
    // role and channels only, is reported beside it.
    const ecOver = ec.over_floor_all_calls?.p99_ms ?? ec.over_floor.p99_ms ?? Number.POSITIVE_INFINITY;
    const over = Math.max(ecOver, vd.over_floor_all_calls?.p99_ms ?? vd.over_floor.p99_ms ?? 0);
    out.push({ target: "hour: time-critical p99 lateness beyond the 50/s floor ≤ 2 s", value: over, ok: over <= LAG_TARGET_MS });
    out.push({
      target: "  (the same, floor of the creations' objects and Interested reads only)",
      value: Math.max(ec.over_floor.p99_ms ?? Number.POSITIVE_INFINITY, vd.over_floor.p99_ms ?? 0),
      ok: "–",
    });
    out.push({ target: "hour: 429s received = 0", value: h.rest["429s"], ok: h.rest["429s"] === 0 });
    out.push({ target: "hour: budget use while saturated ≥ 95 %", value: h.rest.budget_use, ok: (h.rest.budget_use ?? 0) >= 0.95 });
    out.push({ target: "  (the same, moments in which workerd's thread stalled ≥ 60 ms left out)", value: h.rest.budget_use_unstalled, ok: "–" });
    out.push({ target: "  (every second from T0 until the last due action was done)", value: h.rest.budget_use_outstanding, ok: "–" });
  }
  return out;
}

/** Unit costs from the measurements, and the monthly estimate per 1,000 guilds. */
export function costTable(report) {
  const c = report.costs;
  if (!c) return null;
  const reconnect = report.storms.find((s) => s.label === "reconnect");
  const units = {
    idle: c.idle.per_guild_hour,
    deployment_hour: c.idle.per_deployment_hour,
    dm: c.dm.per_dm,
    lifecycle: c.lifecycle.per_lifecycle,
    guild_create: reconnect ? perUnit(reconnect.work, reconnect.guild_creates_handled) : null,
  };
  return { units, monthly: monthlyEstimate(units, report.db_bytes_per_guild ?? 0) };
}

const fmt = (x, digits = 1) =>
  x === null || x === undefined ? "–" : typeof x === "number" ? x.toLocaleString("en-US", { maximumFractionDigits: digits }) : String(x);

export function printSummary(report) {
  console.log(`\nbench:scale (${report.size.name}: ${report.size.guilds} guilds), ${report.duration_s} s`);
  console.table(
    report.storms.map((s) => ({
      storm: s.label,
      GUILD_CREATEs: `${s.guild_creates_handled}/${s.guild_creates_sent}`,
      "drain (s)": fmt(s.drain_ms / 1000),
      "GUILD_CREATE/s": s.guild_creates_per_s,
      "live lag p50 (ms)": s.live_lag.p50_ms,
      "live lag max (ms)": s.live_lag.max_ms,
    })),
  );
  const h = report.hour;
  if (h) {
    const l = h.lanes;
    console.table([
      {
        lane: "critical: event channels ready",
        due: l.critical_event_channels.due,
        done: l.critical_event_channels.done,
        ...lat(l.critical_event_channels.channels_ready),
        "p99 over floor": `${l.critical_event_channels.over_floor_all_calls?.p99_ms ?? "–"} (objects only: ${l.critical_event_channels.over_floor.p99_ms})`,
      },
      {
        lane: "critical: voice deleted",
        due: l.critical_voice_delete.due,
        done: l.critical_voice_delete.done,
        ...lat(l.critical_voice_delete.late),
        "p99 over floor": `${l.critical_voice_delete.over_floor_all_calls?.p99_ms ?? "–"} (objects only: ${l.critical_voice_delete.over_floor.p99_ms})`,
      },
      { lane: "bulk: reminder DMs", due: l.bulk_reminder_dms.due, done: l.bulk_reminder_dms.delivered, ...lat(l.bulk_reminder_dms.late), "p99 over floor": "" },
      { lane: "background: sync lists", due: l.background_sync.due, done: l.background_sync.listed, ...lat(l.background_sync.late), "p99 over floor": "" },
    ]);
    console.log(
      `workerd stalls (an answer ≥ 60 ms late): ${h.rest.stalls?.length ?? "–"}, ${h.rest.stalled_ms ?? "–"} ms in all, longest ${h.rest.longest_stall_ms ?? "–"} ms; ${h.rest.stalled_s ?? "–"} of the seconds with work outstanding had one`,
    );
    console.log(
      `REST: ${h.rest.calls} calls, ${h.rest["429s"]} 429s, ${h.rest.saturated_s} s saturated (slot requests waiting) at ${fmt((h.rest.budget_use ?? 0) * 100)} % of 50/s, ${h.rest.outstanding_s} s with work outstanding at ${fmt((h.rest.budget_use_outstanding ?? 0) * 100)} %; deliveries ${JSON.stringify(l.bulk_reminder_dms.deliveries)}`,
    );
  }
  const costs = costTable(report);
  if (costs) {
    console.table(
      Object.entries(costs.units)
        .filter(([, u]) => u)
        .map(([unit, u]) => ({ unit, ...u })),
    );
    console.table(
      costs.monthly.rows.map((r) => ({
        item: r.item,
        units: fmt(r.units, 2),
        "D1 rows read": fmt(r.d1_rows_read, 0),
        "D1 rows written": fmt(r.d1_rows_written, 0),
        "DO requests": fmt(r.do_requests, 0),
        "DO GB-s": fmt(r.do_gb_s, 0),
        "Worker invocations": fmt(r.worker_requests, 0),
        USD: fmt(r.usd, 2),
      })),
    );
    console.log(
      `per 1,000 guilds a month: $${fmt(costs.monthly.total.usd, 2)} of usage at list prices; a 1,000-guild deployment pays $${fmt(costs.monthly.bill_1000_guilds_usd, 2)} (the $5 plan with its allowances)`,
    );
  }
  console.table(report.targets.map((t) => ({ target: t.target, value: t.value, ok: typeof t.ok === "string" ? t.ok : t.ok ? "yes" : "NO" })));
}

function lat(s) {
  return { "p50 (ms)": s.p50_ms, "p99 (ms)": s.p99_ms, "max (ms)": s.max_ms };
}
