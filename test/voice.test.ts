import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Routes } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { createDiscord } from "../src/discord/rest";
import { registry } from "../src/features";
import { createTempChannel } from "../src/features/voice/create";
import type { EventTimer } from "../src/index";
import { createServices, type Services } from "../src/services";
import type { TimerStub } from "../src/timers/client";
import { useRelay } from "./event-channel-helpers";
import { asAdmin, emu, type Fixture, guildState, type InteractionResult, interact, interactionRecord, newGuild, requestsTo, WAIT_MS } from "./helpers";
import { privateRelay, ready } from "./relay-helpers";

useRelay();

const MIN = 60_000;

function timerOf(guildId: string, channelId: string) {
  return env.EVENT_TIMER.getByName(`vc:${guildId}:${channelId}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;
}

async function configured(): Promise<Fixture> {
  const g = await newGuild();
  const r = await asAdmin(g, "voice-config", "set", { category: g.channels.category });
  expect(await answer(r)).toContain("Saved.");
  return g;
}

/** The reply's text, also when a slow answer (a loaded machine) was deferred and finished as the original message. */
async function answer(r: InteractionResult): Promise<string> {
  return (r.response as { data?: { content?: string } }).data?.content ?? (await interactionRecord(r.id)).original?.content ?? "";
}

async function create(g: Fixture, userId: string, name?: string) {
  const r = await interact({
    kind: "command",
    name: "voice-channel",
    subcommand: "public",
    options: name ? { name } : {},
    guild_id: g.guild_id,
    user_id: userId,
  });
  const content = await answer(r);
  return { content, id: content.match(/<#(\d+)>/)?.[1] ?? null };
}

async function member(g: Fixture, name: string) {
  return (await emu<{ id: string }>("/_emulator/users", { body: { username: name, guild_id: g.guild_id } })).id;
}

const voice = (g: Fixture, userId: string, channelId: string | null, silent = false) =>
  emu(`/_emulator/guilds/${g.guild_id}/voice`, { body: { user_id: userId, channel_id: channelId, silent } });

/** The pending deletion of a temporary channel (null when none), once the relay has handed the change over. */
async function untilDeletion(g: Fixture, channelId: string, ok: (due: number | null) => boolean) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const due = (await timerOf(g.guild_id, channelId).list()).find((i) => i.key === "delete" && i.status === "pending")?.dueAt ?? null;
    if (ok(due)) return due;
    if (Date.now() > deadline) throw new Error(`deletion of ${channelId} never matched; now ${due}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Who the bot believes is in the channel (D1), once the relay has handed the change over. */
async function untilOccupancy(g: Fixture, channelId: string, n: number) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM voice_members WHERE guild_id = ? AND channel_id = ?")
      .bind(g.guild_id, channelId)
      .first<{ n: number }>();
    if (row?.n === n) return;
    if (Date.now() > deadline) throw new Error(`occupancy of ${channelId} never reached ${n}; now ${row?.n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function runAt(g: Fixture, channelId: string, at: number) {
  const t = timerOf(g.guild_id, channelId);
  await runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => at;
  });
  return runDurableObjectAlarm(t);
}

const exists = async (g: Fixture, channelId: string) => (await guildState(g.guild_id)).guilds[0]?.channels.some((c) => c.id === channelId) ?? false;

describe("/voice-channel public", () => {
  it("creates a channel with a codename in the category, unique among live ones, and answers with a link", async () => {
    const g = await configured();
    const a = await create(g, g.member_id);
    const b = await create(g, g.admin_id);
    expect(a.content).toContain(`https://discord.com/channels/${g.guild_id}/${a.id}`);
    const all = ((await guildState(g.guild_id)).guilds[0]?.channels ?? []) as { name: string; type: number; parent_id?: string }[];
    const channels = all.filter((c) => c.parent_id === g.channels.category && c.type === 2);
    const names = channels.map((c) => c.name);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
    for (const n of names) expect(n).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    expect(b.id).not.toBe(a.id);
  });

  it("takes a given name, and refuses a bad one", async () => {
    const g = await configured();
    expect((await create(g, g.member_id, "Movie Night")).id).not.toBeNull();
    expect((await create(g, g.admin_id, "x".repeat(101))).content).toBe("Channel names can be at most 100 characters.");
  });

  it("holds the limits: one per member, and the guild's maximum", async () => {
    const g = await configured();
    const first = await create(g, g.member_id);
    expect((await create(g, g.member_id)).content).toContain(`You already have <#${first.id}>`);
    await interact({ kind: "command", name: "voice-config", subcommand: "set", options: { max_live: 1 }, guild_id: g.guild_id, user_id: g.admin_id });
    expect((await create(g, g.admin_id)).content).toContain("limit is 1");
  });

  it("never makes more than the category has room for, even when members ask at once: the rest are told it is full", async () => {
    const g = await configured();
    const inCategory = async () =>
      ((await guildState(g.guild_id)).guilds[0]?.channels ?? []).filter((c) => (c as { parent_id?: string | null }).parent_id === g.channels.category);
    // Other channels fill the category to 48 of Discord's 50.
    const rest = createDiscord(env);
    for (let i = (await inCategory()).length; i < 48; i++)
      await rest.post(Routes.guildChannels(g.guild_id), { body: { name: `room-${i}`, type: 2, parent_id: g.channels.category } });
    const members = await Promise.all(["m1", "m2", "m3", "m4", "m5"].map((n) => member(g, n)));
    const results = await Promise.all(members.map((m) => create(g, m)));
    const made = results.filter((r) => r.content.startsWith("Created"));
    expect(made).toHaveLength(2);
    for (const r of results.filter((x) => !made.includes(x))) expect(r.content).toContain("is full (Discord allows 50 channels in a category)");
    expect(await inCategory()).toHaveLength(50);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM voice_channels WHERE guild_id = ?").bind(g.guild_id).first();
    const open = await env.DB.prepare("SELECT COUNT(*) AS n FROM voice_intents WHERE guild_id = ? AND channel_id IS NULL").bind(g.guild_id).first();
    expect([rows, open]).toEqual([{ n: 2 }, { n: 0 }]);
  });

  it("holds the guild's maximum when members ask at once", async () => {
    const g = await configured();
    await asAdmin(g, "voice-config", "set", { max_live: 2 });
    const members = await Promise.all(["a1", "a2", "a3", "a4"].map((n) => member(g, n)));
    const results = await Promise.all(members.map((m) => create(g, m)));
    const made = results.filter((r) => r.content.startsWith("Created"));
    expect(made).toHaveLength(2);
    for (const r of results.filter((x) => !made.includes(x))) expect(r.content).toContain("limit is 2");
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM voice_channels WHERE guild_id = ?").bind(g.guild_id).first();
    expect(rows).toEqual({ n: 2 });
  });

  it("takes no place when the step that would give it back cannot be planned (a timer call failing)", async () => {
    const g = await configured();
    const s = createServices(env, () => {}, registry);
    // The guild's timer refuses every call, as a restart or a failing Durable Object would.
    const broken = Object.create(s, {
      timer: { value: () => ({ schedule: () => Promise.reject(new Error("timer down")), cancel: () => Promise.reject(new Error("timer down")) }) },
    }) as Services;
    const want = { guild_id: g.guild_id, kind: "public" as const, name: "Lost Place", parent_id: g.channels.category, owner_id: "u1", match_key: null };
    await expect(createTempChannel(broken, want, { name: "Lost Place", type: 2 }, "test", 5)).rejects.toThrow("timer down");
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM voice_intents WHERE guild_id = ?").bind(g.guild_id).first();
    expect(rows).toEqual({ n: 0 });
  });

  it("asks an admin for a category when none is set", async () => {
    const g = await newGuild();
    expect((await create(g, g.member_id)).content).toContain("`/voice-config set category:`");
  });
});

