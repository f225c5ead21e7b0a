// bench:scale part 3: what one unit of work costs in D1 statements and rows, Durable Object requests and REST calls,
// each measured alone (nothing else due meanwhile): a delivered reminder DM, an event channel's whole lifecycle, and a
// guild-hour of idle periodic work (the hourly cron's syncs and 60 runs of the every-minute cron, per guild).

import { lastSeq, ownWorkerdCpuMs, perUnit, quiet, readStats, retry, sleep, until, workBetween } from "./measure.mjs";
import { settleSync } from "./sync.mjs";
import { eventChannelSettings, subscribers } from "./world.mjs";

async function control(emulator, path, body, method = "POST") {
  const res = await fetch(`${emulator.url}${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Measures `run` (which resolves once its work is done) as one window of counters and REST calls. */
async function windowed(ctx, run) {
  const { emulator, botUrl } = ctx;
  const before = await readStats(botUrl);
  const seq0 = lastSeq(emulator);
  const cpu0 = ownWorkerdCpuMs();
  const extra = await run();
  const after = await readStats(botUrl);
  const work = workBetween(before, after, emulator, seq0, lastSeq(emulator));
  work.cpu_ms = cpu0 === null ? null : ownWorkerdCpuMs() - cpu0;
  return { work, ...extra };
}

/**
 * Idle periodic work: the hourly cron (every guild's sync and reconciliation) per guild, and the every-minute cron (the
 * relay's keepalive, the same whatever the guild count) ×60 as a fixed cost per deployment-hour.
 */
async function idleGuildHour(ctx) {
  const guilds = ctx.plan.all.length;
  const hourly = await settleSync(ctx);
  const minute = await windowed(ctx, async () => {
    await ctx.cron("* * * * *");
    await quiet(ctx.emulator, 2_000, Date.now() + 30_000);
  });
  return {
    guilds,
    hourly,
    minute: minute.work,
    per_guild_hour: perUnit(hourly.work, guilds),
    per_deployment_hour: { ...perUnit(minute.work, 1 / 60), units: 1 },
  };
}

async function perDm(ctx) {
  const { emulator, db } = ctx;
  const g = emulator.world.createGuild({ name: "Cost: reminders" });
  const subs = await subscribers(emulator, db, g.guild_id, ctx.size.costDms, [0], "costdm");
  const dms = new Set(subs.map((s) => s.dm));
  const seq0 = lastSeq(emulator);
  const delivered = () => emulator.requests.filter((r) => r.seq > seq0 && r.status === 200 && r.method === "POST" && dms.has(r.path.split("/")[2])).length;
  const m = await windowed(ctx, async () => {
    const start = Date.now() + 8_000;
    await control(emulator, `/_emulator/guilds/${g.guild_id}/scheduled-events`, {
      name: "Cost raid",
      scheduled_start_time: new Date(start).toISOString(),
      scheduled_end_time: new Date(start + 3_600_000).toISOString(),
    });
    const ok = await until(() => delivered() >= subs.length, start + 60_000 + (subs.length / 50) * 2000, 1000);
    await quiet(emulator, 3_000, Date.now() + 60_000);
    return { complete: ok };
  });
  const n = delivered();
  return { subscribers: subs.length, delivered: n, complete: m.complete, work: m.work, per_dm: perUnit(m.work, n) };
}

async function perLifecycle(ctx) {
  const { emulator, db } = ctx;
  const n = ctx.size.costEvents;
  const guilds = [];
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    const g = emulator.world.createGuild({ name: `Cost: event channels ${i}` });
    // Made at T−0 and removed at the end, so a whole lifecycle fits in a minute; Interested members are not DMed here
    // (a DM's cost is measured on its own).
    await eventChannelSettings(db, g.guild_id, g.channels.category, g.admin_id, { creation_minutes: 0, deletion_hours: 0 });
    const off = db.prepare("INSERT OR IGNORE INTO reminder_settings (guild_id, interested_enabled, updated_at) VALUES (?, 0, 0)").bind(g.guild_id);
    await retry(() => off.run());
    guilds.push(g);
  }
  const m = await windowed(ctx, async () => {
    const start = Date.now() + 15_000;
    for (let i = 0; i < n; i++) {
      const g = guilds[i % guilds.length];
      const ev = await control(emulator, `/_emulator/guilds/${g.guild_id}/scheduled-events`, {
        name: `Lifecycle ${i}`,
        scheduled_start_time: new Date(start).toISOString(),
        scheduled_end_time: new Date(start + 20_000).toISOString(),
      });
      await control(emulator, `/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { count: 3 });
    }
    const ids = guilds.map((g) => g.guild_id);
    const done = () =>
      db
        .prepare(`SELECT COUNT(*) AS n FROM event_channel_events WHERE state = 'done' AND guild_id IN (${ids.map(() => "?").join(",")})`)
        .bind(...ids)
        .first();
    const ok = await until(async () => (await done()).n >= n, start + 180_000, 1000);
    await quiet(emulator, 3_000, Date.now() + 60_000);
    return { complete: ok, done: (await retry(done)).n };
  });
  return { events: n, done: m.done, complete: m.complete, work: m.work, per_lifecycle: perUnit(m.work, m.done) };
}

export async function costs(ctx) {
  ctx.log("cost: a guild-hour of idle periodic work …");
  const idle = await idleGuildHour(ctx);
  ctx.log("cost: reminder DMs …");
  const dm = await perDm(ctx);
  ctx.log("cost: event-channel lifecycles …");
  const lifecycle = await perLifecycle(ctx);
  await sleep(1_000);
  return { idle, dm, lifecycle };
}
