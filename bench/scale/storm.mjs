// bench:scale part 1, the reconnect storm: each shard's IDENTIFY sends a GUILD_CREATE per guild; meanwhile a member joins a voice
// channel and an admin cancels an event. Measured: the time until every GUILD_CREATE was handled, and how long after
// Discord sent them the bot finished handling the other dispatches (the bench Worker notes when each one's handlers end).

import { lastSeq, ownWorkerdCpuMs, readStats, sleep, summary, until, workBetween } from "./measure.mjs";

/** When the live dispatches are sent, after the IDENTIFY (ms). */
const LIVE_AT_MS = [500, 3_000];

async function control(emulator, method, path, body) {
  const res = await fetch(`${emulator.url}${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The bench Worker's note of a live dispatch's handling (seq numbers restart with each session: only later notes count). */
const handledOf = (stats, p) => stats.gateway.others.find((o) => o.t === p.t && o.s === p.sent.seq && o.guild_id === p.guild && o.done_at >= p.sent.at);

/** The shard a guild's dispatches arrive on (Discord's formula). */
const shardOf = (guildId, count) => Number((BigInt(guildId) >> 22n) % BigInt(count));

/**
 * One storm. `trigger` makes the relays IDENTIFY (the cron's first connect, or an INVALID_SESSION); `live` names the
 * guilds whose dispatches are sent during it (a voice guild per join, an event-channel guild per cancel), each that
 * long after its own shard's IDENTIFY (shards identify one after another, as Discord's identify concurrency asks).
 */
export async function storm(ctx, { label, trigger, live, deadlineMs }) {
  const { emulator, botUrl } = ctx;
  const shards = ctx.shards ?? 1;
  const before = await readStats(botUrl);
  const seq0 = lastSeq(emulator);
  const cpu0 = ownWorkerdCpuMs();
  /** Each shard's first IDENTIFY after the trigger, and the sessions they opened. */
  const identified = new Map();
  const sessions = new Set();
  const sent = [];
  let armed = false;
  const stop = emulator.observe((e) => {
    if (e.type !== "gateway" || !armed) return;
    if (e.what === "identify") {
      sessions.add(e.session);
      const shard = e.shard?.[0] ?? 0;
      if (!identified.has(shard)) identified.set(shard, { at: e.at, session: e.session });
    } else if (e.what === "dispatch" && sessions.has(e.session)) sent.push({ t: e.t, seq: e.seq, at: e.at, session: e.session });
  });
  const deadline = Date.now() + deadlineMs;
  armed = true;
  await trigger();
  if (!(await until(() => identified.size > 0, Date.now() + 60_000, 20))) throw new Error(`${label}: the relay never identified`);
  const first = () => Math.min(...[...identified.values()].map((i) => i.at));
  const probe = async (what, t, guildId, at, send) => {
    const shard = shardOf(guildId, shards);
    if (!(await until(() => identified.has(shard), deadline, 20))) return { what, t, guild: guildId, sent: undefined };
    await sleep(Math.max(0, identified.get(shard).at + at - Date.now()));
    const from = sent.length;
    await send();
    const mine = identified.get(shard).session;
    return { what, t, guild: guildId, sent: sent.slice(from).find((d) => d.t === t && d.session === mine) };
  };
  const probes = await Promise.all(
    LIVE_AT_MS.flatMap((at, i) => {
      const voice = live.voice[i];
      const ev = live.cancel[i];
      return [
        voice &&
          probe("voice join", "VOICE_STATE_UPDATE", voice.guild_id, at, async () =>
            emulator.world.setVoice(voice.guild_id, voice.admin_id, voice.channels.voice),
          ),
        ev &&
          probe("event cancel", "GUILD_SCHEDULED_EVENT_UPDATE", ev.guild_id, at, () =>
            control(emulator, "PATCH", `/_emulator/guilds/${ev.guild_id}/scheduled-events/${ev.events[0]}`, { status: 4 }),
          ),
      ].filter(Boolean);
    }),
  );
  const guildCreatesSent = () => sent.filter((d) => d.t === "GUILD_CREATE").length;
  let after = before;
  const drained = await until(
    async () => {
      after = await readStats(botUrl);
      const handled = after.gateway.guild_creates - before.gateway.guild_creates;
      const liveDone = probes.every((p) => p.sent && handledOf(after, p));
      return handled >= guildCreatesSent() && liveDone;
    },
    deadline,
    1000,
  );
  stop();
  const cpu1 = ownWorkerdCpuMs();
  const gc = sent.filter((d) => d.t === "GUILD_CREATE");
  const handled = after.gateway.guild_creates - before.gateway.guild_creates;
  const lags = probes.map((p) => {
    const done = p.sent ? handledOf(after, p) : null;
    return { dispatch: p.what, seq: p.sent?.seq ?? null, lag_ms: done ? done.done_at - p.sent.at : null, handled: !!done };
  });
  const work = workBetween(before, after, emulator, seq0, lastSeq(emulator));
  work.cpu_ms = cpu0 === null ? null : cpu1 - cpu0;
  const lagValues = lags.map((l) => l.lag_ms ?? Date.now() - first());
  return {
    label,
    drained,
    guild_creates_sent: gc.length,
    guild_creates_handled: handled,
    // From the IDENTIFY until the last GUILD_CREATE's handlers finished.
    drain_ms: handled ? after.gateway.last_guild_create_done_at - first() : null,
    sent_span_ms: gc.length ? gc.at(-1).at - gc[0].at : 0,
    guild_creates_per_s: handled ? Math.round((handled / Math.max(1, after.gateway.last_guild_create_done_at - first())) * 1000 * 10) / 10 : 0,
    shards,
    // Each shard's IDENTIFY after the first one's (ms): Discord's identify concurrency spaces them.
    identify_offsets_ms: [...identified.entries()].sort((a, b) => a[0] - b[0]).map(([shard, i]) => ({ shard, at_ms: i.at - first() })),
    live_dispatches: lags,
    live_lag: summary(lagValues),
    work,
  };
}
