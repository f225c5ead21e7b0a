import { createExecutionContext, createScheduledController, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { connectUrl, onClose, reconnectDelayMs, shardOf } from "../src/gateway/protocol";
import { RESUME_ATTEMPTS, type RelayState } from "../src/gateway/relay";
import worker from "../src/index";
import { callWorker, emu, newGuild } from "./helpers";
import { gatewayControl, privateRelay, type Relay, ready, session, until } from "./relay-helpers";

const started: Relay[] = [];
async function startRelay(): Promise<Relay> {
  const stub = await privateRelay();
  started.push(stub);
  await stub.ensure([0, 1]);
  return stub;
}
afterEach(async () => {
  for (const stub of started.splice(0)) await stub.stop();
});

async function guildRow(guildId: string) {
  return env.DB.prepare("SELECT guild_id, joined_at, left_at FROM guilds WHERE guild_id = ?")
    .bind(guildId)
    .first<{ joined_at: number | null; left_at: number | null }>();
}

async function untilGuildRow(guildId: string, ok: (r: Awaited<ReturnType<typeof guildRow>>) => boolean) {
  // READY is followed by GUILD_CREATE for every guild in the shared emulator (hundreds, one with 100 events,
  // by the time this runs beside the other files): the guild under test may come late in that stream.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const row = await guildRow(guildId);
    if (ok(row)) return row;
    if (Date.now() > deadline) throw new Error(`guild ${guildId} row never matched: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("gateway protocol decisions", () => {
  it.each([
    [4004, "stop"],
    [4010, "stop"],
    [4011, "stop"],
    [4012, "stop"],
    [4013, "stop"],
    [4014, "stop"],
    [4000, "reconnect"],
    [1006, "reconnect"],
    [4009, "reconnect"],
  ])("close code %i → %s", (code, action) => {
    expect(onClose(code).action).toBe(action);
  });

  it("identifies again (no resume) after an invalid seq or a timed-out session", () => {
    expect(onClose(4007)).toEqual({ action: "reconnect", resume: false });
    expect(onClose(4009)).toEqual({ action: "reconnect", resume: false });
    expect(onClose(4000)).toEqual({ action: "reconnect", resume: true });
  });

  it("reconnects at once, then backs off exponentially up to 5 minutes", () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 10, 30].map((n) => reconnectDelayMs(n, mid))).toEqual([0, 1000, 2000, 4000, 300_000, 300_000]);
  });

  it("turns the gateway's wss URL into one fetch() can upgrade, with version and encoding", () => {
    expect(connectUrl("wss://gateway.discord.gg")).toBe("https://gateway.discord.gg/?v=10&encoding=json");
    expect(connectUrl("ws://127.0.0.1:9/gateway-resume")).toBe("http://127.0.0.1:9/gateway-resume?v=10&encoding=json");
  });

  it("places a guild on its shard as Discord does", () => {
    expect(shardOf("81384788765712384", 1)).toBe(0);
    expect(shardOf("81384788765712384", 16)).toBe(Number((81384788765712384n >> 22n) % 16n));
  });
});

describe("the gateway relay", () => {
  it("identifies with the three intents, gets READY, and forwards GUILD_CREATE to the features' handlers", async () => {
    const g = await newGuild();
    const stub = await startRelay();
    const s = await ready(stub);
    const emulated = await session(s.session_id);
    expect(emulated.intents).toBe(1 | 128 | 65536);
    expect(emulated.identifies).toBe(1);
    // READY is followed by GUILD_CREATE for every guild; the core feature records presence in D1.
    const row = await untilGuildRow(g.guild_id, (r) => r?.joined_at != null);
    expect(row?.left_at).toBeNull();
    // A removal (not an outage) marks the guild as left.
    await gatewayControl("dispatch", { t: "GUILD_DELETE", d: { id: g.guild_id }, guild_id: g.guild_id, session_id: s.session_id });
    await untilGuildRow(g.guild_id, (r) => r?.left_at != null);
  }, 30_000);

  it("heartbeats on its alarm and, when an ACK never comes, drops the zombie connection and RESUMEs", async () => {
    const stub = await startRelay();
    const before = await ready(stub);
    await gatewayControl("acks", { session_id: before.session_id, enabled: false });
    expect(await runDurableObjectAlarm(stub)).toBe(true); // heartbeat sent, no ACK
    expect((await session(before.session_id)).heartbeats).toBe(1);
    expect((await stub.status()).awaiting_ack).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(true); // next beat: the last one was never ACKed
    const after = await until(stub, (s) => s.status === "ready" && s.resumes === 1, "RESUMED");
    expect(after.session_id).toBe(before.session_id);
    const emulated = await session(before.session_id);
    expect(emulated.resumes).toBe(1);
    expect(emulated.identifies).toBe(1);
    expect(emulated.closes).toEqual([4900]);
  });

  it("RESUMEs after a dropped connection and receives what was sent while it was away", async () => {
    const g = await newGuild();
    const stub = await startRelay();
    const before = await ready(stub);
    await untilGuildRow(g.guild_id, (r) => r?.joined_at != null);
    await gatewayControl("drop", { session_id: before.session_id });
    await until(stub, (s) => !s.connected || s.resumes === 1, "the drop to be noticed");
    // Sent while the socket is down: Discord buffers it for the session and replays it on RESUME.
    await gatewayControl("dispatch", { t: "GUILD_DELETE", d: { id: g.guild_id }, guild_id: g.guild_id, session_id: before.session_id });
    const after = await until(stub, (s) => s.status === "ready" && s.resumes === 1, "RESUMED");
    expect(after.session_id).toBe(before.session_id);
    await untilGuildRow(g.guild_id, (r) => r?.left_at != null);
    expect((await session(before.session_id)).identifies).toBe(1);
  }, 30_000);

  it("RESUMEs from stored state after the object is reset (as on a deploy or eviction)", async () => {
    const name = `test-${crypto.randomUUID()}`;
    const old = await privateRelay(name);
    await old.ensure([0, 1]);
    const before = await ready(old);
    // evictDurableObject waits for the object to go idle, which an open socket never does; abort() resets it
    // the way a deploy does: memory and socket gone, storage and alarm kept.
    await runInDurableObject(old, (_relay, state) => state.abort("simulated reset")).catch(() => undefined);
    const stub = env.GATEWAY_RELAY.getByName(name) as unknown as Relay;
    started.push(stub);
    expect((await stub.status()).connected).toBe(false);
    // The next alarm (persisted: the next heartbeat) reconnects with the stored session and seq.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await until(stub, (s) => s.status === "ready" && s.resumes === 1, "RESUMED after the reset");
    expect(after.session_id).toBe(before.session_id);
    expect(after.seq).toBeGreaterThanOrEqual(before.seq ?? 0);
    const emulated = await session(before.session_id);
    expect(emulated.resumes).toBe(1);
    expect(emulated.identifies).toBe(1);
  });

  it("gives up a stored session whose resume URL stays unreachable and identifies afresh", async () => {
    const name = `test-${crypto.randomUUID()}`;
    const old = await privateRelay(name);
    await old.ensure([0, 1]);
    const before = await ready(old);
    await runInDurableObject(old, (_relay, state) => state.abort("simulated reset")).catch(() => undefined);
    const stub = env.GATEWAY_RELAY.getByName(name) as unknown as Relay;
    started.push(stub);
    // The stored resume URL now points at a port nothing listens on (a gateway node that went away).
    await runInDurableObject(stub, async (_relay, state) => {
      const st = await state.storage.get<RelayState>("state");
      if (!st) throw new Error("no stored relay state");
      await state.storage.put("state", { ...st, resume_gateway_url: "ws://127.0.0.1:9/gateway-resume" });
    });
    // Each attempt fails and backs off; the alarms are run at once instead of waiting the backoff out.
    for (let i = 0; i < RESUME_ATTEMPTS + 2; i++) {
      const s = await stub.status();
      if (s.connected) break;
      await runDurableObjectAlarm(stub);
    }
    const after = await until(stub, (s) => s.status === "ready" && s.connected, "READY after giving up the session");
    expect(after.session_id).not.toBe(before.session_id);
    expect(after.identifies).toBeGreaterThanOrEqual(2);
    expect((await session(after.session_id)).identifies).toBe(1);
  }, 30_000);

  it("resumes on RECONNECT and on a resumable INVALID_SESSION, and identifies afresh on a non-resumable one", async () => {
    const stub = await startRelay();
    const first = await ready(stub);
    await gatewayControl("reconnect", { session_id: first.session_id });
    await until(stub, (s) => s.status === "ready" && s.resumes === 1, "RESUMED after RECONNECT");
    await gatewayControl("invalidate", { session_id: first.session_id, resumable: true });
    await until(stub, (s) => s.status === "ready" && s.resumes === 2, "RESUMED after a resumable INVALID_SESSION");
    await gatewayControl("invalidate", { session_id: first.session_id, resumable: false });
    // Discord asks for a 1–5 s wait before identifying again: the alarm is set for then; run it now.
    await until(stub, (s) => s.status === "backoff" && s.session_id === null, "the session to be dropped");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const fresh = await until(stub, (s) => s.status === "ready" && s.identifies === 2, "a fresh IDENTIFY");
    expect(fresh.session_id).not.toBe(first.session_id);
  });

  it("stops for good on close code 4014, raises a CRITICAL event, and the cron does not reconnect it", async () => {
    const stub = await startRelay();
    const s = await ready(stub);
    const connectionsBefore = (await emu<{ counters: { connections: number } }>("/_emulator/gateway")).counters.connections;
    await gatewayControl("close", { session_id: s.session_id, code: 4014, reason: "Disallowed intent(s)." });
    const dead = await until(stub, (x) => x.status === "fatal", "fatal");
    expect(dead.fatal).toMatchObject({ code: 4014, reason: "DisallowedIntents" });
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect((await stub.ensure([0, 1])).status).toBe("fatal");
    // The event leaves from the relay's queue, right after what was queued before it.
    const fatalLogged = async () => {
      const log = await env.DB.prepare("SELECT name, level, data FROM event_log WHERE name = 'gateway.fatal'").all<{ level: string; data: string }>();
      return log.results.some((r) => r.level === "CRITICAL" && JSON.parse(r.data).fatal?.code === 4014);
    };
    for (let i = 0; i < 1000 && !(await fatalLogged()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await fatalLogged()).toBe(true);
    const connectionsAfter = (await emu<{ counters: { connections: number } }>("/_emulator/gateway")).counters.connections;
    expect(connectionsAfter).toBe(connectionsBefore);
  }, 30_000);
});

describe("the relay's keep-alive and /health", () => {
  it("the every-minute cron connects shard 0, and /health reports it", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    const shard0 = env.GATEWAY_RELAY.getByName("shard-0") as unknown as Relay;
    started.push(shard0);
    await ready(shard0);
    const health = (await (await callWorker(new Request("https://bot.test/health"))).json()) as {
      relay: { shard: number[]; state: string; connected: boolean }[];
    };
    expect(health.relay[0]).toMatchObject({ shard: [0, 1], state: "ready", connected: true });
  });
});
