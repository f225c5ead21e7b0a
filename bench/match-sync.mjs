// `npm run bench:sync`: the hourly match → event sync for 1,000 upcoming matches across 10 guilds, on local
// workerd (Miniflare) against the in-process emulator (Discord's 50 requests/s global limit enforced).
// Reports REST calls by kind and the sync's time (wall and workerd CPU, cron → every guild's timer done) for: the first sync (every event
// missing), a sync with nothing changed (target: one list per guild, zero writes), and a sync with 10 %
// changed (half edited in D1 behind the bot's back, half edited on Discord by hand; target: writes = changes).

import { startEmulator } from "../test/emulator/server.ts";
import { botOnEmulator, CLK_TCK, workerdCpuTicks } from "./lib.mjs";

const GUILDS = Number(process.env.BENCH_GUILDS ?? 10);
const PER_GUILD = Number(process.env.BENCH_MATCHES ?? 100);
const FAN_OUT_START_DELAY_MS = 30_000;
/** src/fan-out.ts staggerOf("tournaments.match-event-sync"): the job's own offset after the start delay. */
const SYNC_STAGGER_MS = [..."tournaments.match-event-sync"].reduce((h, ch) => (h * 31 + ch.codePointAt(0)) >>> 0, 0) % 20_000;
const QUIET_RUNS = Number(process.env.BENCH_SYNC_RUNS ?? 5);
const H = 3_600_000;

const emulator = await startEmulator({ quiet: true });
const { mf, db } = await botOnEmulator(emulator, "bench-sync");

// 10 guilds, each with one tournament mirroring its matches and 100 matches spread over the next 160 h.
const now = Date.now();
const guilds = [];
for (let gi = 0; gi < GUILDS; gi++) {
  const g = emulator.world.createGuild({ name: `League ${gi}` });
  guilds.push(g.guild_id);
  const t = await db
    .prepare("INSERT INTO tournaments (guild_id, slug, name, create_scheduled_events, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?) RETURNING id")
    .bind(g.guild_id, `league${gi}`, `League ${gi}`, now, now)
    .first();
  const stmts = [];
  for (let i = 0; i < PER_GUILD; i++) {
    const at = Math.ceil((now + 2 * H + i * 1.6 * H) / 60_000) * 60_000;
    stmts.push(
      db
        .prepare(
          `INSERT INTO matches (guild_id, tournament_id, side_a_kind, side_a_id, side_a_name, side_b_kind, side_b_id, side_b_name, round, scheduled_at, created_at, updated_at)
           VALUES (?, ?, 'member', ?, ?, 'member', ?, ?, ?, ?, ?, ?)`,
        )
        .bind(g.guild_id, t.id, `${1000 + i}`, `Player ${2 * i}`, `${2000 + i}`, `Player ${2 * i + 1}`, `Week ${1 + Math.floor(i / 15)}`, at, now, now),
    );
  }
  await db.batch(stmts);
}

const bot = await mf.getWorker();
const botCalls = (since) => emulator.requests.filter((r) => r.seq > since && r.user_agent?.includes("DiscordBot"));

/** Resolves once every guild has recorded a sync that started at or after `since` (ms). */
async function allSynced(since) {
  // Polling is D1 work inside workerd too: often at first (a quiet sync takes ~200 ms), then rarely.
  for (let polls = 0; ; polls++) {
    // A run that left writes for the next one records how many remain (its timer runs again at once, too soon to
    // need a row in the timers table).
    const r = await db
      .prepare("SELECT COUNT(*) AS n FROM tournament_sync WHERE last_sync_at >= ? AND COALESCE(json_extract(result, '$.remaining'), 0) = 0")
      .bind(since)
      .first();
    if (r.n === GUILDS) return;
    await new Promise((res) => setTimeout(res, polls < 50 ? 10 : 250));
  }
}

