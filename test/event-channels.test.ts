import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  channelsIn,
  eventLog,
  HOUR,
  liveEvent,
  MIN,
  record,
  runAt,
  scheduleEvent,
  setUp,
  timerOf,
  untilPlanned,
  untilRecord,
  useRelay,
} from "./event-channel-helpers";
import { asAdmin, emu, guildState, interact, newGuild, WAIT_MS } from "./helpers";

useRelay();

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
    await asAdmin(g, "eventchannels", "voice-multiplier", { keyword: "raid", per_channel: 5 });
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
    await asAdmin(g, "eventchannels", "voice-minimum", { keyword: "raid", minimum: 5 });
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
    await asAdmin(g, "eventchannels", "voice-minimum", { keyword: "raid", minimum: 5 });
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilPlanned(g.guild_id, ev.id, "create");
    for (const at of [15, 10, 5, 2]) await runAt(g.guild_id, ev.id, start - at * MIN);
    expect((await record(g.guild_id, ev.id))?.state).toBe("skipped");
    expect(channelsIn(await guildState(g.guild_id), g.channels.category)).toEqual([]);
    expect(await eventLog(g.guild_id, "event_channels.skipped")).toEqual([expect.objectContaining({ interested: 0, minimum: 5, keyword: "raid" })]);
  });
});

describe("event channels: members who change their mind after creation", () => {
  it("gives the role to a member who marks Interested later and takes it from one who unmarks", async () => {
    const g = await newGuild();
    const { ev, rec, fans } = await liveEvent(g);
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { user_ids: [g.member_id] } });
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users/${fans[0]}`, { method: "DELETE" });
    const roles = async (userId: string) => (await guildState(g.guild_id)).guilds[0]?.members.find((m) => m.user_id === userId)?.roles ?? [];
    const deadline = Date.now() + WAIT_MS;
    while (!(await roles(g.member_id)).includes(rec.role_id as string) || (await roles(fans[0] as string)).includes(rec.role_id as string)) {
      if (Date.now() > deadline) throw new Error("role changes never happened");
      await untilRecord(g.guild_id, ev.id, () => true);
      const t = timerOf(g.guild_id, ev.id);
      if (((await t.nextAlarm()) ?? Number.POSITIVE_INFINITY) <= Date.now()) await runAt(g.guild_id, ev.id, Date.now());
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await roles(fans[1] as string)).toContain(rec.role_id);
  });
});

describe("/eventchannels settings", () => {
  it("shows the effective settings with the cog's defaults", async () => {
    const g = await newGuild();
    const r = await interact({ kind: "command", name: "eventchannels", subcommand: "view", guild_id: g.guild_id, user_id: g.admin_id });
    const fields = (r.response as { data: { embeds: { fields: { name: string; value: string }[] }[] } }).data.embeds[0]?.fields ?? [];
    const field = (name: string) => fields.find((f) => f.name === name)?.value;
    expect(field("Create")).toBe("15 min before start");
    expect(field("Delete")).toBe("4 h after end");
    expect(field("Minimum retries")).toBe("10, 5, 2 min before start");
    expect(field("Channel name")).toBe("`{name}᲼{type}` (spaces → `᲼`)");
  });

  it.each([
    ["timezone", "Mars/Olympus", "not an IANA timezone"],
    ["channel_format", "{name}", "must contain {name} and {type}"],
    ["creation_minutes", "5000", "creation_minutes"],
    ["creation_minutes", "tomorrow-ish", "needs a whole number"],
    ["role_format", "x".repeat(300), "role_format"],
    ["minimum_retry_intervals", "ten, five", "list of minutes"],
  ])("refuses %s = %s with a clear reply and stores nothing", async (setting, value, text) => {
    const g = await newGuild();
    const r = await asAdmin(g, "eventchannels", "set", { setting, value });
    expect(r.status).toBe(200);
    const data = (r.response as { data: { content: string; flags: number } }).data;
    expect(data.flags).toBe(64);
    expect(data.content).toContain(text);
    expect(await env.DB.prepare("SELECT * FROM event_channel_settings WHERE guild_id = ?").bind(g.guild_id).first()).toBeNull();
  });

  it("is refused to members without Manage Server", async () => {
    const g = await newGuild();
    const r = await interact({
      kind: "command",
      name: "eventchannels",
      subcommand: "category",
      options: { category: g.channels.category },
      guild_id: g.guild_id,
      user_id: g.member_id,
    });
    expect((r.response as { data: { content: string } }).data.content).toContain("Manage Server");
    expect(await env.DB.prepare("SELECT * FROM event_channel_settings WHERE guild_id = ?").bind(g.guild_id).first()).toBeNull();
  });
});

describe("event channels: messages built from admin templates", () => {
  it("an announcement whose {event} placeholders outgrow a message is cut to Discord's 2000 and still posted", async () => {
    const g = await newGuild();
    const name = `Marathon ${"m".repeat(80)}`;
    const { rec } = await liveEvent(g, name, 1, { announcement_message: "{event} ".repeat(225) });
    const posted = (await guildState(g.guild_id)).messages[rec.text_id ?? ""] ?? [];
    expect(posted).toHaveLength(1);
    expect(posted[0]?.content).toHaveLength(2000);
    expect(posted[0]?.content.startsWith(name)).toBe(true);
  });
});
