import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { Inbox } from "../src/gateway/inbox";
import type { GatewayRelay } from "../src/index";
import { emu, type Fixture, newGuild } from "./helpers";
import { gatewayControl, privateRelay, type Relay, ready, session, until } from "./relay-helpers";

const HOUR = 3_600_000;
const started: Relay[] = [];
afterEach(async () => {
  for (const stub of started.splice(0)) await stub.stop();
});

async function poll<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 30_000, pause = 20): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(v)}`);
    // pause 0: wait on a round trip to the emulator instead of a timer (see the heartbeat test).
    if (pause) await new Promise((r) => setTimeout(r, pause));
    else await emu("/_emulator/counters");
  }
}

/** Runs the relay's alarm whenever it is due (reconnects after a pause are alarms at "now"), until `ok`. */
async function pollRelay<T>(stub: Relay, read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 30_000): Promise<T> {
  return poll(
    async () => {
      const due = await runInDurableObject(stub as unknown as DurableObjectStub<GatewayRelay>, (_r, state) => state.storage.getAlarm());
      if (due !== null && due <= Date.now()) await runDurableObjectAlarm(stub as unknown as DurableObjectStub<GatewayRelay>);
      return read();
    },
    ok,
    what,
    ms,
  );
}

const guildJoined = (guildId: string) => async () =>
  (await env.DB.prepare("SELECT joined_at FROM guilds WHERE guild_id = ?").bind(guildId).first<{ joined_at: number | null }>())?.joined_at ?? null;

const remindersFollowed = (guildId: string) => async () =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM scheduled_events WHERE guild_id = ?").bind(guildId).first<{ n: number }>())?.n ?? 0;

/** `reminder.scheduled` entries in the event log, per scheduled event: what an admin would see twice if a dispatch acted twice. */
async function scheduledLog(guildId: string): Promise<Map<string, number>> {
  const rows = await env.DB.prepare("SELECT data FROM event_log WHERE guild_id = ? AND name = 'reminder.scheduled'").bind(guildId).all<{ data: string }>();
  const counts = new Map<string, number>();
  for (const r of rows.results) {
    const id = (JSON.parse(r.data) as { event_id: string }).event_id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function scheduleEvents(g: Fixture, n: number, prefix: string): Promise<string[]> {
  // All at once, as when a bot schedules a season: they reach the relay faster than it handles them.
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const start = Date.now() + (3 + i) * HOUR;
      return emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
        body: { name: `${prefix} ${i}`, scheduled_start_time: new Date(start).toISOString(), scheduled_end_time: new Date(start + HOUR).toISOString() },
      });
    }),
  );
  return created.map((e) => e.id);
}

/** The relay's clock runs 10 minutes ahead, so a reconnect alarm waits for the test to run it. */
async function pinClockAhead(stub: Relay): Promise<void> {
  await runInDurableObject(stub as unknown as DurableObjectStub<GatewayRelay>, (r: GatewayRelay) => {
    r.clock = () => Date.now() + 600_000;
  });
}

/** A scheduled event's CREATE sent straight to one session (no emulator state behind it: the handlers only plan). */
function createDispatch(guildId: string, sessionId: string | null, i: number) {
  const start = Date.now() + (3 + i) * HOUR;
  return gatewayControl("dispatch", {
    t: "GUILD_SCHEDULED_EVENT_CREATE",
    d: {
      id: String(900_000_000_000_000_000n + BigInt(i)),
      guild_id: guildId,
      name: `Burst ${i}`,
      scheduled_start_time: new Date(start).toISOString(),
      scheduled_end_time: new Date(start + HOUR).toISOString(),
      status: 1,
      entity_type: 3,
      entity_metadata: { location: "Online" },
      privacy_level: 2,
      channel_id: null,
    },
    guild_id: guildId,
    session_id: sessionId,
  });
}

describe("the relay's durable dispatch queue", () => {
  it("handles every dispatch it had received after a reset mid-queue (as on a deploy), and none twice", async () => {
    const g = await newGuild();
    const name = `test-${crypto.randomUUID()}`;
    const old = await privateRelay(name);
    await old.ensure([0, 1]);
    const first = await ready(old);
    // READY is followed by a GUILD_CREATE per emulated guild; this guild's is the last of them.
    await poll(guildJoined(g.guild_id), (v) => v !== null, "the guild's GUILD_CREATE");
    await pinClockAhead(old);
    await gatewayControl("drop", { session_id: first.session_id });
    await poll(
      async () => (await old.status()).connected,
      (c) => !c,
      "the drop to be noticed",
    );
    // 40 events announced while the connection is down reach the relay at once when it RESUMEs, far faster
    // than their handlers run; the reset lands while most of them wait.
    const n = 40;
    for (let i = 0; i < n; i++) await createDispatch(g.guild_id, first.session_id, i);
    const target = (await session(first.session_id)).seq; // the last of the 40
    // The reset lands right after the relay has taken in the last of them (its seq write is on disk): a hook on
    // the relay's frame handler, the one way to place an eviction at an exact point.
    await runInDurableObject(old as unknown as DurableObjectStub<GatewayRelay>, (relay: GatewayRelay, state) => {
      const hooked = relay as unknown as { onMessage(gen: number, data: unknown): Promise<void> };
      const original = hooked.onMessage.bind(relay);
      hooked.onMessage = async (gen, data) => {
        await original(gen, data);
        if (typeof data === "string" && data.includes(`"s":${target},`)) {
          await state.storage.sync();
          state.abort("simulated deploy");
        }
      };
    });
    expect(await runDurableObjectAlarm(old as unknown as DurableObjectStub<GatewayRelay>)).toBe(true);
    await poll(
      () => session(first.session_id),
      (x) => !x.connected && x.resumes === 1,
      "the reset after the RESUME",
      10_000,
    );
    const handledBefore = await remindersFollowed(g.guild_id)();
    expect(handledBefore).toBeLessThan(n);

    const stub = env.GATEWAY_RELAY.getByName(name) as unknown as Relay;
    started.push(stub);
    expect((await stub.status()).connected).toBe(false);
    // The next alarm (persisted) reconnects and RESUMEs from the stored seq: Discord replays nothing it had
    // delivered, so whatever was received but not handled must come from the relay's own storage.
    expect(await runDurableObjectAlarm(stub as unknown as DurableObjectStub<GatewayRelay>)).toBe(true);
    await until(stub, (s) => s.status === "ready" && s.connected, "RESUMED after the reset");
    const followed = await poll(remindersFollowed(g.guild_id), (k) => k === n, `all ${n} events to be followed (${handledBefore} were before the reset)`);
    expect(followed).toBe(n);
    // Each was planned once: the event log shows one reminder.scheduled per event.
    const log = await poll(
      () => scheduledLog(g.guild_id),
      (m) => m.size === n,
      "a reminder.scheduled per event",
    );
    expect([...log.values()].every((k) => k === 1)).toBe(true);
    expect((await session(first.session_id)).identifies).toBe(1);
  }, 60_000);

  it("stops reading at its bound and resumes after draining, losing nothing", async () => {
    const g = await newGuild();
    const stub = await privateRelay();
    started.push(stub);
    await runInDurableObject(stub as unknown as DurableObjectStub<GatewayRelay>, (relay: GatewayRelay) => {
      relay.bound = { rows: 10, bytes: 1 << 30 };
    });
    await stub.ensure([0, 1]);
    const first = await ready(stub);
    // The READY flood (a GUILD_CREATE per emulated guild) may already go past 10: pauses and RESUMEs on the way.
    await pollRelay(stub, guildJoined(g.guild_id), (v) => v !== null, "the guild's GUILD_CREATE");
    const ids = await scheduleEvents(g, 60, "Bound");
    await pollRelay(stub, remindersFollowed(g.guild_id), (n) => n === ids.length, "all 60 events to be followed");
    const log = await pollRelay(
      stub,
      () => scheduledLog(g.guild_id),
      (m) => m.size === ids.length,
      "a reminder.scheduled per event",
    );
    expect([...log.values()].every((n) => n === 1)).toBe(true);

    const s = await stub.status();
    expect(s.max_backlog).toBeLessThanOrEqual(10);
    const emulated = await session(first.session_id);
    // It paused (closed the socket itself) and RESUMEd the same session: Discord replayed what it held back.
    expect(emulated.closes.filter((c) => c === 4900).length).toBeGreaterThan(0);
    expect(emulated.resumes).toBeGreaterThan(0);
    expect(emulated.identifies).toBe(1);
  }, 90_000);

  it("keeps heartbeating while a long queue drains", async () => {
    const g = await newGuild();
    const relay = await privateRelay();
    started.push(relay);
    await relay.ensure([0, 1]);
    const s = await ready(relay);
    await poll(guildJoined(g.guild_id), (v) => v !== null, "the guild's GUILD_CREATE");
    await poll(
      async () => (await relay.status()).backlog,
      (b) => b.rows === 0 && (b.guilds_pending ?? 0) === 0,
      "the READY flood to drain (its GUILD_CREATEs reconciled too)",
    );
    await pinClockAhead(relay);
    await gatewayControl("drop", { session_id: s.session_id });
    await poll(
      async () => (await relay.status()).connected,
      (c) => !c,
      "the drop to be noticed",
    );
    // 150 events announced while the connection is down: Discord replays them all at once on RESUME, and
    // asks for a heartbeat (op 1) right behind them.
    for (let i = 0; i < 150; i++) await createDispatch(g.guild_id, s.session_id, i);
    await gatewayControl("heartbeat-request", { session_id: s.session_id, after_replay: true });
    const beats = (await session(s.session_id)).heartbeats;
    expect(await runDurableObjectAlarm(relay as unknown as DurableObjectStub<GatewayRelay>)).toBe(true);
    await poll(remindersFollowed(g.guild_id), (n) => n === 150, "every event to be followed");
    const after = await poll(
      () => relay.status(),
      (x) => x.live_since !== null,
      "the RESUMED entry to be handled",
    );
    // The heartbeat went out and its ACK came back before the handlers had worked through the replayed backlog
    // (RESUMED follows the replay, and live_since is when its entry was handled).
    expect((await session(s.session_id)).heartbeats).toBeGreaterThan(beats);
    expect(after.last_heartbeat_at).not.toBeNull();
    expect(after.last_heartbeat_at as number).toBeLessThan(after.live_since as number);
    expect(after.last_ack_at as number).toBeLessThan(after.live_since as number);
    expect(after.max_backlog).toBeGreaterThan(100);
    expect((await session(s.session_id)).closes).toEqual(["dropped"]);
  }, 90_000);
});

describe("a fresh session's start", () => {
  it("is when READY arrived, not when it was handled behind dispatches left in the queue", async () => {
    const relay = await privateRelay();
    started.push(relay);
    // A dispatch an earlier connection left, whose handlers keep failing: the queue waits on it (retried 5 times, 15 s).
    await runInDurableObject(relay as unknown as DurableObjectStub<GatewayRelay>, (_r, state) => {
      const payload = JSON.stringify({ op: 0, t: "GUILD_SCHEDULED_EVENT_UPDATE", s: 1, d: null });
      new Inbox(state.storage.sql).append({ kind: "dispatch", t: "GUILD_SCHEDULED_EVENT_UPDATE", s: 1, payload, guild_id: null }, Date.now());
    });
    await relay.ensure([0, 1]);
    const st = await ready(relay);
    const caught = await until(relay, (s) => s.live_since !== null && s.session_started_at !== null, "the READY entry handled");
    const readyAt = (await session(st.session_id)).identified_at;
    // The premise: READY waited behind the queue (it was handled well after it arrived) …
    expect((caught.live_since as number) - readyAt).toBeGreaterThan(250);
    // … and the session still starts when it arrived, so GUILD_CREATEs that came meanwhile count as newer than it.
    expect((caught.session_started_at as number) - readyAt).toBeLessThan(250);
  }, 60_000);
});

describe("a malformed dispatch", () => {
  it("is dropped with a log line at the relay, instead of holding every later dispatch while its handlers fail", async () => {
    const relay = await privateRelay();
    started.push(relay);
    await relay.ensure([0, 1]);
    const st = await ready(relay);
    const guild = `${(BigInt(Date.now()) - 1420070400000n) << 22n}`;
    await gatewayControl("dispatch", { t: "GUILD_SCHEDULED_EVENT_UPDATE", d: null, session_id: st.session_id });
    const sent = Date.now();
    await createDispatch(guild, st.session_id, 0);
    await poll(remindersFollowed(guild), (n) => n === 1, "the next dispatch to be handled", 30_000);
    // Its handlers failing five times would have held it 15 s.
    expect(Date.now() - sent).toBeLessThan(3_000);
    expect((await relay.status()).backlog.rows).toBe(0);
  }, 40_000);
});
