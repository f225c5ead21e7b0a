// `npm run bench:scale`: the bot at many guilds on one deployment, against the emulator with Discord's 50 requests/s
// global limit and per-route limits on. Three parts: (1) the reconnect storm (an IDENTIFY's GUILD_CREATE per guild while
// other dispatches arrive), (2) the top of the hour (event channels, a large reminder fan-out, the hourly sync and voice
// deletions all due at once), (3) the cost per unit of work (D1, Durable Objects, REST) and a monthly Cloudflare
// estimate per 1,000 guilds. Writes a JSON report (`--out`, default scale-report.json) and prints a summary;
// `--full` runs the full size (10,000 guilds); `--strict` exits non-zero when a target is missed.
// The bot runs from bench/scale/worker.ts: the bot's own entry with counters around it (no change to what it does).

import { writeFileSync } from "node:fs";
import { startEmulator } from "../test/emulator/server.ts";
import { botOnEmulator } from "./lib.mjs";
import { costs } from "./scale/cost.mjs";
import { topOfTheHour } from "./scale/hour.mjs";
import { profilePort } from "./scale/profile.mjs";
import { costTable, printSummary, targets } from "./scale/report.mjs";
import { storm } from "./scale/storm.mjs";
import { settleSync } from "./scale/sync.mjs";
import { buildWorld } from "./scale/world.mjs";

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const full = flag("full");
const num = (env, def, fullDef) => Number(process.env[env] ?? (full ? fullDef : def));

