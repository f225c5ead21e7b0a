/** The guild-events core: one mirror of each guild's scheduled events, and the changes it reports on the bus. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { registry } from "../src/features";
import { createServices } from "../src/services";
import { editEvent, eventLog, HOUR, useRelay } from "./event-channel-helpers";
import { cronAndFanOut, emu, newGuild, WAIT_MS } from "./helpers";
import { mirror, untilMirror, WEEK, weeklyEvent } from "./scheduled-event-helpers";
import { ahead, events, league, mapping, schedule } from "./tournament-helpers";

useRelay();

const kinds = async (guildId: string, kind: string) => (await eventLog(guildId, `scheduled_event.${kind}`)) as Record<string, unknown>[];

describe("guild-events core", () => {
  it("is the one table of a guild's scheduled events: no feature keeps its own copy of them", async () => {
    const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>();
    const names = tables.results.map((t) => t.name);
    expect(names).toContain("scheduled_events");
    // Reminders' copy of the events (name, times, active), superseded by the mirror.
    expect(names).not.toContain("reminder_events");
  });

  it("mirrors a recurring event and reports each occurrence's start and end, the move to the next one not as a reschedule", async () => {
    const g = await newGuild();
    const start = Math.ceil((Date.now() + 2 * HOUR) / 60_000) * 60_000;
    const ev = await weeklyEvent(g, "Raid Night", start);
    const first = await untilMirror(g.guild_id, ev.id, () => true);
    expect(first).toMatchObject({ name: "Raid Night", start_at: start, end_at: start + HOUR, status: 1, revision: 1, deleted_at: null });
    expect(JSON.parse(first.recurrence_rule as string)).toMatchObject({ frequency: 2, by_weekday: [(new Date(start).getUTCDay() + 6) % 7] });
    expect(await kinds(g.guild_id, "created")).toEqual([expect.objectContaining({ event_id: ev.id, start_at: start, recurring: true })]);

    await editEvent(g, ev.id, { status: 2 });
    await untilMirror(g.guild_id, ev.id, (m) => m.status === 2);
    await editEvent(g, ev.id, { status: 3 });
    const moved = await untilMirror(g.guild_id, ev.id, (m) => m.start_at === start + WEEK);
    expect(moved).toMatchObject({ status: 1, end_at: start + WEEK + HOUR, revision: 3 });
    expect(await kinds(g.guild_id, "occurrence_started")).toEqual([expect.objectContaining({ start_at: start })]);
    expect(await kinds(g.guild_id, "occurrence_ended")).toEqual([expect.objectContaining({ start_at: start, next_start_at: start + WEEK })]);
    expect(await kinds(g.guild_id, "rescheduled")).toEqual([]);

    // An admin moves the next occurrence before it began: that is a reschedule, and a rename an update.
    await editEvent(g, ev.id, {
      scheduled_start_time: new Date(start + WEEK + HOUR).toISOString(),
      scheduled_end_time: new Date(start + WEEK + 2 * HOUR).toISOString(),
    });
    await untilMirror(g.guild_id, ev.id, (m) => m.start_at === start + WEEK + HOUR);
    expect(await kinds(g.guild_id, "rescheduled")).toEqual([expect.objectContaining({ start_at: start + WEEK + HOUR, previous_start_at: start + WEEK })]);
    await editEvent(g, ev.id, { name: "Raid Night II" });
    await untilMirror(g.guild_id, ev.id, (m) => m.name === "Raid Night II");
    expect(await kinds(g.guild_id, "updated")).toEqual([expect.objectContaining({ fields: ["name"] })]);

    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}`, { method: "DELETE" });
    const gone = await untilMirror(g.guild_id, ev.id, (m) => m.deleted_at !== null);
    expect(gone.revision).toBe(6);
    expect(await kinds(g.guild_id, "deleted")).toHaveLength(1);
  });

  it("an outage's GUILD_CREATE (unavailable, no event list) deletes nothing", async () => {
    const g = await newGuild();
    const start = Math.ceil((Date.now() + 2 * HOUR) / 60_000) * 60_000;
    const ev = await weeklyEvent(g, "Outage Night", start);
    await untilMirror(g.guild_id, ev.id, () => true);
    const s = createServices(env, () => undefined, registry);
    for (const h of registry.gateway.get("GUILD_CREATE") ?? []) await h.handle({ id: g.guild_id, unavailable: true } as never, s, { received_at: Date.now() });
    expect((await mirror(g.guild_id, ev.id))?.deleted_at).toBeNull();
    expect(await kinds(g.guild_id, "deleted")).toEqual([]);
  });

  it("a cancelled one-off event is reported once, and the same dispatch again changes nothing", async () => {
    const g = await newGuild();
    const start = Date.now() + 3 * HOUR;
    const ev = await emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
      body: { name: "Once", scheduled_start_time: new Date(start).toISOString(), scheduled_end_time: new Date(start + HOUR).toISOString() },
    });
    await untilMirror(g.guild_id, ev.id, () => true);
    const cancelled = await editEvent(g, ev.id, { status: 4 });
    await untilMirror(g.guild_id, ev.id, (m) => m.status === 4);
    // A replayed UPDATE (at-least-once gateway).
    await emu("/_emulator/gateway/dispatch", { body: { t: "GUILD_SCHEDULED_EVENT_UPDATE", d: cancelled, guild_id: g.guild_id } });
    await new Promise((r) => setTimeout(r, 500));
    expect((await mirror(g.guild_id, ev.id))?.revision).toBe(2);
    expect(await kinds(g.guild_id, "cancelled")).toHaveLength(1);
  });

  it("the hourly reconciliation finds an event made while the bot was not listening", async () => {
    const g = await newGuild();
    const start = Date.now() + 5 * HOUR;
    const ev = await weeklyEvent(g, "Quiet", start, { silent: true });
    // The guild is one the bot is in (its GUILD_CREATE arrived).
    await env.DB.prepare("INSERT INTO guilds (guild_id, joined_at, created_at, updated_at) VALUES (?, ?, ?, ?)")
      .bind(g.guild_id, Date.now(), Date.now(), Date.now())
      .run();
    expect(await mirror(g.guild_id, ev.id)).toBeNull();
    // The cron only starts the fan-out; the guild's list runs on its own timer.
    await cronAndFanOut("0 * * * *", Date.now(), [`sec:${g.guild_id}`]);
    expect(await mirror(g.guild_id, ev.id)).toMatchObject({ name: "Quiet", start_at: start, status: 1 });
  });

  it("tournaments hear from the core: a match's event deleted by hand is made again", async () => {
    const l = await league();
    const m = await schedule(l, ahead(24));
    const [ev] = await events(l.g.guild_id);
    await untilMirror(l.g.guild_id, ev?.id as string, () => true);
    await emu(`/_emulator/guilds/${l.g.guild_id}/scheduled-events/${ev?.id}`, { method: "DELETE" });
    const deadline = Date.now() + WAIT_MS;
    let again = await mapping(m.id);
    while ((!again?.scheduled_event_id || again.scheduled_event_id === ev?.id) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      again = await mapping(m.id);
    }
    const [fresh, ...rest] = await events(l.g.guild_id);
    expect(rest).toHaveLength(0);
    expect(fresh?.id).not.toBe(ev?.id);
    expect(again?.scheduled_event_id).toBe(fresh?.id);
  });
});
