import { createExecutionContext, createScheduledController, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import {
  channelsIn,
  guildTimerOf,
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
import { emu, type Fixture, guildState, interact, newGuild, WAIT_MS } from "./helpers";

useRelay();

type Role = { id: string; name: string; permissions: string };
const rolesNamed = async (g: Fixture, name: string) => (((await guildState(g.guild_id)).guilds[0]?.roles ?? []) as Role[]).filter((r) => r.name === name);
const memberRoles = async (g: Fixture, userId: string) => (await guildState(g.guild_id)).guilds[0]?.members.find((m) => m.user_id === userId)?.roles ?? [];
const interested = (g: Fixture, eventId: string, count: number) =>
  emu<{ user_ids: string[] }>(`/_emulator/guilds/${g.guild_id}/scheduled-events/${eventId}/users`, { body: { count } });

describe("event channels touch only what the bot made", () => {
  it("never adopts a role that has the event role's name: it makes its own (no permissions) and never grants or deletes the other", async () => {
    const g = await newGuild();
    const mods = await emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/roles`, {
      body: { name: "Moderators", permissions: "8192", user_ids: [g.admin_id] },
    });
    await setUp(g, { role_format: "{name}" });
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Moderators", start);
    const fans = (await interested(g, ev.id, 2)).user_ids;
    await untilPlanned(g.guild_id, ev.id, "create");
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    const named = await rolesNamed(g, "Moderators");
    expect(named).toHaveLength(2);
    const ours = named.find((r) => r.id !== mods.id) as Role;
    expect(ours.permissions).toBe("0");
    expect((await record(g.guild_id, ev.id))?.role_id).toBe(ours.id);
    for (const fan of fans) {
      expect(await memberRoles(g, fan)).toContain(ours.id);
      expect(await memberRoles(g, fan)).not.toContain(mods.id);
    }
    await runAt(g.guild_id, ev.id, start + 5 * HOUR);
    expect((await rolesNamed(g, "Moderators")).map((r) => r.id)).toEqual([mods.id]);
    expect(await memberRoles(g, g.admin_id)).toContain(mods.id);
  });

  it("two identical events get two roles, and the first one's cleanup leaves the second's alone", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const a = await scheduleEvent(g, "Raid", start, start + HOUR);
    const b = await scheduleEvent(g, "Raid", start, start + 3 * HOUR);
    for (const ev of [a, b]) {
      await interested(g, ev.id, 1);
      await untilPlanned(g.guild_id, ev.id, "create");
      await runAt(g.guild_id, ev.id, start - 15 * MIN);
    }
    const [ra, rb] = [await record(g.guild_id, a.id), await record(g.guild_id, b.id)];
    expect(ra?.role_id && rb?.role_id && ra.role_id !== rb.role_id).toBe(true);
    await runAt(g.guild_id, a.id, start + 5 * HOUR);
    const roles = (await guildState(g.guild_id)).guilds[0]?.roles.map((r) => r.id) ?? [];
    expect(roles).not.toContain(ra?.role_id);
    expect(roles).toContain(rb?.role_id);
    expect((await record(g.guild_id, b.id))?.state).toBe("live");
    expect(channelsIn(await guildState(g.guild_id), g.channels.category).map((c) => c.id)).toContain(rb?.text_id);
  });

  it("a role whose create answer was lost is found by its recorded intent on the retry, not made twice", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    const fans = (await interested(g, ev.id, 2)).user_ids;
    await untilPlanned(g.guild_id, ev.id, "create");
    // Discord makes the role, then the answer is lost (a 502 after the fact).
    await emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/roles`, method: "POST", status: 502, commit: true, times: 1 } });
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    const rec = await record(g.guild_id, ev.id);
    expect([rec?.state, rec?.role_id, rec?.intent_kind]).toEqual(["creating", null, "role"]);
    const retry = (await timerOf(g.guild_id, ev.id).list()).find((i) => i.key === "create");
    await runAt(g.guild_id, ev.id, (retry?.dueAt ?? 0) + 1);
    const raid = ((await guildState(g.guild_id)).guilds[0]?.roles ?? []).filter((r) => r.name.startsWith("Raid "));
    expect(raid).toHaveLength(1);
    const after = await record(g.guild_id, ev.id);
    expect([after?.state, after?.role_id]).toEqual(["live", raid[0]?.id]);
    for (const fan of fans) expect(await memberRoles(g, fan)).toContain(raid[0]?.id);
  });
});

