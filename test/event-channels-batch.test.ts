import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_GRANT } from "../src/discord/budget";
import { rateGate } from "../src/discord/rate-gate";
import { channelsIn, HOUR, MIN, record, runAt, scheduleEvent, setUp, timerOf, untilPlanned, useRelay } from "./event-channel-helpers";
import { asAdmin, emu, type Fixture, guildState, newGuild } from "./helpers";

useRelay();

type Logged = { at: number; method: string; path: string; route: string | null; status: number };
const requests = async (contains: string) => emu<Logged[]>(`/_emulator/requests?path_contains=${encodeURIComponent(contains)}`);
const fault = (body: Record<string, unknown>) => emu("/_emulator/faults", { body });

/** A guild whose "raid" events get one voice channel per 5 Interested, and a raid with `interested` members. */
async function raid(interested: number) {
  const g = await newGuild();
  await setUp(g);
  await asAdmin(g, "eventchannels", "voice-multiplier", { keyword: "raid", per_channel: 5 });
  const start = Date.now() + 2 * HOUR;
  const ev = await scheduleEvent(g, "Big Raid", start);
  await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: interested } });
  await untilPlanned(g.guild_id, ev.id, "create");
  return { g, ev, start };
}

const eventChannels = async (g: Fixture) => channelsIn(await guildState(g.guild_id), g.channels.category).filter((c) => !c.name.startsWith("━"));

/**
 * Bulk work of another guild keeps the REST budget full for `ms`: it books every slot it may (the next 300 ms) as
 * fast as it can, so each call of a creation waits about that long for its slot.
 */
