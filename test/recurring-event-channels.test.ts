/** Event channels for a weekly recurring event: each occurrence its own role and channels, and its own cleanup. */
import { describe, expect, it } from "vitest";
import { channelsIn, editEvent, eventLog, HOUR, MIN, record, runAt, setUp, timerOf, untilPlanned, untilRecord, useRelay } from "./event-channel-helpers";
import { emu, type Fixture, guildState, newGuild, WAIT_MS } from "./helpers";
import { timerOf as reminderTimer, untilItem } from "./reminder-helpers";
import { WEEK, weeklyEvent } from "./scheduled-event-helpers";

useRelay();

describe("event channels: a weekly recurring event over two occurrences", () => {
  it("gives each occurrence its own role and channels (named with its date), and the move on never deletes the next one's", async () => {
    // Kept a week after the end: the first occurrence's channels still exist when the second's are made.
    const { g, start, ev, fans, first } = await firstOccurrenceLive({ deletion_hours: 168, timezone: "Europe/Berlin" }, 2);

    // The occurrence is run and ended from the Events tab: Discord moves the event on a week.
    await editEvent(g, ev.id, { status: 2 });
    await editEvent(g, ev.id, { status: 3 });
    const next = await untilPlanned(g.guild_id, ev.id, "create");
    expect(next.dueAt).toBe(start + WEEK - 15 * MIN);
    expect(await record(g.guild_id, ev.id)).toMatchObject({ state: "scheduled", start_at: start + WEEK, text_id: null, role_id: null });
    const ended = `${ev.id}@${start}`;
    expect(await record(g.guild_id, ended)).toMatchObject({
      state: "live",
      text_id: first?.text_id,
      role_id: first?.role_id,
      delete_at: start + HOUR + 168 * HOUR,
    });
    // Its deletion (and the warning before it) moved with it, to its own timer.
    expect((await untilPlanned(g.guild_id, ended, "delete")).dueAt).toBe(start + HOUR + 168 * HOUR);
    expect((await untilPlanned(g.guild_id, ended, "warn")).dueAt).toBe(start + HOUR + 168 * HOUR - 15 * MIN);

    // The second occurrence gets its own role and channels at its T−15 min.
    expect(await runAt(g.guild_id, ev.id, start + WEEK - 15 * MIN)).toBe(true);
    const second = await untilRecord(g.guild_id, ev.id, (r) => r?.state === "live", "second occurrence live");
    expect(second?.text_id).not.toBe(first?.text_id);
    expect(second?.role_id).not.toBe(first?.role_id);
    const roles = (await guildState(g.guild_id)).guilds[0]?.roles ?? [];
    const nameOf = (id: string | null | undefined) => roles.find((r) => r.id === id)?.name;
    const day = (at: number) => new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Berlin", day: "numeric" }).format(new Date(at));
    expect(nameOf(first?.role_id)).toContain(` ${day(start)}. `);
    expect(nameOf(second?.role_id)).toContain(` ${day(start + WEEK)}. `);
    // The members Interested in the series hold each occurrence's role (the last one's grants are not taken as this one's).
    const members = (await guildState(g.guild_id)).guilds[0]?.members ?? [];
    const holders = (roleId: string | null | undefined) => fans.user_ids.filter((u) => members.find((m) => m.user_id === u)?.roles.includes(roleId ?? "-"));
    expect(holders(first?.role_id), "first occurrence role").toEqual(fans.user_ids);
    expect(holders(second?.role_id), "second occurrence role").toEqual(fans.user_ids);
    const made = channelsIn(await guildState(g.guild_id), g.channels.category).map((c) => c.id);
    expect(made).toEqual(expect.arrayContaining([first?.text_id, second?.text_id]));

    // The first occurrence's deletion removes its objects and leaves the second's alone.
    await runAt(g.guild_id, ended, start + HOUR + 168 * HOUR);
    await untilRecord(g.guild_id, ended, (r) => r?.state === "done", "first occurrence cleaned up");
    const after = await guildState(g.guild_id);
    const ids = channelsIn(after, g.channels.category).map((c) => c.id);
    expect(ids).not.toContain(first?.text_id);
    expect(ids).toContain(second?.text_id);
    for (const v of JSON.parse(second?.voice_ids ?? "[]") as string[]) expect(ids).toContain(v);
    expect(after.guilds[0]?.roles.map((r) => r.id)).toEqual(expect.arrayContaining([second?.role_id]));
    expect(after.guilds[0]?.roles.map((r) => r.id)).not.toContain(first?.role_id);
    expect(await record(g.guild_id, ev.id)).toMatchObject({ state: "live", role_id: second?.role_id });
    // Two occurrences' whole lifecycles on 2 shared cores.
  }, 90_000);

  it("an occurrence that ends before its channels were made gives the next one its own creation, nothing left behind", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Math.ceil((Date.now() + 2 * HOUR) / MIN) * MIN;
    const ev = await weeklyEvent(g, "Quiz", start);
    await untilPlanned(g.guild_id, ev.id, "create");
    await editEvent(g, ev.id, { status: 2 });
    await editEvent(g, ev.id, { status: 3 });
    expect((await untilPlanned(g.guild_id, ev.id, "create")).dueAt).toBe(start + WEEK - 15 * MIN);
    expect(await record(g.guild_id, `${ev.id}@${start}`)).toBeNull();
    expect(await record(g.guild_id, ev.id)).toMatchObject({ state: "scheduled", start_at: start + WEEK });
  });

  it("an ended occurrence's role deleted by hand is made again for its own members, and its resync keeps them (by its own record)", async () => {
    const { g, start, ev, fans, first } = await firstOccurrenceLive({ deletion_hours: 168 }, 2);
    const holding = async (roleId: string | null | undefined) => {
      const members = (await guildState(g.guild_id)).guilds[0]?.members ?? [];
      return fans.user_ids.filter((u) => members.find((m) => m.user_id === u)?.roles.includes(roleId ?? "-"));
    };
    const untilHolding = async (key: string, roleId: string | null | undefined, at?: number) => {
      const deadline = Date.now() + WAIT_MS;
      while ((await holding(roleId)).length < fans.user_ids.length && Date.now() < deadline) {
        if (at !== undefined) await runAt(g.guild_id, key, at);
        else await untilRecord(g.guild_id, key, () => true);
        await new Promise((r) => setTimeout(r, 20));
      }
      return holding(roleId);
    };
    expect(await untilHolding(ev.id, first?.role_id, start - 15 * MIN)).toEqual(fans.user_ids);

    // The occurrence ends; Discord moves the event on. One member is not coming next week.
    await editEvent(g, ev.id, { status: 2 });
    await editEvent(g, ev.id, { status: 3 });
    await untilPlanned(g.guild_id, ev.id, "create");
    const ended = `${ev.id}@${start}`;
    await untilRecord(g.guild_id, ended, (r) => r?.state === "live" && r.role_id === first?.role_id, "ended occurrence's record");
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users/${fans.user_ids[1]}`, { method: "DELETE", body: {} });

    // Its role is deleted by hand while its channels live on: made again, and given to the members who had it.
    await emu(`/_emulator/guilds/${g.guild_id}/roles/${first?.role_id}`, { method: "DELETE" });
    const restored = await untilRecord(g.guild_id, ended, (r) => !!r?.role_id && r.role_id !== first?.role_id, "the ended occurrence's new role");
    expect(await untilHolding(ended, restored?.role_id)).toEqual(fans.user_ids);
    const state = await guildState(g.guild_id);
    const text = state.guilds[0]?.channels.find((c) => c.id === first?.text_id) as unknown as { permission_overwrites: { id: string }[] };
    expect(text.permission_overwrites.some((o) => o.id === restored?.role_id)).toBe(true);

    // A resync of the ended occurrence (as after a fresh IDENTIFY) keeps its members and fails nothing.
    const timer = timerOf(g.guild_id, ended);
    await timer.schedule("resync", Date.now(), "ec.resync", { guild_id: g.guild_id, event_id: ended });
    await untilRecord(g.guild_id, ended, () => true);
    const deadline = Date.now() + WAIT_MS;
    while ((await timer.list()).some((i) => i.key === "resync" && i.status === "pending") && Date.now() < deadline) {
      await untilRecord(g.guild_id, ended, () => true);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await timer.list()).filter((i) => i.key === "resync").map((i) => i.status)).toEqual(["done"]);
    expect(await holding(restored?.role_id)).toEqual(fans.user_ids);
  }, 90_000);

  it("an occurrence cancelled by an exception while its channels live is cleaned up at once; the next one gets its own", async () => {
    const { g, start, ev, first } = await firstOccurrenceLive({ deletion_hours: 168 }, 1, (g, ev, start) => untilItem(g.guild_id, ev.id, `dm:${start}:3600`));

    // A member cancels this week's occurrence in the Events tab: Discord shows next week's (one UPDATE).
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/exceptions`, {
      body: { original_scheduled_start_time: new Date(start).toISOString(), is_canceled: true },
    });
    const next = start + WEEK;
    expect((await untilPlanned(g.guild_id, ev.id, "create")).dueAt).toBe(next - 15 * MIN);
    expect(await record(g.guild_id, ev.id)).toMatchObject({ state: "scheduled", start_at: next, text_id: null, role_id: null });
    // At once, not at its deletion time a week on.
    await untilRecord(g.guild_id, `${ev.id}@${start}`, (r) => r?.state === "done" || r?.state === "cancelled", "cancelled occurrence cleaned up");
    const after = await guildState(g.guild_id);
    expect(channelsIn(after, g.channels.category).map((c) => c.id)).not.toContain(first?.text_id);
    expect(after.guilds[0]?.roles.map((r) => r.id)).not.toContain(first?.role_id);
    // Its reminders are gone; next week's are planned.
    await untilItem(g.guild_id, ev.id, `dm:${next}:3600`);
    const pending = (await reminderTimer(g.guild_id, ev.id).list()).filter((i) => i.status === "pending").map((i) => i.key);
    expect(pending.filter((k) => k.startsWith(`dm:${start}:`))).toEqual([]);
    expect(await eventLog(g.guild_id, "scheduled_event.occurrence_cancelled")).toEqual([
      expect.objectContaining({ event_id: ev.id, start_at: start, next_start_at: next }),
    ]);
  }, 90_000);
});

/**
 * A guild with event channels (`settings`) and a weekly "Raid Night" starting on a minute 2 h ahead with `interested`
 * members, its first occurrence's channels made at T−15 min (after `before`, if given).
 */
async function firstOccurrenceLive(
  settings: Record<string, string | number>,
  interested: number,
  before?: (g: Fixture, ev: { id: string }, start: number) => Promise<unknown>,
) {
  const g = await newGuild();
  await setUp(g, settings);
  const start = Math.ceil((Date.now() + 2 * HOUR) / MIN) * MIN;
  const ev = await weeklyEvent(g, "Raid Night", start);
  const fans = await emu<{ user_ids: string[] }>(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: interested } });
  await untilPlanned(g.guild_id, ev.id, "create");
  await before?.(g, ev, start);
  expect(await runAt(g.guild_id, ev.id, start - 15 * MIN)).toBe(true);
  const first = await untilRecord(g.guild_id, ev.id, (r) => r?.state === "live", "first occurrence live");
  return { g, start, ev, fans, first };
}