describe("event channels under races and restarts", () => {
  it("a cancel while creation waits on Discord wins: nothing is left and nothing is announced", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await interested(g, ev.id, 1);
    await untilPlanned(g.guild_id, ev.id, "create");
    // The text channel's create is slow; the event is cancelled meanwhile.
    await emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/channels`, method: "POST", delayMs: 1500, times: 1 } });
    const creating = runAt(g.guild_id, ev.id, start - 15 * MIN);
    await untilState(g.guild_id, ev.id, "creating");
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}`, { method: "PATCH", body: { status: 4 } });
    await creating;
    await untilRecord(g.guild_id, ev.id, (r) => r?.state === "cancelled", "the cleanup after the cancel");
    const state = await guildState(g.guild_id);
    expect(channelsIn(state, g.channels.category)).toEqual([]);
    expect(state.guilds[0]?.roles.filter((r) => r.name.startsWith("Raid "))).toEqual([]);
    expect(
      Object.values(state.messages)
        .flat()
        .filter((m) => m.author.id === g.bot_id),
    ).toEqual([]);
  });

  it("eight events due in the same minute share one divider, and it goes when they end", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const evs = [];
    for (let i = 0; i < 8; i++) evs.push(await scheduleEvent(g, `Game ${i}`, start));
    for (const ev of evs) await untilPlanned(g.guild_id, ev.id, "create");
    await Promise.all(evs.map((ev) => runAt(g.guild_id, ev.id, start - 15 * MIN)));
    await runDurableObjectAlarm(guildTimerOf(g.guild_id));
    let made = channelsIn(await guildState(g.guild_id), g.channels.category);
    expect(made.filter((c) => c.name.startsWith("━"))).toHaveLength(1);
    const divider = made.find((c) => c.name.startsWith("━"));
    const liveRoles = await Promise.all(evs.map(async (ev) => (await record(g.guild_id, ev.id))?.role_id));
    for (const role of liveRoles) expect(divider?.permission_overwrites.some((o) => o.id === role)).toBe(true);
    await Promise.all(evs.map((ev) => runAt(g.guild_id, ev.id, start + 5 * HOUR)));
    await runDurableObjectAlarm(guildTimerOf(g.guild_id));
    made = channelsIn(await guildState(g.guild_id), g.channels.category);
    expect(made).toEqual([]);
  });

  it("the capacity check counts the divider too: a category one short is reported, and nothing is made", async () => {
    const g = await newGuild();
    await emu(`/_emulator/guilds/${g.guild_id}/channels`, { body: { name: "filler", parent_id: g.channels.category, count: 48 } });
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilPlanned(g.guild_id, ev.id, "create");
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    expect(channelsIn(await guildState(g.guild_id), g.channels.category)).toHaveLength(48);
    expect((await record(g.guild_id, ev.id))?.state).toBe("skipped");
    expect((await guildState(g.guild_id)).guilds[0]?.roles.filter((r) => r.name.startsWith("Raid "))).toEqual([]);
  });

  it("the deletion warning is posted once, even when a retry comes after Discord forgot the nonce and the record was lost", async () => {
    const g = await newGuild();
    const { ev, start, rec } = await liveEvent(g);
    const warnAt = start + 5 * HOUR - 15 * MIN;
    await runAt(g.guild_id, ev.id, warnAt);
    const warnings = async () =>
      ((await guildState(g.guild_id)).messages[rec.text_id as string] ?? []).filter((m) => m.content.includes("deleted in 15 minutes"));
    expect(await warnings()).toHaveLength(1);
    // The step runs again 3 minutes later (an alarm retried after a restart) with its record of the post lost.
    await env.DB.prepare("UPDATE posted_messages SET state = 'posting', message_id = NULL WHERE guild_id = ?").bind(g.guild_id).run();
    await emu(`/_emulator/channels/${rec.text_id}/forget-nonces`, { body: {} });
    await timerOf(g.guild_id, ev.id).schedule("warn", warnAt + 3 * MIN, "ec.warn", { guild_id: g.guild_id, event_id: ev.id, again: 1 });
    await runAt(g.guild_id, ev.id, warnAt + 3 * MIN);
    expect(await warnings()).toHaveLength(1);
  });

  it("extensions are capped", async () => {
    const g = await newGuild();
    const { ev, start, rec, fans } = await liveEvent(g);
    await runAt(g.guild_id, ev.id, start + 5 * HOUR - 15 * MIN);
    const warning = (await guildState(g.guild_id)).messages[rec.text_id as string]?.at(-1) as { id: string };
    const press = () =>
      interact({
        kind: "component",
        custom_id: `ec:extend:${ev.id}`,
        message_id: warning.id,
        guild_id: g.guild_id,
        channel_id: rec.text_id as string,
        user_id: fans[0] as string,
      });
    for (let i = 0; i < 3; i++) expect((await press()).response.type).toBe(7);
    const fourth = await press();
    expect((fourth.response as { data: { content: string } }).data.content).toContain("cannot be extended again");
    expect((await record(g.guild_id, ev.id))?.delete_at).toBe(start + 5 * HOUR + 3 * 4 * HOUR);
  });
});

