import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventRecord } from "../src/features/event-channels/storage";
import type { EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { emu, type Fixture, guildState, interact, newGuild } from "./helpers";
import { privateRelay, type Relay, ready } from "./relay-helpers";

let relay: Relay;
beforeAll(async () => {
  relay = await privateRelay();
  await relay.ensure([0, 1]);
  await ready(relay);
});
afterAll(async () => {
  await relay.stop();
});

const HOUR = 3_600_000;
const MIN = 60_000;

async function setUp(g: Fixture, extra: Record<string, string | number> = {}) {
  const r = await interact({
    kind: "command",
    name: "eventchannels",
    subcommand: "category",
    options: { category: g.channels.category },
    guild_id: g.guild_id,
    user_id: g.admin_id,
  });
  expect(r.valid).toBe(true);
  for (const [setting, value] of Object.entries(extra)) {
    await interact({
      kind: "command",
      name: "eventchannels",
      subcommand: "set",
      options: { setting, value: String(value) },
      guild_id: g.guild_id,
      user_id: g.admin_id,
    });
  }
}

async function scheduleEvent(g: Fixture, name: string, startAt: number, endAt: number | null = startAt + HOUR) {
  return emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
    body: { name, scheduled_start_time: new Date(startAt).toISOString(), ...(endAt ? { scheduled_end_time: new Date(endAt).toISOString() } : {}) },
  });
}

function timerOf(guildId: string, eventId: string) {
  return env.EVENT_TIMER.getByName(`ec:${guildId}:${eventId}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;
}

/** Waits for the relay to hand the dispatch over: the event's timer then holds `key`. */
async function untilPlanned(guildId: string, eventId: string, key: string) {
  const t = timerOf(guildId, eventId);
  const deadline = Date.now() + 5000;
  for (;;) {
    const items = await t.list();
    const item = items.find((i) => i.key === key && i.status === "pending");
    if (item) return item;
    if (Date.now() > deadline) throw new Error(`no pending ${key} on ec:${guildId}:${eventId}; agenda ${JSON.stringify(items)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs the event's alarm as if the clock read `at`. */
async function runAt(guildId: string, eventId: string, at: number) {
  const t = timerOf(guildId, eventId);
  await runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => at;
  });
  return runDurableObjectAlarm(t);
}

async function record(guildId: string, eventId: string) {
  return env.DB.prepare("SELECT * FROM event_channel_events WHERE guild_id = ? AND event_id = ?")
    .bind(guildId, eventId)
    .first<EventRecord & { voice_ids: string }>();
}

async function eventLog(guildId: string, name: string) {
  const rows = await env.DB.prepare("SELECT data FROM event_log WHERE guild_id = ? AND name = ?").bind(guildId, name).all<{ data: string }>();
  return rows.results.map((r) => JSON.parse(r.data));
}

const channelsIn = (state: Awaited<ReturnType<typeof guildState>>, parentId: string) =>
  (state.guilds[0]?.channels ?? []).filter((c) => (c as { parent_id?: string }).parent_id === parentId) as {
    id: string;
    name: string;
    type: number;
    user_limit?: number;
    permission_overwrites: { id: string; allow: string; deny: string }[];
  }[];

describe("event channels: the whole timeline of a plain event", () => {
  it("creates the role, text and voice channel and divider before the start, posts the messages, and removes it all after", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Raid Night", start);
    const fans = await emu<{ user_ids: string[] }>(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: 3 } });
    const create = await untilPlanned(g.guild_id, ev.id, "create");
    expect(create.dueAt).toBe(start - 15 * MIN);
    const before = (await emu<{ seq: number }>("/_emulator/counters")).seq;

    expect(await runAt(g.guild_id, ev.id, start - 15 * MIN)).toBe(true);
    let state = await guildState(g.guild_id);
    const made = channelsIn(state, g.channels.category);
    const role = state.guilds[0]?.roles.find((r) => r.name.startsWith("Raid Night "));
    expect(role).toBeDefined();
    expect(made.map((c) => [c.name, c.type]).sort()).toEqual(
      [
        ["raid᲼night᲼text", 0],
        ["raid᲼night᲼voice", 2],
        ["━━━━━━ EVENT CHANNELS ━━━━━━", 0],
      ].sort(),
    );
    const text = made.find((c) => c.type === 0 && c.name.endsWith("text")) as (typeof made)[number];
    const everyone = text.permission_overwrites.find((o) => o.id === g.guild_id);
    expect(BigInt(everyone?.deny ?? 0) & 1024n).toBe(1024n);
    expect(text.permission_overwrites.some((o) => o.id === role?.id && (BigInt(o.allow) & 1024n) === 1024n)).toBe(true);
    const members = state.guilds[0]?.members ?? [];
    for (const id of fans.user_ids) expect(members.find((m) => m.user_id === id)?.roles).toContain(role?.id);
    expect(state.messages[text.id]?.[0]?.content).toBe(`<@&${role?.id}> The event is starting soon!`);
    expect((await record(g.guild_id, ev.id))?.state).toBe("live");

    expect(await runAt(g.guild_id, ev.id, start)).toBe(true);
    state = await guildState(g.guild_id);
    expect(state.messages[text.id]?.at(-1)?.content).toBe(`<@&${role?.id}> The event is starting now!`);

    const deleteAt = start + HOUR + 4 * HOUR;
    expect(await runAt(g.guild_id, ev.id, deleteAt - 15 * MIN)).toBe(true);
    state = await guildState(g.guild_id);
    const warning = state.messages[text.id]?.at(-1) as unknown as { content: string; components: { components: { custom_id: string }[] }[] };
    expect(warning.content).toContain("deleted in 15 minutes");
    expect(warning.components[0]?.components[0]?.custom_id).toBe(`ec:extend:${ev.id}`);

    expect(await runAt(g.guild_id, ev.id, deleteAt)).toBe(true);
    state = await guildState(g.guild_id);
    expect(channelsIn(state, g.channels.category)).toEqual([]);
    expect(state.guilds[0]?.roles.some((r) => r.id === role?.id)).toBe(false);
    expect((await record(g.guild_id, ev.id))?.state).toBe("done");
    expect(await eventLog(g.guild_id, "event_channels.deleted")).toHaveLength(1);

    // The REST calls of the whole lifecycle, for the note: reads, creates, role grants, messages, deletions.
    const calls = await emu<{ method: string; route: string | null }[]>(`/_emulator/requests?since=${before}&path_contains=${g.guild_id}`);
    const channelCalls = await emu<{ method: string; route: string | null; path: string }[]>(`/_emulator/requests?since=${before}&path_contains=/channels/`);
    const ours = new Set([text.id, ...made.map((c) => c.id)]);
    const all = [...calls, ...channelCalls.filter((c) => [...ours].some((id) => c.path.includes(id)))];
    console.log(`[lifecycle REST calls] ${all.length}: ${all.map((c) => c.route).join(", ")}`);
    expect(all.filter((c) => c.method === "GET" && c.route?.includes("/channels/:channel") && !c.route.includes("messages"))).toEqual([]);
  });
});

