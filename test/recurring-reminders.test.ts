/** DM reminders for a weekly recurring event: once per offset per occurrence; the move on is not a reschedule. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CHUNK, uncachedRunChunks } from "../src/features/reminders/fanout-send";
import type { EventTimer } from "../src/index";
import { editEvent, HOUR, useRelay } from "./event-channel-helpers";
import { emu, type Fixture, guildState, interact, newGuild, WAIT_MS } from "./helpers";
import { dms, runAt, subscribeDirect, timerOf, untilItem } from "./reminder-helpers";
import { WEEK, weeklyEvent } from "./scheduled-event-helpers";

useRelay();

const t = (ms: number) => Math.floor(ms / 1000);

describe("reminders: a weekly recurring event over two occurrences", () => {
  it("reminds once per offset per occurrence, shows the next occurrence after the move, and neither re-sends nor drops", async () => {
    const g = await newGuild();
    await subscribeDirect(g, g.member_id, ["all"], [3600, 0]);
    const start = Math.ceil((Date.now() + 2 * HOUR) / 60_000) * 60_000;
    const ev = await weeklyEvent(g, "Raid Night", start);
    expect((await untilItem(g.guild_id, ev.id, `dm:${start}:3600`)).dueAt).toBe(start - HOUR);
    await runAt(g.guild_id, ev.id, start - HOUR);
    await runAt(g.guild_id, ev.id, start);
    const firstWeek = await dms(g, g.member_id);
    expect(firstWeek.map((m) => m.embeds[0]?.fields?.[0]?.value)).toEqual([`<t:${t(start)}:F> (<t:${t(start)}:R>)`, `<t:${t(start)}:F> (<t:${t(start)}:R>)`]);

    await editEvent(g, ev.id, { status: 2 });
    await editEvent(g, ev.id, { status: 3 });
    const next = start + WEEK;
    expect((await untilItem(g.guild_id, ev.id, `dm:${next}:3600`)).dueAt).toBe(next - HOUR);
    expect((await untilItem(g.guild_id, ev.id, `dm:${next}:0`)).dueAt).toBe(next);
    // The first occurrence's reminders are not planned again, and nothing of it is sent twice.
    const pending = (await timerOf(g.guild_id, ev.id).list()).filter((i) => i.status === "pending").map((i) => i.key);
    expect(pending.length).toBeGreaterThanOrEqual(2);
    expect(pending.filter((k) => !k.startsWith(`dm:${next}:`))).toEqual([]);
    await runAt(g.guild_id, ev.id, start + HOUR);
    expect(await dms(g, g.member_id)).toHaveLength(2);

    // `/reminders mine` and `/remind` show the next occurrence.
    const deadline = Date.now() + WAIT_MS;
    let mine = "";
    while (!mine.includes(`<t:${t(next)}:f>`) && Date.now() < deadline) {
      const r = await interact({ kind: "command", name: "reminders", subcommand: "mine", guild_id: g.guild_id, user_id: g.member_id });
      mine = (r.response as { data: { content: string } }).data.content;
    }
    expect(mine).toContain(`**Raid Night** <t:${t(next)}:f>`);
    const choices = await interact({ kind: "autocomplete", name: "remind", options: { event: "raid" }, guild_id: g.guild_id, user_id: g.member_id });
    const shown = (choices.response as { data: { choices: { name: string; value: string }[] } }).data.choices;
    expect(shown).toEqual([{ name: `Raid Night — ${new Date(next).toISOString().slice(0, 16).replace("T", " ")} UTC`, value: ev.id }]);

    await runAt(g.guild_id, ev.id, next - HOUR);
    await runAt(g.guild_id, ev.id, next);
    await runAt(g.guild_id, ev.id, next + HOUR);
    const all = await dms(g, g.member_id);
    expect(all.map((m) => m.embeds[0]?.fields?.[0]?.value)).toEqual([
      `<t:${t(start)}:F> (<t:${t(start)}:R>)`,
      `<t:${t(start)}:F> (<t:${t(start)}:R>)`,
      `<t:${t(next)}:F> (<t:${t(next)}:R>)`,
      `<t:${t(next)}:F> (<t:${t(next)}:R>)`,
    ]);
  });
});

describe("reminders: a recurring event that moves on while an occurrence's fan-out is paging", () => {
  it("finishes the ended occurrence's fan-out (each member once) and still reminds the next occurrence once per offset", async () => {
    const g = await emu<Fixture>("/_emulator/guilds", { body: {} });
    // Subscribers to T−0 only: the fan-out's first run (its chunks of 40) and a second run of 45.
    const users: string[] = [];
    for (let i = 0; i < CHUNK * uncachedRunChunks() + 45; i++) {
      const id = (await emu<{ id: string }>("/_emulator/users", { body: { username: `raider${i}`, guild_id: g.guild_id } })).id;
      await subscribeDirect(g, id, ["all"], [0]);
      users.push(id);
    }
    const start = Math.ceil((Date.now() + 2 * HOUR) / 60_000) * 60_000;
    const ev = await weeklyEvent(g, "Raid Night", start);
    await untilItem(g.guild_id, ev.id, `dm:${start}:0`);
    // The T−0 fan-out's first chunk only (one alarm invocation at the occurrence's start).
    const timer = timerOf(g.guild_id, ev.id);
    await runInDurableObject(timer, (instance: EventTimer) => {
      instance.clock = () => start;
    });
    await runDurableObjectAlarm(timer);
    const counts = async () => {
      const state = (await guildState(g.guild_id)) as unknown as { dm_channels: Record<string, string>; messages: Record<string, unknown[]> };
      return users.map((u) => state.messages[state.dm_channels[u] ?? ""]?.length ?? 0);
    };
    expect((await counts()).filter((n) => n === 1)).toHaveLength(CHUNK * uncachedRunChunks());

    // Meanwhile the occurrence is run and ended: Discord moves the event on to next week.
    await editEvent(g, ev.id, { status: 2 });
    await editEvent(g, ev.id, { status: 3 });
    const next = start + WEEK;
    await untilItem(g.guild_id, ev.id, `dm:${next}:0`);
    // The rest of the fan-out runs after the move: it belongs to the occurrence that took place.
    await runAt(g.guild_id, ev.id, start + 30_000);
    expect(await counts()).toEqual(users.map(() => 1));
    const first = await dms(g, users.at(-1) as string);
    expect(first[0]?.embeds[0]?.fields?.[0]?.value).toBe(`<t:${t(start)}:F> (<t:${t(start)}:R>)`);

    // The next occurrence is reminded once, to everyone.
    await runAt(g.guild_id, ev.id, next);
    await runAt(g.guild_id, ev.id, next + 30_000);
    expect(await counts()).toEqual(users.map(() => 2));
    const second = await dms(g, users[0] as string);
    expect(second.map((m) => m.embeds[0]?.fields?.[0]?.value)).toEqual([`<t:${t(start)}:F> (<t:${t(start)}:R>)`, `<t:${t(next)}:F> (<t:${t(next)}:R>)`]);
  }, 120_000);
});
