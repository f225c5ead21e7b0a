/** Reminder test steps: subscriptions written directly, the event's reminder timer run at a chosen time, a member's DMs. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { type Fixture, guildState, interact, WAIT_MS } from "./helpers";

export type Msg = { id: string; content: string; embeds: { title?: string; description?: string; url?: string; fields?: { name: string; value: string }[] }[] };

export function timerOf(guildId: string, eventId: string) {
  return env.EVENT_TIMER.getByName(`rm:${guildId}:${eventId}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;
}

/** Waits until the relay has handed the event over and its reminder items are planned. */
export async function untilItem(guildId: string, eventId: string, key: string, waitMs = WAIT_MS) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const item = (await timerOf(guildId, eventId).list()).find((i) => i.key === key && i.status === "pending");
    if (item) return item;
    if (Date.now() > deadline) throw new Error(`no pending ${key}: ${JSON.stringify(await timerOf(guildId, eventId).list())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs the event's reminder alarm as if the clock read `at`, until nothing more is due then (fan-outs continue in chunks). */
export async function runAt(guildId: string, eventId: string, at: number) {
  const t = timerOf(guildId, eventId);
  await runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => at;
  });
  let runs = 0;
  while (runs < 50) {
    const next = await t.nextAlarm();
    if (next === null || next > at) break;
    await runDurableObjectAlarm(t);
    runs++;
  }
  return runs;
}

export async function subscribeDirect(g: Fixture, userId: string, types: string[], offsets: number[] = [], optOut = false) {
  await env.DB.prepare(
    "INSERT OR REPLACE INTO reminder_subscriptions (guild_id, user_id, types, offsets, interested_opt_out, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0)",
  )
    .bind(g.guild_id, userId, JSON.stringify(types), JSON.stringify(offsets), optOut ? 1 : 0)
    .run();
}

/** The DMs a user received (messages in their DM channel). */
export async function dms(g: Fixture, userId: string): Promise<Msg[]> {
  const state = (await guildState(g.guild_id)) as unknown as { dm_channels: Record<string, string>; messages: Record<string, Msg[]> };
  const channel = state.dm_channels[userId];
  return channel ? (state.messages[channel] ?? []) : [];
}

/** A member picks values in one of the /subscribe view's select menus (`rm:types`, `rm:offsets`). */
export function choose(g: Fixture, userId: string, messageId: string, customId: string, values: string[]) {
  return interact({ kind: "component", custom_id: customId, component_type: 3, values, message_id: messageId, guild_id: g.guild_id, user_id: userId });
}
