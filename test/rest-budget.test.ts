import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUCKET_MS } from "../src/discord/budget";
import { rateGate } from "../src/discord/rate-gate";
import { registry } from "../src/features";
import type { EventTimer } from "../src/index";
import { createServices } from "../src/services";
import type { TimerStub } from "../src/timers/client";
import { bookSolid } from "./budget-helpers";
import { HOUR, scheduleEvent, useRelay } from "./event-channel-helpers";
import { asAdmin, emu, type Fixture, guildState, interact, newGuild, WAIT_MS } from "./helpers";
import { dms, subscribeDirect, timerOf, untilItem } from "./reminder-helpers";

// The budget is one object for the whole test runtime: the tests that fill it live in this one file, so they run
// one after another and never hold up each other's calls.
useRelay();

describe("the REST budget in a reminder fan-out", () => {
  it("re-arms the fan-out at the gate's time when the budget is full, then sends each DM once", async () => {
    const g = await newGuild();
    const members = [g.member_id];
    for (const name of ["ann", "ben"]) members.push((await emu<{ id: string }>("/_emulator/users", { body: { username: name, guild_id: g.guild_id } })).id);
    for (const m of members) await subscribeDirect(g, m, ["all"], [3600]);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    const t = timerOf(g.guild_id, ev.id);
    await runInDurableObject(t, (instance: EventTimer) => {
      instance.clock = () => start - HOUR;
    });
    // Time-critical work of other guilds books the whole budget for the next 10 s.
    const gate = rateGate(env.RATE_GATE);
    await bookSolid(gate, 10_000);
    const asked = Date.now();
    await runDurableObjectAlarm(t);
    // It did not sit in the alarm for the budget: nothing sent, the item waits for the gate's time, no attempt counted.
    expect(Date.now() - asked).toBeLessThan(5_000);
    for (const m of members) expect(await dms(g, m)).toHaveLength(0);
    const item = (await t.list()).find((i) => i.key === "dm:3600");
    expect(item?.status).toBe("pending");
    expect(item?.attempts).toBe(0);
    expect(item?.dueAt).toBeGreaterThan(asked + 5_000);
    const rows = await env.DB.prepare("SELECT status FROM reminder_deliveries WHERE guild_id = ? AND event_id = ?").bind(g.guild_id, ev.id).all();
    expect(rows.results.map((r) => r.status)).toEqual(["claimed", "claimed", "claimed"]);
    // When the gate has room, the same chunk goes out, once per member.
    await runDueUntil(t, async () => (await Promise.all(members.map((m) => dms(g, m)))).every((d) => d.length > 0));
    for (const m of members) expect(await dms(g, m)).toHaveLength(1);
    expect((await gate.status()).bulk.booked).toBeLessThanOrEqual(3);
  });
});

/**
 * Waits for the timer's pending item to fall due and runs its alarm, until `done`. On a loaded machine the gate can
 * still be a little behind at the planned time; the item then waits again, and must do so without an attempt counted.
 */
const runDueUntil = async (t: TimerStub & DurableObjectStub<EventTimer>, done: () => Promise<boolean>) => {
  const deadline = Date.now() + 20_000;
  while (!(await done()) && Date.now() < deadline) {
    const next = (await t.list()).find((i) => i.status === "pending");
    if (!next) return;
    expect(next.attempts).toBe(0);
    await new Promise((r) => setTimeout(r, Math.max(0, next.dueAt - Date.now())));
    await runDurableObjectAlarm(t);
  }
};

type Logged = { at: number; method: string; path: string; status: number };
const requests = async (contains: string, since = 0) =>
  (await emu<Logged[]>(`/_emulator/requests?path_contains=${encodeURIComponent(contains)}`)).filter((r) => r.at >= since);
const timer = (name: string) => env.EVENT_TIMER.getByName(name) as unknown as TimerStub & DurableObjectStub<EventTimer>;

/**
 * Other guilds' time-critical work books every slot of the next `ms` (5 a bucket of 100 ms); returns when those
 * slots end. The gate is the one every isolate asks, so whatever the bot calls next waits behind them.
 */
async function fillBudget(ms: number): Promise<number> {
  return (await bookSolid(rateGate(env.RATE_GATE), ms)) + BUCKET_MS;
}

const posts = async (g: Fixture) => ((await guildState(g.guild_id)).messages[g.channels.text] ?? []) as unknown as { content: string }[];

