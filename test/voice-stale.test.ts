import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventTimer, GatewayRelay } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { asAdmin, emu, type Fixture, guildState, interact, interactionRecord, newGuild } from "./helpers";
import { gatewayControl, privateRelay, type Relay, ready, until } from "./relay-helpers";

const MIN = 60_000;

let relay: Relay;
beforeAll(async () => {
  relay = await privateRelay();
  await relay.ensure([0, 1]);
  await ready(relay);
});
afterAll(async () => {
  await relay.stop();
});

type Timer = TimerStub & DurableObjectStub<EventTimer>;
const timer = (name: string) => env.EVENT_TIMER.getByName(name) as unknown as Timer;

async function configured(): Promise<Fixture> {
  const g = await newGuild();
  await asAdmin(g, "voice-config", "set", { category: g.channels.category });
  return g;
}

async function create(g: Fixture, userId: string, name: string): Promise<string> {
  const r = await interact({ kind: "command", name: "voice-channel", subcommand: "public", options: { name }, guild_id: g.guild_id, user_id: userId });
  // A slow answer (a loaded machine) is deferred and finished as the original message.
  const content = (r.response as { data?: { content?: string } }).data?.content ?? (await interactionRecord(r.id)).original?.content ?? "";
  const id = content.match(/<#(\d+)>/)?.[1];
  if (!id) throw new Error(`no channel in ${JSON.stringify(r.response)} ${content}`);
  return id;
}

/** Waits for the relay to be back and caught up (a loaded machine's backlog can take a while). */
const caughtUp = (r: Relay) =>
  until(r, (x) => x.status === "ready" && x.connected && x.live_since !== null, "RESUMED and caught up").catch(() =>
    until(r, (x) => x.status === "ready" && x.connected && x.live_since !== null, "RESUMED and caught up (again)"),
  );

const voice = (g: Fixture, userId: string, channelId: string | null) =>
  emu(`/_emulator/guilds/${g.guild_id}/voice`, { body: { user_id: userId, channel_id: channelId } });

async function occupancy(g: Fixture, channelId: string): Promise<number> {
  return (
    (await env.DB.prepare("SELECT COUNT(*) AS n FROM voice_members WHERE guild_id = ? AND channel_id = ?").bind(g.guild_id, channelId).first<{ n: number }>())
      ?.n ?? 0
  );
}

async function untilTrue(ok: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The pending check of a channel (null when none). */
async function pendingDelete(g: Fixture, channelId: string): Promise<number | null> {
  return (await timer(`vc:${g.guild_id}:${channelId}`).list()).find((i) => i.key === "delete" && i.status === "pending")?.dueAt ?? null;
}

/** Runs a timer's alarm as if its clock read `at`. */
async function runAt(name: string, at: number): Promise<boolean> {
  const t = timer(name);
  await runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => at;
  });
  return runDurableObjectAlarm(t);
}

const channelsNamed = async (g: Fixture, name: string) =>
  ((await guildState(g.guild_id)).guilds[0]?.channels ?? []).filter((c) => c.name === name && c.type === 2).map((c) => c.id);

