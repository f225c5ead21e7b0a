import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CHUNK, uncachedRunChunks } from "../src/features/reminders/fanout-send";
import type { EventTimer } from "../src/index";
import { HOUR, MIN, scheduleEvent, useRelay } from "./event-channel-helpers";
import { emu, type Fixture, guildState, requestsTo } from "./helpers";
import { runAt, subscribeDirect, timerOf, untilItem } from "./reminder-helpers";

useRelay();

/** One alarm invocation's worth of subscribers (none of whom the bot has DMed before) and 5 more: its run ends with 5 left for the next. */
const RUN = CHUNK * uncachedRunChunks();
const guildWithARunAndFive = () => subscribedGuild(RUN + 5);

/** A guild whose `count` members (none DMed by the bot before) subscribed to every event's 1 h reminder. */
async function subscribedGuild(count: number) {
  const g = await emu<Fixture>("/_emulator/guilds", { body: {} });
  const users: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = (await emu<{ id: string }>("/_emulator/users", { body: { username: `fan${i}`, guild_id: g.guild_id } })).id;
    await subscribeDirect(g, id, ["all"], [3600]);
    users.push(id);
  }
  return { g, users };
}

/** One alarm invocation of the event's timer as if the clock read `at`: the fan-out's first run only. */
async function oneAlarmAt(guildId: string, eventId: string, at: number) {
  const t = timerOf(guildId, eventId);
  await runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => at;
  });
  await runDurableObjectAlarm(t);
}

async function received(g: Fixture, users: readonly string[]) {
  const state = (await guildState(g.guild_id)) as unknown as { dm_channels: Record<string, string>; messages: Record<string, unknown[]> };
  const counts = users.map((u) => state.messages[state.dm_channels[u] ?? ""]?.length ?? 0);
  return { none: counts.filter((n) => n === 0).length, once: counts.filter((n) => n === 1).length, more: counts.filter((n) => n > 1).length };
}

describe("a reminder fan-out that began on time", () => {
  it("sends its second chunk when restarts delay it 85 s past the reminder's time", async () => {
    const { g, users } = await guildWithARunAndFive();
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Cup", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    const T = start - HOUR;
    await oneAlarmAt(g.guild_id, ev.id, T);
    expect(await received(g, users)).toEqual({ none: 5, once: RUN, more: 0 });
    // The next chunk's invocations are cut by restarts; it runs 85 s after the reminder's time.
    await runAt(g.guild_id, ev.id, T + 85_000);
    expect(await received(g, users)).toEqual({ none: 0, once: RUN + 5, more: 0 });
  });

  it("does not re-judge lateness when its first chunk is retried after a restart cut it", async () => {
    const { g, users } = await guildWithARunAndFive();
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Cup", start);
    const item = await untilItem(g.guild_id, ev.id, "dm:3600");
    const T = start - HOUR;
    await oneAlarmAt(g.guild_id, ev.id, T);
    // The invocation died after its sends, before the agenda stored the cursor: the item runs again as it was.
    await timerOf(g.guild_id, ev.id).schedule("dm:3600", T, "reminders.dm", item.payload);
    await runAt(g.guild_id, ev.id, T + 85 * 1000);
    expect(await received(g, users)).toEqual({ none: 0, once: RUN + 5, more: 0 });
    const skipped = await env.DB.prepare("SELECT COUNT(*) AS n FROM reminder_deliveries WHERE guild_id = ? AND status = 'skipped'")
      .bind(g.guild_id)
      .first<{ n: number }>();
    expect(skipped?.n).toBe(0);
  });

  it("still skips (and counts) a fan-out whose first attempt began 10 minutes late", async () => {
    const { g, users } = await guildWithARunAndFive();
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Cup", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    await runAt(g.guild_id, ev.id, start - HOUR + 10 * MIN);
    expect(await received(g, users)).toEqual({ none: RUN + 5, once: 0, more: 0 });
    const skipped = await env.DB.prepare("SELECT COUNT(*) AS n FROM reminder_deliveries WHERE guild_id = ? AND status = 'skipped'")
      .bind(g.guild_id)
      .first<{ n: number }>();
    expect(skipped?.n).toBe(RUN + 5);
  });
});

