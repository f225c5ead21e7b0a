// Cloudflare's published Workers Paid prices (developers.cloudflare.com: Workers, Durable Objects and D1 pricing pages,
// as of November 2026) and the monthly estimate per 1,000 guilds from the measured unit costs at a stated usage mix.

export const PRICES = {
  plan_per_month: 5,
  worker_requests_per_m: 0.3, // 10 M included
  worker_cpu_per_m_ms: 0.02, // 30 M CPU-ms included
  do_requests_per_m: 0.15, // 1 M included; incoming WebSocket messages count 20:1
  do_gb_s_per_m: 12.5, // 400,000 GB-s included; 128 MB per object
  d1_rows_read_per_m: 0.001, // 25 billion included
  d1_rows_written_per_m: 1.0, // 50 M included
  d1_storage_per_gb_month: 0.75, // 5 GB included
};
export const INCLUDED = {
  worker_requests: 10e6,
  worker_cpu_ms: 30e6,
  do_requests: 1e6,
  do_gb_s: 400_000,
  d1_rows_read: 25e9,
  d1_rows_written: 50e6,
  d1_storage_gb: 5,
};

const MONTH_H = 730;
const DO_GB = 0.128;

/**
 * The usage mix per 1,000 guilds a month (stated in the README): every guild is idle-synced every hour; a third run event
 * channels with 10 events a month each; half use reminders with 50 subscribers, 10 events and 2 reminder times a month;
 * the relay reconnects with a fresh IDENTIFY once a day; one gateway shard (Discord's 1,000 guilds per shard) is
 * connected all month. Interactions (slash commands) are not in it: `npm run bench` measures those.
 */
export const MIX = {
  guild_hours: 1000 * MONTH_H,
  lifecycles: 333 * 10,
  dms: 500 * 50 * 10 * 2,
  reconnect_guild_creates: 30 * 1000,
  relay_shards: 1,
  relay_heartbeats: Math.round((MONTH_H * 3600) / 41.25),
};

/** Monthly units × per-unit figures → usage and dollars per line and in total (marginal: no included allowances). */
export function monthlyEstimate(units, dbBytesPerGuild) {
  const lines = [
    { item: "idle sync (guild-hours)", n: MIX.guild_hours, per: units.idle },
    { item: "every-minute cron (deployment-hours)", n: MONTH_H, per: units.deployment_hour },
    { item: "event-channel lifecycles", n: MIX.lifecycles, per: units.lifecycle },
    { item: "reminder DMs delivered", n: MIX.dms, per: units.dm },
    { item: "reconnect GUILD_CREATEs", n: MIX.reconnect_guild_creates, per: units.guild_create },
  ].filter((l) => l.per);
  const rows = lines.map(({ item, n, per }) => {
    const u = {
      worker_requests: n * per.worker_invocations,
      // Workers bill CPU only for Worker invocations (Durable Objects bill duration); the measured CPU is all of workerd's,
      // so it is charged (as an upper bound) only to units that involve a Worker invocation.
      worker_cpu_ms: per.worker_invocations > 0 ? n * (per.cpu_ms ?? 0) : 0,
      do_requests: n * per.do_requests,
      do_gb_s: (n * per.do_active_ms * DO_GB) / 1000,
      d1_rows_read: n * per.d1_rows_read,
      d1_rows_written: n * per.d1_rows_written,
    };
    return { item, units: n, ...u, usd: dollars(u) };
  });
  // The relay holds an outbound WebSocket, so it never hibernates: billed for the whole month; each heartbeat is an alarm
  // (a request) and every frame it receives (heartbeat ACKs, GUILD_CREATEs) counts 1/20 of one.
  const relay = {
    worker_requests: 0,
    worker_cpu_ms: 0,
    do_requests: (MIX.relay_heartbeats + MIX.reconnect_guild_creates) / 20 + MIX.relay_heartbeats,
    do_gb_s: MIX.relay_shards * MONTH_H * 3600 * DO_GB,
    d1_rows_read: 0,
    d1_rows_written: 0,
  };
  rows.push({ item: "gateway relay (1 shard, always connected)", units: MIX.relay_shards, ...relay, usd: dollars(relay) });
  const storageGb = (dbBytesPerGuild * 1000) / 1e9;
  rows.push({
    item: "D1 storage",
    units: storageGb,
    worker_requests: 0,
    worker_cpu_ms: 0,
    do_requests: 0,
    do_gb_s: 0,
    d1_rows_read: 0,
    d1_rows_written: 0,
    usd: storageGb * PRICES.d1_storage_per_gb_month,
  });
  const total = {};
  for (const k of ["worker_requests", "worker_cpu_ms", "do_requests", "do_gb_s", "d1_rows_read", "d1_rows_written", "usd"])
    total[k] = rows.reduce((s, r) => s + r[k], 0);
  // What a deployment of exactly 1,000 guilds pays: the plan, and only usage beyond its allowances.
  const over = (k, inc) => Math.max(0, total[k] - inc);
  const bill =
    PRICES.plan_per_month +
    (over("worker_requests", INCLUDED.worker_requests) * PRICES.worker_requests_per_m) / 1e6 +
    (over("worker_cpu_ms", INCLUDED.worker_cpu_ms) * PRICES.worker_cpu_per_m_ms) / 1e6 +
    (over("do_requests", INCLUDED.do_requests) * PRICES.do_requests_per_m) / 1e6 +
    (over("do_gb_s", INCLUDED.do_gb_s) * PRICES.do_gb_s_per_m) / 1e6 +
    (over("d1_rows_read", INCLUDED.d1_rows_read) * PRICES.d1_rows_read_per_m) / 1e6 +
    (over("d1_rows_written", INCLUDED.d1_rows_written) * PRICES.d1_rows_written_per_m) / 1e6 +
    Math.max(0, storageGb - INCLUDED.d1_storage_gb) * PRICES.d1_storage_per_gb_month;
  return { mix: MIX, prices: PRICES, rows, total, d1_storage_gb: storageGb, bill_1000_guilds_usd: bill };
}

function dollars(u) {
  return (
    (u.worker_requests * PRICES.worker_requests_per_m +
      u.worker_cpu_ms * PRICES.worker_cpu_per_m_ms +
      u.do_requests * PRICES.do_requests_per_m +
      u.do_gb_s * PRICES.do_gb_s_per_m +
      u.d1_rows_read * PRICES.d1_rows_read_per_m +
      u.d1_rows_written * PRICES.d1_rows_written_per_m) /
    1e6
  );
}