describe("temporary voice deletion after the relay was away", () => {
  it("does not delete a channel someone joined while the relay was down; deletes it once it is truly empty", async () => {
    const g = await configured();
    const ch = await create(g, g.member_id, "Late Night");
    const due = (await pendingDelete(g, ch)) as number;
    expect(due).toBeGreaterThan(Date.now() + 4 * MIN);

    // The connection drops and stays down (the relay's clock runs ahead, so its reconnect waits for us).
    const s = await relay.status();
    await runInDurableObject(relay as unknown as DurableObjectStub<GatewayRelay>, (r: GatewayRelay) => {
      r.clock = () => Date.now() + 600_000;
    });
    await gatewayControl("drop", { session_id: s.session_id });
    await until(relay, (x) => !x.connected, "the drop");
    // A member joins meanwhile: Discord keeps the VOICE_STATE_UPDATE for the session; the bot hears nothing yet.
    await voice(g, g.member_id, ch);
    expect(await occupancy(g, ch)).toBe(0);

    // The deletion comes due while D1 still says "empty": the bot does not trust that, and waits.
    await runAt(`vc:${g.guild_id}:${ch}`, due);
    expect(await channelsNamed(g, "Late Night")).toEqual([ch]);
    const retry = (await pendingDelete(g, ch)) as number;
    expect(retry).toBeGreaterThan(due);

    // The relay comes back (RESUME replays the join): occupancy is 1, and the next check keeps the channel.
    await runInDurableObject(relay as unknown as DurableObjectStub<GatewayRelay>, (r: GatewayRelay) => {
      r.clock = () => Date.now();
    });
    expect(await runDurableObjectAlarm(relay as unknown as DurableObjectStub<GatewayRelay>)).toBe(true);
    await caughtUp(relay);
    await untilTrue(async () => (await occupancy(g, ch)) === 1, "the replayed join");
    await runAt(`vc:${g.guild_id}:${ch}`, (await pendingDelete(g, ch)) as number);
    expect(await channelsNamed(g, "Late Night")).toEqual([ch]);

    // Truly empty now: the check after the empty time deletes it.
    await voice(g, g.member_id, null);
    await untilTrue(async () => (await occupancy(g, ch)) === 0, "the leave");
    const last = (await pendingDelete(g, ch)) as number;
    await runAt(`vc:${g.guild_id}:${ch}`, last);
    expect(await channelsNamed(g, "Late Night")).toEqual([]);
    expect(await env.DB.prepare("SELECT 1 FROM voice_channels WHERE channel_id = ?").bind(ch).first()).toBeNull();
  }, 30_000);

  it("does not trust occupancy from before an eviction of the relay (its socket is gone until the next alarm)", async () => {
    const g = await configured();
    const ch = await create(g, g.member_id, "Evicted");
    const due = (await pendingDelete(g, ch)) as number;
    const name = (await relay.status()).name as string;
    await runInDurableObject(relay as unknown as DurableObjectStub<GatewayRelay>, (_r, state) => state.abort("simulated deploy")).catch(() => undefined);
    relay = env.GATEWAY_RELAY.getByName(name) as unknown as Relay;
    await runAt(`vc:${g.guild_id}:${ch}`, due);
    expect(await channelsNamed(g, "Evicted")).toEqual([ch]);
    // Back and caught up: the channel, still empty, goes at its next check.
    expect(await runDurableObjectAlarm(relay as unknown as DurableObjectStub<GatewayRelay>)).toBe(true);
    await caughtUp(relay);
    await runAt(`vc:${g.guild_id}:${ch}`, (await pendingDelete(g, ch)) as number);
    expect(await channelsNamed(g, "Evicted")).toEqual([]);
  }, 30_000);
});

