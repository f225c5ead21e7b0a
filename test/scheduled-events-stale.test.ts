/** The guild-events core never takes an event back to an older description (a GUILD_CREATE set aside, a list in flight). */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { registry } from "../src/features";
import type { InboxRow } from "../src/gateway/inbox";
import type { GatewayRelay } from "../src/index";
import { oneOff } from "../src/scheduled-events/fixtures.test-util";
import { reconcileGuild } from "../src/scheduled-events/reconcile";
import { getScheduledEvent, writeScheduledEvent } from "../src/scheduled-events/storage";
import { createServices } from "../src/services";
import { timerOf as channelTimer, editEvent, HOUR, MIN, record, scheduleEvent, setUp, untilPlanned, useRelay } from "./event-channel-helpers";
import { emu, newGuild } from "./helpers";
import { privateRelay } from "./relay-helpers";
import { timerOf as reminderTimer, untilItem } from "./reminder-helpers";
import { mirror, untilMirror } from "./scheduled-event-helpers";

useRelay();

/** The parts of a relay object this test drives by hand: its queue entry handler and its set-aside snapshots. */
type RelayInternals = {
  handleEntry(row: InboxRow): Promise<unknown>;
  snapshots: { next(run: unknown, now: number): Promise<boolean>; count(): number };
  runPayload: unknown;
};
const internals = (r: GatewayRelay) => r as unknown as RelayInternals;

describe("guild-events core: a stale GUILD_CREATE", () => {
  it("reconciled after a newer UPDATE and DELETEs keeps the newer start and name, and brings no deleted event back", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Math.ceil((Date.now() + 3 * HOUR) / MIN) * MIN;
    const a = await scheduleEvent(g, "Raid", start);
    const b = await scheduleEvent(g, "Quiz", start);
    // Made while the bot was not listening: only the GUILD_CREATE below names it.
    const c = await scheduleEvent(g, "Ghost", start, start + HOUR, { silent: true });
    await untilMirror(g.guild_id, a.id, () => true);
    await untilMirror(g.guild_id, b.id, () => true);

    // A fresh IDENTIFY's GUILD_CREATE, received now and set aside by a relay (a storm keeps it waiting).
    const relay = await privateRelay();
    const d = { id: g.guild_id, name: "Guild", unavailable: false, channels: [], roles: [], members: [], voice_states: [], guild_scheduled_events: [a, b, c] };
    const row: InboxRow = {
      id: 1,
      kind: "dispatch",
      t: "GUILD_CREATE",
      s: 1,
      payload: JSON.stringify({ op: 0, t: "GUILD_CREATE", s: 1, d }),
      received_at: Date.now(),
      attempts: 0,
      done: [],
      guild_id: g.guild_id,
    };
    await runInDurableObject(relay, async (r: GatewayRelay) => {
      await internals(r).handleEntry(row);
      expect(internals(r).snapshots.count()).toBe(1);
    });
    await new Promise((r) => setTimeout(r, 5));

    // Meanwhile: the event is moved and renamed, another one and the silent one deleted (handled by the live relay).
    const moved = start + 2 * HOUR;
    await editEvent(g, a.id, {
      name: "Raid (moved)",
      scheduled_start_time: new Date(moved).toISOString(),
      scheduled_end_time: new Date(moved + HOUR).toISOString(),
    });
    await untilMirror(g.guild_id, a.id, (m) => m.start_at === moved);
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${b.id}`, { method: "DELETE" });
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${c.id}`, { method: "DELETE" });
    // Dispatches are handled in order: once this last change is mirrored, both DELETEs were handled.
    await editEvent(g, a.id, { description: "after the deletes" });
    await untilMirror(g.guild_id, a.id, (m) => (m as { description?: string | null }).description === "after the deletes");
    expect((await untilPlanned(g.guild_id, a.id, "create")).dueAt).toBe(moved - 15 * MIN);

    // Only now is the set-aside GUILD_CREATE reconciled.
    await runInDurableObject(relay, async (r: GatewayRelay) => {
      expect(await internals(r).snapshots.next(internals(r).runPayload, Date.now())).toBe(true);
      expect(internals(r).snapshots.count()).toBe(0);
    });
    expect(await mirror(g.guild_id, a.id)).toMatchObject({ name: "Raid (moved)", start_at: moved, status: 1, deleted_at: null });
    expect((await mirror(g.guild_id, b.id))?.deleted_at).not.toBeNull();
    const ghost = await mirror(g.guild_id, c.id);
    expect(ghost === null || ghost.deleted_at !== null).toBe(true);
    // The features keep the newer time: channels planned for it, reminders due before it; the deleted ones nothing.
    expect(await record(g.guild_id, a.id)).toMatchObject({ start_at: moved, state: "scheduled" });
    const create = (await channelTimer(g.guild_id, a.id).list()).filter((i) => i.key === "create" && i.status === "pending");
    expect(create.map((i) => i.dueAt)).toEqual([moved - 15 * MIN]);
    expect((await untilItem(g.guild_id, a.id, "dm:3600")).dueAt).toBe(moved - HOUR);
    expect((await reminderTimer(g.guild_id, c.id).list()).filter((i) => i.status === "pending")).toEqual([]);
    expect((await channelTimer(g.guild_id, c.id).list()).filter((i) => i.status === "pending")).toEqual([]);
    expect(await record(g.guild_id, c.id)).toBeNull();
  }, 60_000);

  it("a list taken before an UPDATE that was handled while it was in flight does not take the event back", async () => {
    const g = await newGuild();
    const start = Math.ceil((Date.now() + 3 * HOUR) / MIN) * MIN;
    const a = await scheduleEvent(g, "Raid", start);
    await untilMirror(g.guild_id, a.id, () => true);
    const listedAt = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    const moved = start + HOUR;
    await editEvent(g, a.id, { scheduled_start_time: new Date(moved).toISOString(), scheduled_end_time: new Date(moved + HOUR).toISOString() });
    await untilMirror(g.guild_id, a.id, (m) => m.start_at === moved);
    // The list's answer (the old time) is reconciled after the UPDATE.
    await reconcileGuild(
      createServices(env, () => undefined, registry),
      g.guild_id,
      [a as never],
      listedAt,
    );
    expect(await mirror(g.guild_id, a.id)).toMatchObject({ start_at: moved, status: 1, deleted_at: null });
    expect((await untilItem(g.guild_id, a.id, "dm:3600")).dueAt).toBe(moved - HOUR);
  });
});

describe("guild-events core: the mirror's write", () => {
  it("does not take an older look's interested count or time over a newer one that passed the same revision check", async () => {
    const ev = { ...oneOff, guild_id: `g-${crypto.randomUUID()}`, user_count: 5 };
    expect(await writeScheduledEvent(env.DB, ev, null, true, 1_000)).toBe(true);
    // Two looks read revision 1 and found nothing to report but the count: the newer (as of 3,000) writes first.
    expect(await writeScheduledEvent(env.DB, { ...ev, user_count: 9 }, 1, false, 3_000)).toBe(true);
    expect(await writeScheduledEvent(env.DB, { ...ev, user_count: 7 }, 1, false, 2_000)).toBe(false);
    const row = await getScheduledEvent(env.DB, ev.guild_id, ev.event_id);
    expect({ user_count: row?.user_count, updated_at: row?.updated_at }).toEqual({ user_count: 9, updated_at: 3_000 });
  });
});