describe("event channels: voice multipliers and minimum attendance", () => {
  it("makes 4 voice channels of 6 for 23 interested with multiplier 5", async () => {
    const g = await newGuild();
    await setUp(g);
    await interact({
      kind: "command",
      name: "eventchannels",
      subcommand: "voice-multiplier",
      options: { keyword: "raid", per_channel: 5 },
      guild_id: g.guild_id,
      user_id: g.admin_id,
    });
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Big Raid", start);
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: 23 } });
    await untilPlanned(g.guild_id, ev.id, "create");
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    const voice = channelsIn(await guildState(g.guild_id), g.channels.category).filter((c) => c.type === 2);
    expect(voice.map((c) => [c.name, c.user_limit]).sort()).toEqual([1, 2, 3, 4].map((i) => [`big᲼raid᲼voice ${i}`, 6]));
  });

  it("retries at T−10/T−5 when the minimum is not met, and creates once it is", async () => {
    const g = await newGuild();
    await setUp(g);
    await interact({
      kind: "command",
      name: "eventchannels",
      subcommand: "voice-minimum",
      options: { keyword: "raid", minimum: 5 },
      guild_id: g.guild_id,
      user_id: g.admin_id,
    });
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: 2 } });
    await untilPlanned(g.guild_id, ev.id, "create");
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    expect((await record(g.guild_id, ev.id))?.state).toBe("retrying");
    expect((await timerOf(g.guild_id, ev.id).list()).find((i) => i.key === "create")?.dueAt).toBe(start - 10 * MIN);
    await runAt(g.guild_id, ev.id, start - 10 * MIN);
    expect((await timerOf(g.guild_id, ev.id).list()).find((i) => i.key === "create")?.dueAt).toBe(start - 5 * MIN);
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: 3 } });
    await runAt(g.guild_id, ev.id, start - 5 * MIN);
    expect((await record(g.guild_id, ev.id))?.state).toBe("live");
    expect(channelsIn(await guildState(g.guild_id), g.channels.category).filter((c) => c.type === 2)).toHaveLength(1);
    expect(await eventLog(g.guild_id, "event_channels.retry_scheduled")).toHaveLength(2);
  });

  it("skips the event with an event carrying the counts when the minimum is never met", async () => {
    const g = await newGuild();
    await setUp(g);
    await interact({
      kind: "command",
      name: "eventchannels",
      subcommand: "voice-minimum",
      options: { keyword: "raid", minimum: 5 },
      guild_id: g.guild_id,
      user_id: g.admin_id,
    });
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilPlanned(g.guild_id, ev.id, "create");
    for (const at of [15, 10, 5, 2]) await runAt(g.guild_id, ev.id, start - at * MIN);
    expect((await record(g.guild_id, ev.id))?.state).toBe("skipped");
    expect(channelsIn(await guildState(g.guild_id), g.channels.category)).toEqual([]);
    expect(await eventLog(g.guild_id, "event_channels.skipped")).toEqual([expect.objectContaining({ interested: 0, minimum: 5, keyword: "raid" })]);
  });
});