describe("every Discord call outside an interaction response takes a slot of the REST budget", () => {
  it("a scheduled message (critical lane) waits for its slot behind a full budget, then posts once", async () => {
    const g = await newGuild();
    const t = timer(`send:${g.guild_id}`);
    const content = `Budgeted ${crypto.randomUUID()}`;
    await t.schedule("m", Date.now(), "core.send_message", { guild_id: g.guild_id, channel_id: g.channels.text, message: { content } }, `send:${g.guild_id}`);
    const freeAt = await fillBudget(2_000);
    await runDurableObjectAlarm(t);
    const post = (await requests(`/channels/${g.channels.text}/messages`)).filter((r) => r.method === "POST");
    expect(post).toHaveLength(1);
    // Not before the slots other guilds had booked were spent (a bucket's width of clock skew allowed).
    expect(post[0]?.at).toBeGreaterThanOrEqual(freeAt - 200);
    expect((await posts(g)).filter((m) => m.content === content)).toHaveLength(1);
  });

  it("an audit post (background lane) is not made while the budget is full: the flush waits for the gate's time, then posts", async () => {
    const g = await newGuild();
    await asAdmin(g, "bot-config", "audit-channel", { channel: g.channels.text });
    const background: Promise<unknown>[] = [];
    const s = createServices(env, (p) => background.push(p), registry);
    await s.bus.emit("bot.config_changed", { setting: "budgeted", value: 1 }, { guildId: g.guild_id, userId: g.admin_id });
    await Promise.all(background);
    const t = timer(`audit:${g.guild_id}`);
    const deadline = Date.now() + WAIT_MS;
    while (!(await t.list()).some((i) => i.status === "pending")) {
      if (Date.now() > deadline) throw new Error("no flush planned");
      await new Promise((r) => setTimeout(r, 10));
    }
    await runInDurableObject(t, (instance: EventTimer) => {
      instance.clock = () => Date.now() + 60_000;
    });
    const before = (await posts(g)).length;
    const freeAt = await fillBudget(5_000);
    await runDurableObjectAlarm(t);
    // Nothing posted, the item waits (no attempt counted) until about when the gate has room again.
    expect((await posts(g)).length).toBe(before);
    const item = (await t.list()).find((i) => i.status === "pending");
    expect(item?.attempts).toBe(0);
    expect(item?.dueAt).toBeGreaterThan(Date.now() + 2_000);
    expect(item?.dueAt).toBeLessThanOrEqual(freeAt + 1_000);
    await runInDurableObject(t, (instance: EventTimer) => {
      instance.clock = () => Date.now();
    });
    const audited = async () =>
      ((await posts(g)).slice(before) as unknown as { embeds: { description?: string }[] }[]).filter((m) =>
        m.embeds[0]?.description?.includes("setting=budgeted"),
      );
    await runDueUntil(t, async () => (await audited()).length > 0);
    expect(await audited()).toHaveLength(1);
  }, 60_000);

  it("an interaction's own calls and its deferred reply (interactive lane) wait for their slots", async () => {
    const g = await newGuild();
    const freeAt = await fillBudget(2_000);
    const r = await interact({ kind: "command", name: "bot-config", subcommand: "check", guild_id: g.guild_id, user_id: g.admin_id });
    expect(r.status).toBe(200);
    const reads = (await requests(`/guilds/${g.guild_id}`)).filter((x) => x.method === "GET");
    const reply = (await requests("/webhooks/")).filter((x) => x.method === "PATCH" && x.path.includes(r.token));
    expect(reads.length).toBeGreaterThan(0);
    expect(reply).toHaveLength(1);
    for (const call of [...reads, ...reply]) expect(call.at).toBeGreaterThanOrEqual(freeAt - 200);
  }, 30_000);
});

describe("every call of a reminder fan-out is bulk work of the REST budget", () => {
  it("the fan-out's read of the event's channel (is it public?) waits for its slot like the DMs do", async () => {
    const g = await newGuild();
    await subscribeDirect(g, g.member_id, ["all"], [3600]);
    const [room] = await emu<{ id: string }[]>(`/_emulator/guilds/${g.guild_id}/channels`, { body: { name: "stage", type: 2 } });
    const start = Date.now() + 3 * HOUR;
    const ev = await emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
      body: { name: "Voice night", scheduled_start_time: new Date(start).toISOString(), entity_type: 2, channel_id: room?.id },
    });
    await untilItem(g.guild_id, ev.id, "dm:3600");
    const t = timerOf(g.guild_id, ev.id);
    await runInDurableObject(t, (instance: EventTimer) => {
      instance.clock = () => start - HOUR;
    });
    const freeAt = await fillBudget(2_000);
    await runDurableObjectAlarm(t);
    const reads = (await requests(`/channels/${room?.id}`)).filter((r) => r.method === "GET");
    // Before the fix the read went out at once, past every slot other guilds had booked.
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(r.at).toBeGreaterThanOrEqual(freeAt - 200);
  }, 30_000);
});