describe("temporary voice channels are tracked from their creation", () => {
  it("adopts a channel whose create answer was lost (never re-sent blindly), so it is not left behind", async () => {
    const g = await configured();
    // Discord makes the channel but the answer is a 502; a create is never retried by the REST client.
    await emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/channels`, method: "POST", status: 502, effect: true, times: 1 } });
    await interact({
      kind: "command",
      name: "voice-channel",
      subcommand: "public",
      options: { name: "Lost Answer" },
      guild_id: g.guild_id,
      user_id: g.member_id,
    });
    const made = await channelsNamed(g, "Lost Answer");
    expect(made).toHaveLength(1);

    // The intent's reconciliation (2 minutes after it) finds it: the bot's mark, name, category, time.
    const vg = timer(`vg:${g.guild_id}`);
    const item = (await vg.list()).find((i) => i.kind === "voice.reconcile" && i.status === "pending");
    expect(item).toBeDefined();
    await runAt(`vg:${g.guild_id}`, (item as { dueAt: number }).dueAt);
    const tracked = await env.DB.prepare("SELECT channel_id FROM voice_channels WHERE guild_id = ? ORDER BY channel_id")
      .bind(g.guild_id)
      .all<{ channel_id: string }>();
    expect(tracked.results.map((r) => r.channel_id)).toEqual(made);

    // And it is removed once empty.
    await runAt(`vc:${g.guild_id}:${made[0]}`, (await pendingDelete(g, made[0] as string)) as number);
    expect(await channelsNamed(g, "Lost Answer")).toEqual([]);
  }, 30_000);

  it("never adopts a channel it did not make, even with the same name, category and minute", async () => {
    const g = await configured();
    // Every create fails (the bot's request never lands), and an admin makes a channel of that name by hand.
    await emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/channels`, method: "POST", status: 500, times: 3 } });
    const r = await interact({
      kind: "command",
      name: "voice-channel",
      subcommand: "public",
      options: { name: "Hand Made" },
      guild_id: g.guild_id,
      user_id: g.member_id,
    });
    expect(JSON.stringify(r.response)).not.toContain("Created");
    const [byHand] = await emu<{ id: string }[]>(`/_emulator/guilds/${g.guild_id}/channels`, {
      body: { name: "Hand Made", type: 2, parent_id: g.channels.category },
    });
    const item = (await timer(`vg:${g.guild_id}`).list()).find((i) => i.kind === "voice.reconcile" && i.status === "pending");
    await runAt(`vg:${g.guild_id}`, (item as { dueAt: number }).dueAt);
    expect(await env.DB.prepare("SELECT 1 FROM voice_channels WHERE guild_id = ?").bind(g.guild_id).first()).toBeNull();
    expect(await channelsNamed(g, "Hand Made")).toEqual([byHand?.id]);
    expect(await env.DB.prepare("SELECT 1 FROM voice_intents WHERE guild_id = ?").bind(g.guild_id).first()).toBeNull();
  }, 30_000);

  it("a member who asks again after a lost answer gets the channel the first request made, not a second one", async () => {
    const g = await configured();
    // A codename: the retry would pick another name, so only the intent's mark can tell the first one apart.
    await emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/channels`, method: "POST", status: 502, effect: true, times: 1 } });
    const ask = () => interact({ kind: "command", name: "voice-channel", subcommand: "public", guild_id: g.guild_id, user_id: g.member_id });
    const first = await ask();
    expect(JSON.stringify(first.response)).not.toContain("Created");
    const voiceChannels = async () =>
      ((await guildState(g.guild_id)).guilds[0]?.channels ?? []).filter((c) => c.type === 2 && c.id !== g.channels.voice).map((c) => c.id);
    const made = await voiceChannels();
    expect(made).toHaveLength(1);

    const again = await ask();
    const content = (again.response as { data?: { content?: string } }).data?.content ?? (await interactionRecord(again.id)).original?.content ?? "";
    expect(content).toContain(`Created <#${made[0]}>`);
    expect(await voiceChannels()).toEqual(made);
    const tracked = await env.DB.prepare("SELECT channel_id, owner_id FROM voice_channels WHERE guild_id = ?").bind(g.guild_id).all();
    expect(tracked.results).toEqual([{ channel_id: made[0], owner_id: g.member_id }]);
    expect(await pendingDelete(g, made[0] as string)).not.toBeNull();
    // The intent's reconciliation later finds nothing more to adopt.
    const item = (await timer(`vg:${g.guild_id}`).list()).find((i) => i.kind === "voice.reconcile" && i.status === "pending");
    await runAt(`vg:${g.guild_id}`, (item as { dueAt: number }).dueAt);
    expect(await voiceChannels()).toEqual(made);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM voice_channels WHERE guild_id = ?").bind(g.guild_id).first<{ n: number }>())?.n).toBe(1);
  }, 30_000);

  it("plans the deletion check of a channel whose invocation ended between tracking it and planning its check", async () => {
    const g = await configured();
    const ch = await create(g, g.member_id, "Cut Short");
    // As that invocation left it: the channel tracked, no check pending.
    await timer(`vc:${g.guild_id}:${ch}`).cancel("delete");
    expect(await pendingDelete(g, ch)).toBeNull();
    const item = (await timer(`vg:${g.guild_id}`).list()).find((i) => i.kind === "voice.reconcile" && i.status === "pending");
    await runAt(`vg:${g.guild_id}`, (item as { dueAt: number }).dueAt);
    const due = await pendingDelete(g, ch);
    expect(due).not.toBeNull();
    await runAt(`vc:${g.guild_id}:${ch}`, due as number);
    expect(await channelsNamed(g, "Cut Short")).toEqual([]);
  }, 30_000);
});