describe("a reminder fan-out run again after a cut", () => {
  it("leaves members whose DM failed to the retry item and its backoff, and still schedules it", async () => {
    const { g, users } = await subscribedGuild(3);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Cup", start);
    const item = await untilItem(g.guild_id, ev.id, "dm:3600");
    const T = start - HOUR;
    // Discord fails every DM of the first run: each member is left to retry.
    await emu("/_emulator/faults", { body: { path: "/messages", method: "POST", status: 500 } });
    try {
      await oneAlarmAt(g.guild_id, ev.id, T);
    } finally {
      await emu("/_emulator/faults", { method: "DELETE" });
    }
    const retryRows = () =>
      env.DB.prepare("SELECT COUNT(*) AS n FROM reminder_deliveries WHERE guild_id = ? AND status = 'retry'").bind(g.guild_id).first<{ n: number }>();
    expect((await retryRows())?.n).toBe(3);
    // The invocation died after recording the outcomes, before its counts and the retry item were stored: the
    // fan-out item runs again as it was, a few seconds later.
    const t = timerOf(g.guild_id, ev.id);
    await t.cancel("dm:3600:retry");
    await t.schedule("dm:3600", T + 1, "reminders.dm", item.payload);
    const sendsBefore = (await requestsTo("/messages")).filter((r) => r.method === "POST").length;
    await oneAlarmAt(g.guild_id, ev.id, T + 5_000);
    // Nobody is DMed again at once (the retry keeps its backoff) …
    expect((await requestsTo("/messages")).filter((r) => r.method === "POST").length).toBe(sendsBefore);
    expect(await received(g, users)).toEqual({ none: 3, once: 0, more: 0 });
    // … and the retry item is there, found from the recorded outcomes, and sends each member one DM.
    expect((await t.list()).map((i) => `${i.key} ${i.status}`)).toContain("dm:3600:retry pending");
    await runAt(g.guild_id, ev.id, T + MIN);
    expect(await received(g, users)).toEqual({ none: 0, once: 3, more: 0 });
    expect((await retryRows())?.n).toBe(0);
  });
});

describe("a reminder fan-out's chunks", () => {
  it("go out back to back: the next chunk's DMs are sent while Discord has not yet answered the chunk before", async () => {
    const { g, users } = await subscribedGuild(2 * CHUNK);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Cup", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    // Discord answers each DM 1.5 s after it arrives; a chunk's 40 DMs all arrive within a second at 50/s.
    const SLOW_MS = 1_500;
    await emu("/_emulator/faults", { body: { path: "/messages", method: "POST", delayMs: SLOW_MS } });
    try {
      await oneAlarmAt(g.guild_id, ev.id, start - HOUR);
    } finally {
      await emu("/_emulator/faults", { method: "DELETE" });
    }
    expect(await received(g, users)).toEqual({ none: 0, once: 2 * CHUNK, more: 0 });
    const state = (await guildState(g.guild_id)) as unknown as { dm_channels: Record<string, string> };
    const sorted = [...users].sort();
    const sends = (await requestsTo("/messages")).filter((r) => r.method === "POST") as unknown as { path: string; at: number }[];
    const arrivals = (members: string[]) => {
      const paths = new Set(members.map((u) => `/channels/${state.dm_channels[u]}/messages`));
      return sends.filter((r) => paths.has(r.path)).map((r) => r.at);
    };
    const [one, two] = [arrivals(sorted.slice(0, CHUNK)), arrivals(sorted.slice(CHUNK))];
    expect(one).toHaveLength(CHUNK);
    expect(two).toHaveLength(CHUNK);
    // One chunk at a time, the second chunk's first DM came only after the first chunk's last answer.
    expect(Math.min(...two)).toBeLessThan(Math.max(...one) + SLOW_MS);
  }, 60_000);
});

describe("a reminder fan-out whose DM channel open never answers", () => {
  it("holds only that member: the others' reminders reach Discord long before its timeout, and it gets one after", async () => {
    const { g, users } = await subscribedGuild(12);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Cup", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    // None of them was DMed before: each reminder opens the DM channel first, all in one bucket. The first open is
    // never answered; the REST client's 10 s timeout ends it, and its retry succeeds.
    const opened = (await requestsTo("/users/@me/channels")).length;
    await emu("/_emulator/faults", { body: { path: "/users/@me/channels", method: "POST", hang: true, times: 1 } });
    await oneAlarmAt(g.guild_id, ev.id, start - HOUR);
    const opens = (await requestsTo("/users/@me/channels")).slice(opened);
    const sends = (await requestsTo("/messages")).filter((r) => r.method === "POST" && r.status === 200);
    const hungAt = opens[0]?.at ?? 0;
    // Discord's view: eleven reminders sent within 5 s of the hung open (one open at a time, all came after it).
    const soon = sends.filter((r) => r.at - hungAt < 5_000);
    expect(soon.length).toBeGreaterThanOrEqual(users.length - 1);
    expect(await received(g, users)).toEqual({ none: 0, once: users.length, more: 0 });
  }, 60_000);
});