async function untilState(guildId: string, eventId: string, state: string) {
  const deadline = Date.now() + WAIT_MS;
  while ((await record(guildId, eventId))?.state !== state) {
    if (Date.now() > deadline) throw new Error(`event never reached ${state}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("records from before ownership was tracked", () => {
  it("a role adopted by name (role_created = 0) is never handed out, taken away, pinged or deleted", async () => {
    const g = await newGuild();
    const mods = await emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/roles`, { body: { name: "Moderators", user_ids: [g.admin_id] } });
    const { ev, start } = await liveEvent(g);
    // As the old code left it: the live record points at a role it found by name.
    await env.DB.prepare("UPDATE event_channel_events SET role_id = ?, role_created = 0 WHERE guild_id = ? AND event_id = ?")
      .bind(mods.id, g.guild_id, ev.id)
      .run();
    const fan = (await emu<{ id: string }>("/_emulator/users", { body: { username: "late-fan", guild_id: g.guild_id } })).id;
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { user_ids: [fan, g.admin_id] } });
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users/${g.admin_id}`, { method: "DELETE" });
    await untilPlanned(g.guild_id, ev.id, `member:${g.admin_id}`).catch(() => undefined);
    await runAt(g.guild_id, ev.id, start - 5 * MIN);
    expect(await memberRoles(g, fan)).not.toContain(mods.id);
    expect(await memberRoles(g, g.admin_id)).toContain(mods.id);
    await runAt(g.guild_id, ev.id, start + 5 * HOUR);
    expect((await rolesNamed(g, "Moderators")).map((r) => r.id)).toEqual([mods.id]);
  });

  it("a cleanup that gave up (a refusal) is picked up again by the hourly job once it is stale", async () => {
    const g = await newGuild();
    const { ev, start, rec } = await liveEvent(g);
    await emu("/_emulator/faults", { body: { path: `/channels/${rec.text_id}`, method: "DELETE", status: 403, times: 1 } });
    await runAt(g.guild_id, ev.id, start + 5 * HOUR);
    expect((await record(g.guild_id, ev.id))?.state).toBe("ending");
    expect(channelsIn(await guildState(g.guild_id), g.channels.category).map((c) => c.id)).toContain(rec.text_id);
    await env.DB.prepare("UPDATE event_channel_events SET updated_at = ? WHERE guild_id = ? AND event_id = ?")
      .bind(Date.now() - 2 * HOUR, g.guild_id, ev.id)
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    await untilRecord(g.guild_id, ev.id, (r) => r?.state === "done", "the resumed cleanup");
    expect(channelsIn(await guildState(g.guild_id), g.channels.category)).toEqual([]);
  });
});
