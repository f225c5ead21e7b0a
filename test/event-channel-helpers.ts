/** Helpers for event-channel tests: set a guild up, schedule events as a member would, run an event's timer at a given time. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, expect } from "vitest";
import type { EventRecord } from "../src/features/event-channels/storage";
import type { EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { asAdmin, emu, type Fixture, type guildState, WAIT_MS } from "./helpers";
import { privateRelay, type Relay, ready } from "./relay-helpers";

/** One relay for the file, so scheduled-event changes made in the emulator reach this file's Worker; the accessor gives it to tests that drive it. */
export function useRelay(): () => Relay {
  let relay: Relay | undefined;
  beforeAll(async () => {
    relay = await privateRelay();
    await relay.ensure([0, 1]);
    await ready(relay);
  });
  afterAll(async () => {
    await relay?.stop();
  });
  return () => {
    if (!relay) throw new Error("the file's relay is set up in beforeAll");
    return relay;
  };
}

export const HOUR = 3_600_000;
export const MIN = 60_000;

export async function setUp(g: Fixture, extra: Record<string, string | number> = {}) {
  const r = await asAdmin(g, "eventchannels", "category", { category: g.channels.category });
  expect(r.valid).toBe(true);
  for (const [setting, value] of Object.entries(extra)) {
    await asAdmin(g, "eventchannels", "set", { setting, value: String(value) });
  }
}

export async function scheduleEvent(g: Fixture, name: string, startAt: number, endAt: number | null = startAt + HOUR, opts: { silent?: boolean } = {}) {
  return emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
    body: { name, scheduled_start_time: new Date(startAt).toISOString(), ...(endAt ? { scheduled_end_time: new Date(endAt).toISOString() } : {}), ...opts },
  });
}

/** Changes an event as a member with Manage Events would (the gateway then sends an UPDATE). */
export function editEvent(g: Fixture, eventId: string, patch: Record<string, unknown>) {
  return emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${eventId}`, { method: "PATCH", body: patch });
}

/** Waits for the event's record to match, running its alarm whenever something is due (cleanups are due "now"). */
export async function untilRecord(guildId: string, eventId: string, ok: (r: Awaited<ReturnType<typeof record>>) => boolean, what = "record") {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const r = await record(guildId, eventId);
    if (ok(r)) {
      // The divider work the step queued on the guild's timer (due at the step's clock).
      if ((await guildTimerOf(guildId).nextAlarm()) !== null) await runDurableObjectAlarm(guildTimerOf(guildId));
      return r;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(r)}`);
    const t = timerOf(guildId, eventId);
    const due = await t.nextAlarm();
    if (due !== null && due <= Date.now()) await runDurableObjectAlarm(t);
    else await new Promise((res) => setTimeout(res, 10));
  }
}

/** A set-up guild with one scheduled event whose creation step is planned (channels not made yet). */
export async function plannedEvent(g: Fixture, name: string, start = Date.now() + 2 * HOUR) {
  await setUp(g);
  const ev = await scheduleEvent(g, name, start);
  await untilPlanned(g.guild_id, ev.id, "create");
  return { ev, start };
}

/** A set-up guild with one event whose channels exist: what the change tests start from. */
export async function liveEvent(g: Fixture, name = "Raid Night", interested = 2, settings: Record<string, string | number> = {}) {
  await setUp(g, settings);
  const start = Date.now() + 2 * HOUR;
  const ev = await scheduleEvent(g, name, start);
  const fans = await emu<{ user_ids: string[] }>(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: interested } });
  await untilPlanned(g.guild_id, ev.id, "create");
  expect(await runAt(g.guild_id, ev.id, start - 15 * MIN)).toBe(true);
  const rec = await record(g.guild_id, ev.id);
  expect(rec?.state).toBe("live");
  return { ev, start, fans: fans.user_ids, rec: rec as NonNullable<typeof rec>, voiceIds: JSON.parse(rec?.voice_ids ?? "[]") as string[] };
}

export function timerOf(guildId: string, eventId: string) {
  return env.EVENT_TIMER.getByName(`ec:${guildId}:${eventId}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;
}

/** Waits for the relay to hand the dispatch over: the event's timer then holds `key`. */
export async function untilPlanned(guildId: string, eventId: string, key: string) {
  const t = timerOf(guildId, eventId);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const items = await t.list();
    const item = items.find((i) => i.key === key && i.status === "pending");
    if (item) return item;
    if (Date.now() > deadline) throw new Error(`no pending ${key} on ec:${guildId}:${eventId}; agenda ${JSON.stringify(items)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The guild's own timer, which owns the divider (the one object a guild's events share). */
export function guildTimerOf(guildId: string) {
  return env.EVENT_TIMER.getByName(`ecg:${guildId}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;
}

/** Runs the event's alarm as if the clock read `at`, then the guild timer's (the divider work it queued). */
export async function runAt(guildId: string, eventId: string, at: number) {
  const t = timerOf(guildId, eventId);
  const guild = guildTimerOf(guildId);
  for (const timer of [t, guild]) {
    await runInDurableObject(timer, (instance: EventTimer) => {
      instance.clock = () => at;
    });
  }
  const ran = await runDurableObjectAlarm(t);
  await runDurableObjectAlarm(guild);
  return ran;
}

export async function record(guildId: string, eventId: string) {
  return env.DB.prepare("SELECT * FROM event_channel_events WHERE guild_id = ? AND event_id = ?")
    .bind(guildId, eventId)
    .first<EventRecord & { voice_ids: string }>();
}

export async function eventLog(guildId: string, name: string) {
  const rows = await env.DB.prepare("SELECT data FROM event_log WHERE guild_id = ? AND name = ?").bind(guildId, name).all<{ data: string }>();
  return rows.results.map((r) => JSON.parse(r.data));
}

export const channelsIn = (state: Awaited<ReturnType<typeof guildState>>, parentId: string) =>
  (state.guilds[0]?.channels ?? []).filter((c) => (c as { parent_id?: string }).parent_id === parentId) as {
    id: string;
    name: string;
    type: number;
    user_limit?: number;
    permission_overwrites: { id: string; allow: string; deny: string }[];
  }[];
