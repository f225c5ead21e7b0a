// bench:scale part 1, the reconnect storm: an IDENTIFY sends a GUILD_CREATE per guild; meanwhile a member joins a voice
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
const handledOf = (stats, p) => stats.gateway.others.find((o) => o.t === p.t && o.s === p.sent.seq && o.done_at >= p.sent.at);

/**
 * One storm. `trigger` makes the relay IDENTIFY (the cron's first connect, or an INVALID_SESSION); `live` names the
 * guilds whose dispatches are sent during it (a voice guild per join, an event-channel guild per cancel).
 */
export async function storm(ctx, { label, trigger, live, deadlineMs }) {
  const { emulator, botUrl } = ctx;
  const before = await readStats(botUrl);
  const seq0 = lastSeq(emulator);
  const cpu0 = ownWorkerdCpuMs();
  let identify = null;
  const sent = [];
  const stop = emulator.observe((e) => {
    if (e.type !== "gateway") return;
    if (e.what === "identify" && !identify) identify = { at: e.at, session: e.session };
    else if (e.what === "dispatch" && identify && e.session === identify.session) sent.push({ t: e.t, seq: e.seq, at: e.at });
  });
  const deadline = Date.now() + deadlineMs;
  await trigger();
  if (!(await until(() => identify !== null, Date.now() + 60_000, 20))) throw new Error(`${label}: the relay never identified`);
  const probes = [];
  for (const [i, at] of LIVE_AT_MS.entries()) {
    await sleep(Math.max(0, identify.at + at - Date.now()));
    const voice = live.voice[i];
    if (voice) {
      const seqBefore = sent.length;
      emulator.world.setVoice(voice.guild_id, voice.admin_id, voice.channels.voice);
      probes.push({ what: "voice join", t: "VOICE_STATE_UPDATE", sent: sent.slice(seqBefore).find((d) => d.t === "VOICE_STATE_UPDATE") });
    }
    const ev = live.cancel[i];
    if (ev) {
      const seqBefore = sent.length;
      await control(emulator, "PATCH", `/_emulator/guilds/${ev.guild_id}/scheduled-events/${ev.events[0]}`, { status: 4 });
      probes.push({ what: "event cancel", t: "GUILD_SCHEDULED_EVENT_UPDATE", sent: sent.slice(seqBefore).find((d) => d.t === "GUILD_SCHEDULED_EVENT_UPDATE") });
    }
  }
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
  const lagValues = lags.map((l) => l.lag_ms ?? Date.now() - identify.at);
  return {
    label,
    drained,
    guild_creates_sent: gc.length,
    guild_creates_handled: handled,
    // From the IDENTIFY until the last GUILD_CREATE's handlers finished.
    drain_ms: handled ? after.gateway.last_guild_create_done_at - identify.at : null,
    sent_span_ms: gc.length ? gc.at(-1).at - gc[0].at : 0,
    guild_creates_per_s: handled ? Math.round((handled / Math.max(1, after.gateway.last_guild_create_done_at - identify.at)) * 1000 * 10) / 10 : 0,
    live_dispatches: lags,
    live_lag: summary(lagValues),
    work,
  };
}