/** One hourly cron run, which queues each guild's sync on its own timer; measured until every guild is done. */
async function hourly(label) {
  const since = emulator.requests.at(-1)?.seq ?? 0;
  const cpu0 = workerdCpuTicks();
  const t0 = performance.now();
  const startedAt = Date.now();
  await bot.scheduled({ cron: "0 * * * *", scheduledTime: new Date() });
  await allSynced(startedAt);
  // Each round starts FAN_OUT_START_DELAY_MS (src/fan-out.ts, 30 s) and its job's stagger after its cron, leaving the
  // cron's minute to time-critical steps: the sync's own time is measured from then.
  const wall = performance.now() - t0 - FAN_OUT_START_DELAY_MS - SYNC_STAGGER_MS;
  const cpu1 = workerdCpuTicks();
  const all = botCalls(since);
  // Calls Discord carried out; the ones it refused with 429 (and the client retried) are counted apart.
  const calls = all.filter((r) => r.status !== 429);
  const count = (pred) => calls.filter(pred).length;
  return {
    sync: label,
    "scheduled-event lists": count((r) => r.method === "GET" && r.route === "GET /guilds/:id/scheduled-events"),
    "other reads": count((r) => r.method === "GET" && r.route !== "GET /guilds/:id/scheduled-events"),
    creates: count((r) => r.method === "POST"),
    updates: count((r) => r.method === "PATCH"),
    deletes: count((r) => r.method === "DELETE"),
    "429s": all.length - calls.length,
    "wall (ms)": Math.round(wall),
    "workerd CPU (ms)": cpu0 === null ? "n/a" : Math.round(((cpu1 - cpu0) * 1000) / CLK_TCK),
  };
}

const rows = [];
rows.push(await hourly("first (all 1,000 missing)"));
const events = () => guilds.flatMap((id) => emulator.world.guilds.get(id).scheduled_events);
console.log(`events on Discord after the first sync: ${events().length}`);

const quiet = [];
for (let i = 0; i < QUIET_RUNS; i++) quiet.push(await hourly(`nothing changed #${i + 1}`));
rows.push(...quiet);

// 10 % changed: 50 matches moved in D1 without the live path running, 50 events renamed on Discord by hand.
const ids = (await db.prepare("SELECT id FROM matches ORDER BY id").all()).results.map((r) => r.id);
const step = Math.floor(ids.length / (ids.length / 10));
const changed = ids.filter((_, i) => i % step === 0).slice(0, Math.round(ids.length / 10));
const inD1 = changed.slice(0, Math.ceil(changed.length / 2));
const onDiscord = changed.slice(inD1.length);
await db.batch(inD1.map((id) => db.prepare("UPDATE matches SET scheduled_at = scheduled_at + 1800000, revision = revision + 1 WHERE id = ?").bind(id)));
const mapped = new Map(
  (await db.prepare("SELECT match_id, scheduled_event_id FROM match_events").all()).results.map((r) => [r.match_id, r.scheduled_event_id]),
);
const byId = new Map(events().map((e) => [e.id, e]));
for (const id of onDiscord) byId.get(mapped.get(id)).name = "edited by hand";
const changedRun = await hourly(`10 % changed (${inD1.length} in D1 + ${onDiscord.length} on Discord)`);
rows.push(changedRun, await hourly("after the repair"));

console.table(rows);
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const quietCpu = quiet.map((r) => r["workerd CPU (ms)"]).filter((v) => typeof v === "number");
console.log(
  [
    `matches: ${GUILDS * PER_GUILD} across ${GUILDS} guilds`,
    `nothing changed: ${quiet[0]["scheduled-event lists"]} lists, ${quiet[0].creates + quiet[0].updates + quiet[0].deletes} writes; median wall ${median(quiet.map((r) => r["wall (ms)"]))} ms, median workerd CPU ${quietCpu.length ? median(quietCpu) : "n/a"} ms`,
    `10 % changed: ${changed.length} changes → ${changedRun.creates + changedRun.updates + changedRun.deletes} writes`,
  ].join("\n"),
);
const ok =
  events().length === GUILDS * PER_GUILD &&
  quiet.every((r) => r["scheduled-event lists"] === GUILDS && r.creates + r.updates + r.deletes === 0) &&
  changedRun.creates + changedRun.updates + changedRun.deletes === changed.length;
await mf.dispose();
await emulator.close();
process.exit(ok ? 0 : 1);