async function saturateBulk(ms: number): Promise<void> {
  const gate = rateGate(env.RATE_GATE);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await gate.take({ lane: "bulk", guild: "filler", n: MAX_GRANT });
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("event channels: a creation's calls go out in rounds, not one after another", () => {
  it("while bulk work fills the budget, reads the guild with the Interested list and asks for every channel at once", async () => {
    const { g, ev, start } = await raid(15);
    // Each channel's answer takes 300 ms: creates sent one after another (as one client sends one bucket's) would
    // arrive that far apart.
    await fault({ path: `/guilds/${g.guild_id}/channels`, method: "POST", delayMs: 300, times: 4 });
    const filling = saturateBulk(6_000);
    await new Promise((r) => setTimeout(r, 200));
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    await filling;
    expect((await record(g.guild_id, ev.id))?.state).toBe("live");
    const log = await requests(`/guilds/${g.guild_id}`);
    const users = log.find((r) => r.route === "GET /guilds/:id/scheduled-events/:id/users") as Logged;
    // In one round with the Interested list: each call waiting for a slot of its own would come ~300 ms apart (the
    // margin is for a loaded machine, where a caller may wake some tens of ms after its slot).
    const reads = log.filter((r) => Math.abs(r.at - users.at) < 250 && (r.route === "GET /guilds/:id" || r.route === "GET /guilds/:id/channels"));
    expect(reads).toHaveLength(2);
    // The text channel and 3 voice channels (15 Interested, 5 a channel); the divider comes later, on its own step.
    const made = log.filter((r) => r.route === "POST /guilds/:id/channels" && r.status === 201).slice(0, 4);
    expect(made).toHaveLength(4);
    expect(Math.max(...made.map((r) => r.at)) - Math.min(...made.map((r) => r.at))).toBeLessThan(150);
    const channels = await eventChannels(g);
    expect(channels.map((c) => c.name).sort()).toEqual(["big᲼raid᲼text", "big᲼raid᲼voice 1", "big᲼raid᲼voice 2", "big᲼raid᲼voice 3"]);
  }, 30_000);
});

describe("event channels: the removal at the deletion time goes out in rounds too", () => {
  it("deletes every voice channel at once, then the text channel and the role", async () => {
    const { g, ev, start } = await raid(15);
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    const rec = await record(g.guild_id, ev.id);
    const voices: string[] = JSON.parse(rec?.voice_ids ?? "[]");
    expect(voices).toHaveLength(3);
    // Each deletion's answer takes 300 ms: deletions one after another would arrive that far apart.
    for (const id of voices) await fault({ path: `/channels/${id}`, method: "DELETE", delayMs: 300, times: 1 });
    await runAt(g.guild_id, ev.id, (rec?.delete_at ?? 0) + 1);
    expect((await record(g.guild_id, ev.id))?.state).toBe("done");
    expect(await eventChannels(g)).toEqual([]);
    const deletes = (await Promise.all(voices.map((id) => requests(`/channels/${id}`)))).flat().filter((r) => r.method === "DELETE");
    expect(deletes).toHaveLength(3);
    expect(Math.max(...deletes.map((r) => r.at)) - Math.min(...deletes.map((r) => r.at))).toBeLessThan(150);
    expect(((await guildState(g.guild_id)).guilds[0]?.roles ?? []).filter((r) => r.name.startsWith("Big Raid"))).toEqual([]);
  }, 30_000);
});

describe("event channels: one of several channel calls fails", () => {
  it("a channel whose create answer was lost is found by the recorded intent on the retry: every channel once, none missing", async () => {
    const { g, ev, start } = await raid(15);
    // Discord makes the second channel asked for, then its answer is lost (a 502 after the fact).
    await fault({ path: `/guilds/${g.guild_id}/channels`, method: "POST", status: 502, commit: true, after: 1, times: 1 });
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    const rec = await record(g.guild_id, ev.id);
    expect(rec?.state).toBe("creating");
    expect(rec?.intent_kind).toBe("channels");
    // The three answered channels are recorded already; only the lost one is still an intent.
    expect((rec?.text_id ? 1 : 0) + JSON.parse(rec?.voice_ids ?? "[]").length).toBe(3);
    const retry = (await timerOf(g.guild_id, ev.id).list()).find((i) => i.key === "create");
    await runAt(g.guild_id, ev.id, (retry?.dueAt ?? 0) + 1);
    const after = await record(g.guild_id, ev.id);
    expect(after?.state).toBe("live");
    expect(after?.intent_kind).toBeNull();
    const channels = await eventChannels(g);
    expect(channels.map((c) => c.name).sort()).toEqual(["big᲼raid᲼text", "big᲼raid᲼voice 1", "big᲼raid᲼voice 2", "big᲼raid᲼voice 3"]);
    expect(new Set([after?.text_id, ...JSON.parse(after?.voice_ids ?? "[]")])).toEqual(new Set(channels.map((c) => c.id)));
  });

  it("a channel call that failed before Discord made it is made on the retry under its own name", async () => {
    const { g, ev, start } = await raid(15);
    await fault({ path: `/guilds/${g.guild_id}/channels`, method: "POST", status: 503, after: 2, times: 1 });
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    expect((await record(g.guild_id, ev.id))?.state).toBe("creating");
    const retry = (await timerOf(g.guild_id, ev.id).list()).find((i) => i.key === "create");
    await runAt(g.guild_id, ev.id, (retry?.dueAt ?? 0) + 1);
    expect((await record(g.guild_id, ev.id))?.state).toBe("live");
    const names = (await eventChannels(g)).map((c) => c.name).sort();
    expect(names).toEqual(["big᲼raid᲼text", "big᲼raid᲼voice 1", "big᲼raid᲼voice 2", "big᲼raid᲼voice 3"]);
  });

  it("a definite refusal of one channel abandons the creation and removes the channels and role the others made", async () => {
    const { g, ev, start } = await raid(15);
    await fault({
      path: `/guilds/${g.guild_id}/channels`,
      method: "POST",
      status: 403,
      body: { message: "Missing Permissions", code: 50013 },
      after: 1,
      times: 1,
    });
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    await runAt(g.guild_id, ev.id, start - 15 * MIN + 1_000);
    const rec = await record(g.guild_id, ev.id);
    expect(["ending", "cancelled", "skipped"]).toContain(rec?.state);
    expect(await eventChannels(g)).toEqual([]);
    expect(((await guildState(g.guild_id)).guilds[0]?.roles ?? []).filter((r) => r.name.startsWith("Big Raid"))).toEqual([]);
    const audit = await env.DB.prepare("SELECT COUNT(*) AS n FROM event_channel_events WHERE guild_id = ? AND intent_kind IS NOT NULL")
      .bind(g.guild_id)
      .first<{ n: number }>();
    expect(audit?.n).toBe(0);
  });

  it("a cancel while the channels are being made wins: the answered ones and the one whose answer was lost are all removed", async () => {
    const { g, ev, start } = await raid(15);
    // The second channel is made but its answer lost at once; the other three take 1.5 s, and the event is cancelled meanwhile.
    await fault({ path: `/guilds/${g.guild_id}/channels`, method: "POST", status: 502, commit: true, after: 1, times: 1 });
    await fault({ path: `/guilds/${g.guild_id}/channels`, method: "POST", delayMs: 1_500, times: 3 });
    const creating = runAt(g.guild_id, ev.id, start - 15 * MIN);
    const deadline = Date.now() + 10_000;
    while ((await requests(`/guilds/${g.guild_id}/channels`)).filter((r) => r.method === "POST").length < 4) {
      if (Date.now() > deadline) throw new Error("the channels were never asked for");
      await new Promise((r) => setTimeout(r, 10));
    }
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}`, { method: "PATCH", body: { status: 4 } });
    await creating;
    const until = Date.now() + 10_000;
    while ((await record(g.guild_id, ev.id))?.state !== "cancelled") {
      if (Date.now() > until) throw new Error("never cleaned up");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await eventChannels(g)).toEqual([]);
    expect(((await guildState(g.guild_id)).guilds[0]?.roles ?? []).filter((r) => r.name.startsWith("Big Raid"))).toEqual([]);
  }, 30_000);
});