describe("temporary channel cleanup", () => {
  it("deletes a channel 5 minutes after the last member leaves, with only create and delete calls", async () => {
    const g = await configured();
    const { id } = await create(g, g.member_id);
    const ch = id as string;
    await voice(g, g.member_id, ch);
    await untilOccupancy(g, ch, 1);
    await voice(g, g.member_id, null);
    await untilOccupancy(g, ch, 0);
    const due = (await untilDeletion(g, ch, (d) => d !== null)) as number;
    expect(due - Date.now()).toBeGreaterThan(4 * MIN);
    expect(await runAt(g, ch, due)).toBe(true);
    expect(await exists(g, ch)).toBe(false);
    expect(await env.DB.prepare("SELECT 1 FROM voice_channels WHERE channel_id = ?").bind(ch).first()).toBeNull();
    const calls = [...(await requestsTo(`/guilds/${g.guild_id}/channels`)), ...(await requestsTo(`/channels/${ch}`))].filter((r) => r.method !== "GET");
    expect(calls.map((c) => c.method).sort()).toEqual(["DELETE", "POST"]);
  });

  it("keeps a channel someone joins again before the time is up", async () => {
    const g = await configured();
    const ch = (await create(g, g.member_id)).id as string;
    await voice(g, g.member_id, ch);
    await untilOccupancy(g, ch, 1);
    await voice(g, g.member_id, null);
    await untilOccupancy(g, ch, 0);
    const due = (await untilDeletion(g, ch, (d) => d !== null)) as number;
    await voice(g, g.admin_id, ch);
    await untilOccupancy(g, ch, 1);
    await runAt(g, ch, due);
    expect(await exists(g, ch)).toBe(true);
  });

  it("deletes a channel nobody ever joined", async () => {
    const g = await configured();
    const ch = (await create(g, g.member_id)).id as string;
    const due = (await untilDeletion(g, ch, (d) => d !== null)) as number;
    await runAt(g, ch, due);
    expect(await exists(g, ch)).toBe(false);
  });

  it("follows a member who moves from one temporary channel to another", async () => {
    const g = await configured();
    const other = await member(g, "carol");
    const a = (await create(g, g.member_id)).id as string;
    const b = (await create(g, other)).id as string;
    await voice(g, g.member_id, a);
    await untilOccupancy(g, a, 1);
    await voice(g, g.member_id, b);
    await untilOccupancy(g, b, 1);
    await untilOccupancy(g, a, 0);
    const dueA = (await untilDeletion(g, a, (d) => d !== null)) as number;
    await runAt(g, a, dueA);
    expect(await exists(g, a)).toBe(false);
    expect(await exists(g, b)).toBe(true);
  });

  it("rebuilds occupancy when the relay connects afresh, so a channel with people in it is kept", async () => {
    const g = await configured();
    const ch = (await create(g, g.member_id)).id as string;
    const due = (await untilDeletion(g, ch, (d) => d !== null)) as number;
    // The join happens while the bot hears nothing; a fresh connection then lists the voice states.
    await voice(g, g.member_id, ch, true);
    const fresh = await privateRelay();
    await fresh.ensure([0, 1]);
    await ready(fresh);
    await untilOccupancy(g, ch, 1);
    await fresh.stop();
    await runAt(g, ch, due);
    expect(await exists(g, ch)).toBe(true);
  });

  it("forgets a channel deleted by hand", async () => {
    const g = await configured();
    const ch = (await create(g, g.member_id)).id as string;
    await untilDeletion(g, ch, (d) => d !== null);
    await emu(`/_emulator/channels/${ch}`, { method: "DELETE" });
    await untilDeletion(g, ch, (d) => d === null);
    expect(await env.DB.prepare("SELECT 1 FROM voice_channels WHERE channel_id = ?").bind(ch).first()).toBeNull();
  });
});
