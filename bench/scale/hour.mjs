// bench:scale part 2, the top of the hour: at :00 (a moment T0 a little ahead) M guilds' event channels are due (events
// at T0 + 1 h, channels made 60 minutes before), one guild's reminder fan-out is due (members subscribed at 1 h before),
// the hourly cron syncs every guild, and a few temporary voice channels fall empty for their deletion. Discord's view
// (the emulator's request log: when each call arrived) gives each lane's lateness against the due time, the 429s, and
// how much of the 50/s budget was used while work was waiting.

import { BUCKET_MS } from "../../src/discord/budget.ts";
import { lastSeq, ownWorkerdCpuMs, readStats, retry, sleep, summary, until, workBetween } from "./measure.mjs";
import { profilePort, saveProfile, selfTimes, startProfile } from "./profile.mjs";
import { mix, subscribers } from "./world.mjs";

const LIMIT_PER_S = 50;
const H = 3_600_000;

async function control(emulator, path, body) {
  const res = await fetch(`${emulator.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const isBot = (r) => r.user_agent?.includes("DiscordBot");
const guildOfPath = (path) => path.match(/^\/guilds\/(\d+)/)?.[1] ?? null;
const DIVIDER = /^━/;

/**
 * The guild reads of a creation's step (its standing and channel list): critical-lane calls like the others, left
 * out of the floor before (which then asked 6 calls a creation of the 50/s budget where it makes 9–10).
 */
function isCreationRead(r, eventGuilds) {
  const g = guildOfPath(r.path);
  if (!g || !eventGuilds.has(g) || r.method !== "GET") return false;
  return r.route === "GET /guilds/:id" || r.route === "GET /guilds/:id/members/:id" || r.route === "GET /guilds/:id/channels";
}

/** Critical-lane calls of the event-channel creations (the Interested read, the role, the channels; not the divider). */
function isCreationCall(r, eventGuilds) {
  const g = guildOfPath(r.path);
  if (!g || !eventGuilds.has(g)) return false;
  if (r.method === "GET" && /\/scheduled-events\/\d+\/users/.test(r.path)) return true;
  if (r.method === "POST" && r.route === "POST /guilds/:id/roles") return true;
  return r.method === "POST" && r.route === "POST /guilds/:id/channels" && !DIVIDER.test(r.body?.name ?? "");
}

/**
 * Asks the bot's runtime for an empty answer every PROBE_EVERY_MS until stopped: an answer that takes long means
 * workerd's one thread (every Durable Object, the Worker and D1 share it locally) was busy with something else.
 */
const PROBE_EVERY_MS = 50;
const STALL_MS = 60;
function probe(botUrl) {
  const samples = [];
  let on = true;
  const done = (async () => {
    while (on) {
      const at = Date.now();
      await fetch(new URL("/__bench/ping", botUrl))
        .then((r) => r.arrayBuffer())
        .catch(() => null);
      samples.push([at, Date.now() - at]);
      await sleep(PROBE_EVERY_MS);
    }
  })();
  return async () => {
    on = false;
    await done;
    return samples;
  };
}

/** Seconds (from T0) during which some due work was still outstanding: the union of [due, done] over all actions. */
function saturatedSeconds(intervals, t0) {
  const busy = new Set();
  for (const [due, done] of intervals) {
    for (let s = Math.max(0, Math.floor((due - t0) / 1000)); t0 + (s + 1) * 1000 <= done; s++) busy.add(s);
  }
  return [...busy].sort((a, b) => a - b);
}

/**
 * The moments the budget was saturated, as the gate saw them: each of its buckets (aligned as the gate aligns them)
 * throughout which some request for a slot was kept waiting, its first slot (or the time it was told to ask again)
 * a bucket or more after it asked. Demand then exceeded what the budget could give at once, so a slot of such a
 * bucket left unused is budget lost. Work the bot itself plans for later (the hourly jobs start half a minute after
 * the cron) does not count until it asks. Returns the bucket indices, ascending.
 */
function gateSaturated(trace, from, to) {
  const waits = [];
  for (const e of trace) {
    if (e.event !== "gate") continue;
    const until = e.grant.n ? e.grant.first : e.grant.retryAt;
    if (until - e.at >= BUCKET_MS) waits.push([e.at, until]);
  }
  const buckets = new Set();
  for (const [asked, until] of waits)
    for (let b = Math.max(Math.ceil(asked / BUCKET_MS), Math.ceil(from / BUCKET_MS)); (b + 1) * BUCKET_MS <= Math.min(until, to); b++) buckets.add(b);
  return [...buckets].sort((x, y) => x - y);
}

/** Calls Discord received in each of the given buckets, against what 50/s allows in a bucket, and per second from T0. */
function bucketUse(buckets, calls, t0) {
  const arrived = new Map();
  for (const r of calls) arrived.set(Math.floor(r.at / BUCKET_MS), (arrived.get(Math.floor(r.at / BUCKET_MS)) ?? 0) + 1);
  const used = buckets.reduce((n, b) => n + (arrived.get(b) ?? 0), 0);
  const perSecond = new Map();
  for (const b of buckets) {
    const s = Math.floor((b * BUCKET_MS - t0) / 1000);
    const [k, n] = perSecond.get(s) ?? [0, 0];
    perSecond.set(s, [k + 1, n + (arrived.get(b) ?? 0)]);
  }
  return {
    use: buckets.length ? Math.round((used / ((buckets.length * BUCKET_MS * LIMIT_PER_S) / 1000)) * 1000) / 1000 : null,
    // Per second from T0: [saturated buckets, calls in them].
    per_second: Object.fromEntries(perSecond),
  };
}

/** Where the isolate's time went over the hour, and inside the stalls the probe saw (SCALE_PROFILE). */
function reportProfile({ profile, startedAt }, probes, log) {
  const path = `/tmp/scale-hour-${startedAt}.cpuprofile`;
  saveProfile(path, profile);
  const stalls = probes.filter(([, ms]) => ms >= STALL_MS);
  const inStall = (at) => stalls.some(([s, ms]) => at >= s && at <= s + ms);
  log(`  CPU profile: ${path}`);
  log(`  self time over the hour (ms): ${JSON.stringify(selfTimes(profile, startedAt))}`);
  log(`  self time inside the ${stalls.length} stalls (ms): ${JSON.stringify(selfTimes(profile, startedAt, inStall))}`);
  log(`  inclusive time inside the stalls (ms): ${JSON.stringify(selfTimes(profile, startedAt, inStall, 60, true))}`);
}

export async function topOfTheHour(ctx) {
  const { emulator, db, plan, size, log } = ctx;
  const eventGuilds = plan.eventChannels.filter((g) => !mix.reminders(g.index)).slice(0, size.hourEventGuilds);
  // Guilds the hourly cron lists events for: event channels set up (its reconciliation) or a mirroring tournament (the sync).
  const listed = db.prepare(
    "SELECT guild_id FROM event_channel_settings WHERE json_extract(settings, '$.category_id') IS NOT NULL UNION SELECT guild_id FROM tournaments WHERE create_scheduled_events = 1",
  );
  const syncGuilds = new Set((await retry(() => listed.all())).results.map((r) => r.guild_id));
  log(
    `top of the hour: ${eventGuilds.length} event-channel creations, a ${size.fanout}-member fan-out, ${syncGuilds.size} guilds to sync, ${plan.temp.length} voice deletions`,
  );
  const big = emulator.world.createGuild({ name: "Big guild" });
  const fans = await subscribers(emulator, db, big.guild_id, size.fanout, [3600], "fan");
  const fanDms = new Set(fans.map((f) => f.dm));

  // T0 leaves time for the bot to hear of every event (at the pace of the first connection's GUILD_CREATEs, which carry
  // three events each) and for the voice leaves a minute before.
  const t0 = Math.ceil((Date.now() + 75_000 + (eventGuilds.length + 1) * ctx.msPerGuildCreate) / 1000) * 1000;
  const startAt = t0 + H;
  for (const g of eventGuilds)
    await control(emulator, `/_emulator/guilds/${g.guild_id}/scheduled-events`, {
      name: `Top ${g.index}`,
      scheduled_start_time: new Date(startAt).toISOString(),
      scheduled_end_time: new Date(startAt + 2 * H).toISOString(),
    });
  const bigEvent = await control(emulator, `/_emulator/guilds/${big.guild_id}/scheduled-events`, {
    name: "Big raid",
    scheduled_start_time: new Date(startAt).toISOString(),
    scheduled_end_time: new Date(startAt + 2 * H).toISOString(),
  });
  const ids = eventGuilds.map((g) => g.guild_id);
  const planned = await until(
    async () =>
      (
        await db
          .prepare(`SELECT COUNT(*) AS n FROM event_channel_events WHERE start_at = ? AND guild_id IN (${ids.map(() => "?").join(",")})`)
          .bind(startAt, ...ids)
          .first()
      ).n >= ids.length,
    t0 - 62_000,
    1000,
  );
  log(`  the bot followed ${planned ? "every" : "NOT every"} event before T0 − 60 s; waiting for T0 …`);
  // The previous hourly run was an hour before T0 (not the setup's, minutes ago): every guild's list is due again.
  await retry(() => db.prepare("UPDATE scheduled_event_guilds SET reconciled_at = reconciled_at - ?").bind(H).run());

  // A minute before :00 the last member leaves each temporary channel (empty_minutes is 1): deletion due at :00.
  await sleep(Math.max(0, t0 - 60_000 - Date.now()));
  const voiceDue = new Map();
  for (const t of plan.temp) {
    emulator.world.setVoice(t.guild_id, t.user_id, null);
    voiceDue.set(t.channel_id, Date.now() + 60_000);
  }
  await sleep(Math.max(0, t0 - Date.now()));
  const seq0 = lastSeq(emulator);
  const before = await readStats(ctx.botUrl);
  const cpu0 = ownWorkerdCpuMs();
  const stopProbe = probe(ctx.botUrl);
  const stopProfile = profilePort() ? await startProfile(profilePort()) : null;
  const cronRun = ctx.cron("0 * * * *").catch((e) => log(`  hourly cron failed: ${e.message}`));

  const eventGuildIds = new Set(ids);
  const calls = () => emulator.requests.filter((r) => r.seq > seq0 && isBot(r));
  const dmsSent = () => calls().filter((r) => r.status === 200 && r.method === "POST" && fanDms.has(r.path.split("/")[2]));
  const doneCheck = () => {
    const cs = calls();
    const channels = new Map();
    for (const r of cs)
      if (r.status < 300 && r.route === "POST /guilds/:id/channels" && isCreationCall(r, eventGuildIds))
        channels.set(guildOfPath(r.path), (channels.get(guildOfPath(r.path)) ?? 0) + 1);
    const created = [...channels.values()].filter((n) => n >= 2).length;
    const deleted = new Set(cs.filter((r) => r.method === "DELETE" && voiceDue.has(r.path.split("/")[2]) && r.status < 300).map((r) => r.path.split("/")[2]))
      .size;
    const synced = new Set(
      cs
        .filter((r) => r.method === "GET" && r.route === "GET /guilds/:id/scheduled-events" && syncGuilds.has(guildOfPath(r.path)))
        .map((r) => guildOfPath(r.path)),
    ).size;
    const lastDm = dmsSent().at(-1)?.at ?? t0;
    const fanoutOver = dmsSent().length >= fans.length || Date.now() - Math.max(lastDm, t0 + 60_000) > 10_000;
    return { created, deleted, synced, fanoutOver };
  };
  const expectedCalls = eventGuilds.length * 4 + fans.length + syncGuilds.size + plan.temp.length;
  const deadline = t0 + Math.max(120_000, (expectedCalls / LIMIT_PER_S) * 2000 + 60_000);
  let progress = 0;
  const finished = await until(
    () => {
      const d = doneCheck();
      if (Date.now() - progress > 15_000) {
        progress = Date.now();
        log(
          `  +${Math.round((Date.now() - t0) / 1000)} s: ${d.created}/${eventGuilds.length} created, ${dmsSent().length}/${fans.length} DMs, ${d.synced}/${syncGuilds.size} synced, ${d.deleted}/${plan.temp.length} voice deleted`,
        );
      }
      return d.created >= eventGuilds.length && d.deleted >= plan.temp.length && d.synced >= syncGuilds.size && d.fanoutOver;
    },
    deadline,
    1000,
  );
  await cronRun;
  const probes = await stopProbe();
  if (stopProfile) reportProfile(await stopProfile(), probes, log);
  const cpuMs = cpu0 === null ? null : ownWorkerdCpuMs() - cpu0;
  const wallMs = Date.now() - t0;
  const after = await readStats(ctx.botUrl);
  // The calls counted end here: so does the window the gate's saturated moments are looked for in.
  const closedAt = Date.now();
  const seq1 = lastSeq(emulator);
  const all = emulator.requests.filter((r) => r.seq > seq0 && r.seq <= seq1 && isBot(r));

  // Critical: each event's channels (due T0) and each voice deletion (due a minute after its last leave).
  const critical = all.filter((r) => r.status !== 429 && (isCreationCall(r, eventGuildIds) || (r.method === "DELETE" && voiceDue.has(r.path.split("/")[2]))));
  const rank = new Map(critical.map((r, i) => [r, i + 1]));
  const floorMs = (r) => Math.round((rank.get(r) * 1000) / LIMIT_PER_S);
  // The same floor counting every call of the creations' steps, their guild reads too.
  const rankAll = new Map(all.filter((r) => r.status !== 429 && (critical.includes(r) || isCreationRead(r, eventGuildIds))).map((r, i) => [r, i + 1]));
  const floorAllMs = (r) => Math.round((rankAll.get(r) * 1000) / LIMIT_PER_S);
  const creations = [];
  for (const g of eventGuilds) {
    const mine = critical.filter((r) => guildOfPath(r.path) === g.guild_id);
    const channels = mine.filter((r) => r.route === "POST /guilds/:id/channels" && r.status < 300);
    if (!mine.length || channels.length < 2) continue;
    const ready = channels.at(-1);
    creations.push({
      first_call_ms: mine[0].at - t0,
      ready_ms: ready.at - t0,
      over_floor_ms: ready.at - t0 - floorMs(ready),
      over_floor_all_calls_ms: ready.at - t0 - floorAllMs(ready),
    });
  }
  const deletions = [];
  for (const r of critical.filter((r) => r.method === "DELETE")) {
    const due = voiceDue.get(r.path.split("/")[2]);
    deletions.push({
      late_ms: r.at - due,
      over_floor_ms: r.at - due - Math.max(0, floorMs(r) - (due - t0)),
      over_floor_all_calls_ms: r.at - due - Math.max(0, floorAllMs(r) - (due - t0)),
    });
  }
  const dms = all.filter((r) => r.status === 200 && r.method === "POST" && fanDms.has(r.path.split("/")[2]));
  const byStatus = db
    .prepare("SELECT status, COUNT(*) AS n FROM reminder_deliveries WHERE guild_id = ? AND event_id = ? GROUP BY status")
    .bind(big.guild_id, bigEvent.id);
  const deliveries = await retry(() => byStatus.all());
  const firstList = new Map();
  for (const r of all) {
    if (r.method !== "GET" || r.route !== "GET /guilds/:id/scheduled-events" || r.status === 429) continue;
    const g = guildOfPath(r.path);
    if (!syncGuilds.has(g)) continue;
    if (!firstList.has(g)) firstList.set(g, r.at - t0);
  }

  const lastOf = (xs) => (xs.length ? Math.max(...xs) : 0);
  const intervals = [
    ...creations.map((c) => [t0, t0 + c.ready_ms]),
    ...deletions.map((d) => [t0, t0 + d.late_ms]),
    [t0, dms.at(-1)?.at ?? t0],
    [t0, t0 + lastOf([...firstList.values()])],
  ];
  const seconds = saturatedSeconds(intervals, t0);
  const perSecond = new Map();
  for (const r of all) {
    if (r.status === 429) continue;
    const s = Math.floor((r.at - t0) / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  const used = seconds.reduce((n, s) => n + (perSecond.get(s) ?? 0), 0);
  // Seconds in which workerd's thread answered nothing for STALL_MS or more: slots passed while it was busy elsewhere.
  const stalled = new Set();
  for (const [at, ms] of probes) if (ms >= STALL_MS) for (let s = Math.floor((at - t0) / 1000); s <= Math.floor((at + ms - t0) / 1000); s++) stalled.add(s);
  const clear = seconds.filter((s) => !stalled.has(s));
  const usedClear = clear.reduce((n, s) => n + (perSecond.get(s) ?? 0), 0);
  const trace = await (await fetch(new URL("/__bench/trace", ctx.botUrl))).json();
  // The worker keeps the newest entries: one that begins after T0 lost some of the hour's.
  const traceFrom = trace[0]?.at ?? trace[0]?.start ?? 0;
  if (traceFrom > t0) log(`  the bench worker's trace begins ${traceFrom - t0} ms after T0: the gate's saturated moments are undercounted`);
  const sent = all.filter((r) => r.status !== 429);
  const saturated = gateSaturated(trace, t0, closedAt);
  const gate = bucketUse(saturated, sent, t0);
  const stalledBucket = (b) => probes.some(([at, ms]) => ms >= STALL_MS && at < (b + 1) * BUCKET_MS && at + ms > b * BUCKET_MS);
  const gateClear = bucketUse(
    saturated.filter((b) => !stalledBucket(b)),
    sent,
    t0,
  );
  const work = workBetween(before, after, emulator, seq0, seq1);
  return {
    t0: new Date(t0).toISOString(),
    finished,
    followed_before_t0: planned,
    lanes: {
      critical_event_channels: {
        due: eventGuilds.length,
        done: creations.length,
        first_call: summary(creations.map((c) => c.first_call_ms)),
        channels_ready: summary(creations.map((c) => c.ready_ms)),
        over_floor: summary(creations.map((c) => c.over_floor_ms)),
        over_floor_all_calls: summary(creations.map((c) => c.over_floor_all_calls_ms)),
      },
      critical_voice_delete: {
        due: plan.temp.length,
        done: deletions.length,
        late: summary(deletions.map((d) => d.late_ms)),
        over_floor: summary(deletions.map((d) => d.over_floor_ms)),
        over_floor_all_calls: summary(deletions.map((d) => d.over_floor_all_calls_ms)),
      },
      bulk_reminder_dms: {
        due: fans.length,
        delivered: dms.length,
        late: summary(dms.map((r) => r.at - t0)),
        deliveries: Object.fromEntries(deliveries.results.map((r) => [r.status, r.n])),
      },
      background_sync: { due: syncGuilds.size, listed: firstList.size, late: summary([...firstList.values()]) },
    },
    rest: {
      calls: all.filter((r) => r.status !== 429).length,
      "429s": all.filter((r) => r.status === 429).length,
      "429s_by_route": Object.fromEntries(
        Object.entries(
          Object.groupBy(
            all.filter((r) => r.status === 429),
            (r) => r.route ?? r.path,
          ),
        ).map(([k, v]) => [k, v.length]),
      ),
      // Saturated as the gate saw it (slot requests kept waiting): the target's figure.
      saturated_s: Math.round(saturated.length * BUCKET_MS) / 1000,
      budget_use: gate.use,
      saturated_per_second: gate.per_second,
      budget_use_unstalled: gateClear.use,
      // The older measure: every second from T0 until the last due action was done, the hourly jobs' planned start
      // half a minute on included.
      outstanding_s: seconds.length,
      budget_use_outstanding: seconds.length ? Math.round((used / (seconds.length * LIMIT_PER_S)) * 1000) / 1000 : null,
      budget_use_outstanding_unstalled: clear.length ? Math.round((usedClear / (clear.length * LIMIT_PER_S)) * 1000) / 1000 : null,
      per_second: seconds.map((s) => perSecond.get(s) ?? 0),
      stalled_s: seconds.filter((s) => stalled.has(s)).length,
      stalled_ms: probes.filter(([, ms]) => ms >= STALL_MS).reduce((n, [, ms]) => n + ms, 0),
      longest_stall_ms: Math.max(0, ...probes.map(([, ms]) => ms)),
      stalls: probes.filter(([, ms]) => ms >= STALL_MS).map(([at, ms]) => [at - t0, ms]),
    },
    // How busy workerd was meanwhile (1.0 = one core all the time): on a loaded machine the bot may be CPU-starved.
    workerd_cpu_share: cpuMs === null ? null : Math.round((cpuMs / wallMs) * 100) / 100,
    work,
  };
}