export const size = {
  name: full ? "full" : "default",
  guilds: num("SCALE_GUILDS", 150, 10_000),
  hourEventGuilds: num("SCALE_HOUR_EVENTS", 25, 1_000),
  fanout: num("SCALE_FANOUT", 1_500, 20_000),
  voiceChannels: num("SCALE_VOICE", 5, 10),
  costDms: num("SCALE_COST_DMS", 200, 1_000),
  costEvents: num("SCALE_COST_EVENTS", 6, 20),
  stormDeadlineMs: num("SCALE_STORM_DEADLINE_S", 420, 14_400) * 1000,
};
const out = option("out", "scale-report.json");
// `--parts storm,hour` runs only those parts (storm, cost, hour; default all): for working on one part at a larger size.
const parts = new Set(option("parts", "storm,cost,hour").split(","));
const t0 = Date.now();
const log = (line) => console.log(`[+${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);

const emulator = await startEmulator({ quiet: true, maxLog: 5_000_000 });
// Discord's gateway as a bot this size meets it: GET /gateway/bot recommends a shard per 1,000 guilds, a shard may
// hold at most 2,500 (4011 beyond), and shards IDENTIFY one per 5 s (max_concurrency 1; more get an Invalid Session).
const shards = Math.max(1, Math.ceil(size.guilds / 1_000));
await fetch(`${emulator.url}/_emulator/gateway/config`, {
  method: "PUT",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ shards, max_concurrency: 1, enforce_identify_concurrency: true, max_guilds_per_shard: 2_500 }),
});
// The bot's warnings and errors, counted by event in the report (and kept whole for `--dump`).
const botLogs = [];
const { mf, db } = await botOnEmulator(emulator, "bench-scale", {
  entry: "bench/scale/worker.ts",
  inspectorPort: profilePort(),
  bindings: { LOG_LEVEL: process.env.SCALE_LOG_LEVEL ?? "warn" },
  logs: (l) => {
    try {
      const line = JSON.parse(l.message);
      if (botLogs.length < 200_000) botLogs.push({ at: l.timestamp, ...line });
    } catch {
      // workerd's own lines
    }
  },
});
const botUrl = await mf.ready;
const worker = await mf.getWorker();
const cron = (c) => worker.scheduled({ cron: c, scheduledTime: new Date() });
const ctx = { emulator, db, botUrl, cron, log, size, shards };

log(`size ${size.name}: ${size.guilds} guilds on ${shards} shard(s); building the world …`);
const plan = await buildWorld(emulator, db, size);
ctx.plan = plan;
log(
  `${plan.all.length} guilds: ${plan.eventChannels.length} with event channels, ${plan.reminders.length} with reminders, ${plan.tournaments.length} tournaments, ${plan.voice.length} with temporary voice`,
);

const report = { size, started_at: new Date(t0).toISOString(), storms: [], hour: null, costs: null };
try {
  // Part 1. The first connection (a new deployment: nothing followed yet) and then a reconnect (a session the gateway
  // invalidated: a fresh IDENTIFY while everything is already followed), each a storm of GUILD_CREATEs.
  const liveGuilds = (k) => ({
    voice: plan.voice.slice(2 * k + plan.temp.length, 2 * k + plan.temp.length + 2),
    cancel: plan.eventChannels.slice(-2 * (k + 1)).slice(0, 2),
  });
  log("storm 1: first connection …");
  report.storms.push(await storm(ctx, { label: "first connection", trigger: () => cron("* * * * *"), live: liveGuilds(0), deadlineMs: size.stormDeadlineMs }));
  log(`  drained in ${report.storms[0].drain_ms} ms; live dispatch lag ${JSON.stringify(report.storms[0].live_lag)}`);
  ctx.msPerGuildCreate = Math.max(50, (report.storms[0].drain_ms ?? 0) / Math.max(1, report.storms[0].guild_creates_handled));
  if (!parts.has("storm") && !parts.has("cost") && !parts.has("hour")) throw new Error("--parts: name storm, cost or hour");
  // The reconnect storm needs only what the first connection followed; the other parts start from a settled sync.
  if (parts.has("cost") || parts.has("hour")) {
    log("the first hourly sync (mirrors every tournament's matches) …");
    report.setup_sync = await settleSync(ctx);
  }
  if (parts.has("storm")) {
    log("storm 2: reconnect (INVALID_SESSION, fresh IDENTIFY) …");
    report.storms.push(
      await storm(ctx, {
        label: "reconnect",
        trigger: () => fetch(`${emulator.url}/_emulator/gateway/invalidate`, { method: "POST", body: JSON.stringify({ resumable: false }) }),
        live: liveGuilds(1),
        deadlineMs: size.stormDeadlineMs,
      }),
    );
    log(`  drained in ${report.storms[1].drain_ms} ms; live dispatch lag ${JSON.stringify(report.storms[1].live_lag)}`);
  }
  // Part 3 before part 2: the cost of each unit is measured while nothing else runs.
  if (parts.has("cost")) report.costs = await costs(ctx);
  // Part 2.
  if (parts.has("hour")) report.hour = await topOfTheHour(ctx);
} finally {
  const size_after =
    (
      await db
        .prepare("SELECT 1")
        .run()
        .catch(() => null)
    )?.meta?.size_after ?? 0;
  report.db_bytes_per_guild = Math.round(size_after / plan.all.length);
  report.cost_estimate = costTable(report);
  report.bot_warnings = {};
  for (const l of botLogs) report.bot_warnings[`${l.level} ${l.event}`] = (report.bot_warnings[`${l.level} ${l.event}`] ?? 0) + 1;
  const dump = option("dump", null);
  const trace = dump
    ? await fetch(new URL("/__bench/trace", botUrl))
        .then((r) => r.json())
        .catch(() => [])
    : [];
  if (dump) writeFileSync(dump, JSON.stringify({ requests: emulator.requests.filter((r) => r.user_agent?.includes("DiscordBot")), bot: botLogs, trace }));
  report.duration_s = Math.round((Date.now() - t0) / 1000);
  report.targets = targets(report);
  writeFileSync(out, JSON.stringify(report, null, 1));
  await mf.dispose().catch(() => undefined);
  await emulator.close();
}
printSummary(report);
console.log(`report: ${out}`);
const failed = report.targets.filter((t) => !t.ok);
process.exit(flag("strict") && failed.length ? 1 : 0);
