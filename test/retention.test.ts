import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { cronAndFanOut } from "./helpers";
import { gatewayControl, privateRelay, type Relay, ready } from "./relay-helpers";

const DAY = 86_400_000;
let relay: Relay;
let sessionId: string | null = null;
beforeAll(async () => {
  relay = await privateRelay();
  await relay.ensure([0, 1]);
  sessionId = (await ready(relay)).session_id;
});
afterAll(async () => {
  await relay.stop();
});

/** A guild id of its own (a snowflake the emulator does not know: only the dispatches this test sends concern it). */
const guildId = () => String(1_500_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e15)));
type Timer = TimerStub & DurableObjectStub<EventTimer>;
const retTimer = (g: string) => env.EVENT_TIMER.getByName(`ret:${g}`) as unknown as Timer;

async function runAt(t: Timer, at: number): Promise<void> {
  await runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => at;
  });
  await runDurableObjectAlarm(t);
}

const pending = async (t: Timer, key: string) => (await t.list()).find((i) => i.key === key && i.status === "pending") ?? null;

async function run(sql: string, ...binds: unknown[]) {
  await env.DB.prepare(sql)
    .bind(...binds)
    .run();
}

async function count(table: string, g: string, where = "1"): Promise<number> {
  return (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE guild_id = ? AND ${where}`).bind(g).first<{ n: number }>())?.n ?? 0;
}

/** Rows of every feature for guild `g`: one old (past retention) and one young of each kind that ages. */
async function seed(g: string, now: number) {
  const old = now - 40 * DAY;
  const young = now - 5 * DAY;
  await run("INSERT INTO guilds (guild_id, created_at, updated_at, joined_at) VALUES (?, ?, ?, ?)", g, old, old, old);
  for (const [id, at] of [
    [`old-${g}`, old],
    [`young-${g}`, young],
  ] as const)
    await run("INSERT INTO event_log (id, guild_id, name, level, data, occurred_at) VALUES (?, ?, 'bot.config_changed', 'SYSTEM', '{}', ?)", id, g, at);
  await run("INSERT INTO timers (name, guild_id, pending, next_due, updated_at) VALUES (?, ?, 1, ?, ?)", `rm:${g}:2`, g, now + DAY, old);
  for (const [ev, at] of [
    ["1", old],
    ["2", young],
  ] as const) {
    await run(
      "INSERT INTO scheduled_events (guild_id, event_id, name, entity_type, start_at, end_at, status, updated_at) VALUES (?, ?, 'Raid', 3, ?, ?, 3, ?)",
      g,
      ev,
      at,
      at + 3_600_000,
      at,
    );
    await run(
      "INSERT INTO reminder_deliveries (guild_id, event_id, start_at, user_id, offset_s, status, updated_at) VALUES (?, ?, ?, 'u1', 0, 'sent', ?)",
      g,
      ev,
      at,
      at,
    );
    await run("INSERT INTO reminder_event_members (guild_id, event_id, user_id, source, created_at) VALUES (?, ?, 'u1', 'interested', ?)", g, ev, at - DAY);
    await run(
      "INSERT INTO event_channel_events (guild_id, event_id, name, start_at, end_at, state, updated_at) VALUES (?, ?, 'Raid', ?, ?, 'done', ?)",
      g,
      ev,
      at,
      at + 3_600_000,
      at,
    );
  }
  // Live channels on Discord: kept whatever the age.
  await run(
    "INSERT INTO event_channel_events (guild_id, event_id, name, start_at, state, updated_at) VALUES (?, '3', 'Long', ?, 'live', ?)",
    g,
    now - 100 * DAY,
    old,
  );
  await run("INSERT INTO tournaments (guild_id, slug, name, created_at, updated_at) VALUES (?, 'cup', 'Cup', ?, ?)", g, old, old);
  const t = (await env.DB.prepare("SELECT id FROM tournaments WHERE guild_id = ?").bind(g).first<{ id: number }>())?.id;
  for (const [status, finished] of [
    ["finished", now - 120 * DAY],
    ["finished", young],
    ["scheduled", null],
  ] as const)
    await run(
      `INSERT INTO matches (guild_id, tournament_id, side_a_kind, side_a_id, side_a_name, side_b_kind, side_b_id, side_b_name, scheduled_at, status, created_at, updated_at, finished_at)
       VALUES (?, ?, 'member', 'a', 'A', 'member', 'b', 'B', ?, ?, ?, ?, ?)`,
      g,
      t,
      finished ?? now + DAY,
      status,
      old,
      finished ?? old,
      finished,
    );
  await run("INSERT INTO voice_settings (guild_id, category_id, updated_at) VALUES (?, 'c', ?)", g, old);
  await run("INSERT INTO voice_intents (guild_id, nonce, kind, name, owner_id, created_at) VALUES (?, 'n1', 'public', 'X', 'u', ?)", g, old);
  await run("INSERT INTO voice_intents (guild_id, nonce, kind, name, owner_id, created_at) VALUES (?, 'n2', 'public', 'Y', 'u', ?)", g, now - 60_000);
  await run(
    "INSERT INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at, last_used_at) VALUES (?, 'hi', 'hello', 'u', ?, ?, ?)",
    g,
    young,
    young,
    young,
  );
  // Settings and other rows that do not age: kept by the daily run, gone with the purge.
  await run("INSERT INTO reminder_subscriptions (guild_id, user_id, types, created_at, updated_at) VALUES (?, 'u1', '[\"all\"]', ?, ?)", g, old, old);
  await run("INSERT INTO reminder_settings (guild_id, updated_at) VALUES (?, ?)", g, old);
  await run("INSERT INTO event_channel_settings (guild_id, settings, updated_at) VALUES (?, '{}', ?)", g, old);
  await run("INSERT INTO webhooks (guild_id, id, url, secret, enabled, created_at) VALUES (?, 'w1', 'https://example.com/h', 's', 0, ?)", g, old);
  await run("INSERT INTO calendar_tokens (guild_id, token, created_at) VALUES (?, 't', ?)", g, old);
  await run("INSERT INTO voice_channels (guild_id, channel_id, kind, name, owner_id, created_at) VALUES (?, '9', 'public', 'V', 'u', ?)", g, old);
  await run("INSERT INTO teams (guild_id, tournament_id, name, role_id, created_at, updated_at) VALUES (?, ?, 'Reds', 'r', ?, ?)", g, t, old, old);
}

/** Every table's row count for the guild. */
async function snapshot(g: string) {
  const tables = [
    "guilds",
    "event_log",
    "timers",
    "scheduled_events",
    "reminder_deliveries",
    "reminder_event_members",
    "event_channel_events",
    "tournaments",
    "matches",
    "voice_settings",
    "voice_intents",
    "custom_commands",
    "reminder_subscriptions",
    "reminder_settings",
    "event_channel_settings",
    "webhooks",
    "calendar_tokens",
    "voice_channels",
    "teams",
  ];
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = await count(t, g);
  return out;
}

/** The daily cron, and its fan-out arming each guild's timer (the guilds' runs wait for their slots). */
const cron = (at: number) => cronAndFanOut("30 4 * * *", at);

async function dispatch(t: string, d: Record<string, unknown>, g: string) {
  await gatewayControl("dispatch", { t, d, guild_id: g, session_id: sessionId });
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const leftAt = async (g: string) =>
  (await env.DB.prepare("SELECT left_at FROM guilds WHERE guild_id = ?").bind(g).first<{ left_at: number | null }>())?.left_at ?? null;

describe("data retention", () => {
  it("prunes each table's old rows on the guild's own timer and keeps the young ones; the cron only arms the timer", async () => {
    const g = guildId();
    const now = Date.now();
    await seed(g, now);
    const before = await snapshot(g);
    await cron(now);
    // The cron enqueued, it did not prune: everything is still there, and the guild's timer waits for its slot.
    // (The cron's other jobs may log and its arming adds the timer's row: those two tables are not compared.)
    const { event_log: _l, timers: _t, ...data } = await snapshot(g);
    const { event_log: _l0, timers: _t0, ...dataBefore } = before;
    expect(data).toEqual(dataBefore);
    expect(await count("event_log", g, "id LIKE 'old-%'")).toBe(1);
    const item = await pending(retTimer(g), "daily");
    expect(item?.kind).toBe("retention.daily");
    expect(item?.dueAt).toBeGreaterThan(now);
    expect((item?.dueAt ?? 0) - now).toBeLessThanOrEqual(DAY);

    await runAt(retTimer(g), item?.dueAt as number);
    const after = await snapshot(g);
    expect(after).toEqual({
      ...before,
      event_log: after.event_log, // the young entry and what the cron's jobs logged (checked below)
      timers: after.timers,
      scheduled_events: 1,
      reminder_deliveries: 1,
      reminder_event_members: 1,
      event_channel_events: 2, // the young done one and the live one
      matches: 2, // the young finished match and the scheduled one
      voice_intents: 1,
    });
    expect(await count("event_log", g, "id LIKE 'young-%'")).toBe(1);
    expect(await count("event_log", g, "id LIKE 'old-%'")).toBe(0);
    expect(await count("event_channel_events", g, "state = 'live'")).toBe(1);
    // It re-armed itself for the next day's slot.
    expect((await pending(retTimer(g), "daily"))?.dueAt).toBe((item?.dueAt as number) + DAY);
  }, 30_000);

  it("trims DM channel ids nobody stored for half a year and keeps the others", async () => {
    const now = Date.now();
    const old = `u-old-${crypto.randomUUID()}`;
    const young = `u-young-${crypto.randomUUID()}`;
    await run("INSERT INTO dm_channels (user_id, channel_id, updated_at) VALUES (?, 'c1', ?), (?, 'c2', ?)", old, now - 181 * DAY, young, now - 10 * DAY);
    await cron(now);
    const left = await env.DB.prepare("SELECT user_id FROM dm_channels WHERE user_id IN (?, ?)").bind(old, young).all<{ user_id: string }>();
    expect(left.results.map((r) => r.user_id)).toEqual([young]);
  });

  it("deletes in bounded batches and continues on its timer until done", async () => {
    const g = guildId();
    const now = Date.now();
    await run("INSERT INTO guilds (guild_id, created_at, updated_at, joined_at) VALUES (?, ?, ?, ?)", g, now, now, now);
    await run(
      "INSERT INTO event_log (id, guild_id, name, level, data, occurred_at) SELECT ? || value, ?, 'bot.config_changed', 'SYSTEM', '{}', ? FROM generate_series(1, 1200)",
      `bulk-${g}-`,
      g,
      now - 40 * DAY,
    ).catch(async () => {
      // No generate_series in this SQLite: a recursive CTE instead.
      await run(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
         INSERT INTO event_log (id, guild_id, name, level, data, occurred_at) SELECT ? || i, ?, 'bot.config_changed', 'SYSTEM', '{}', ? FROM n`,
        `bulk-${g}-`,
        g,
        now - 40 * DAY,
      );
    });
    expect(await count("event_log", g)).toBe(1200);
    await cron(now);
    const due = (await pending(retTimer(g), "daily"))?.dueAt as number;
    await runAt(retTimer(g), due);
    expect(await count("event_log", g)).toBe(700);
    const next = (await pending(retTimer(g), "daily"))?.dueAt as number;
    expect(next - due).toBeLessThan(60_000);
    await runAt(retTimer(g), next);
    await runAt(retTimer(g), (await pending(retTimer(g), "daily"))?.dueAt as number);
    expect(await count("event_log", g)).toBe(0);
    expect((await pending(retTimer(g), "daily"))?.dueAt).toBe(due + DAY);
  }, 30_000);

  it("purges a guild 7 days after the bot was removed, and nothing of other guilds", async () => {
    const g = guildId();
    const other = guildId();
    const now = Date.now();
    await seed(g, now);
    await seed(other, now);
    const otherBefore = await snapshot(other);
    await dispatch("GUILD_DELETE", { id: g }, g);
    const left = (await until(
      () => leftAt(g),
      (v) => v !== null,
      "the removal",
    )) as number;
    const purge = await until(
      () => pending(retTimer(g), "purge"),
      (p) => p !== null,
      "the purge to be planned",
    );
    expect(purge?.dueAt).toBe(left + 7 * DAY);

    // Six days on: nothing is gone.
    await runAt(retTimer(g), left + 6 * DAY);
    expect((await snapshot(g)).guilds).toBe(1);
    expect((await snapshot(g)).custom_commands).toBe(1);
    // Seven days on: every feature's rows of that guild, then the guild's own row.
    for (let i = 0; i < 5 && (await pending(retTimer(g), "purge")); i++) await runAt(retTimer(g), left + 7 * DAY + i * 1000);
    expect(Object.values(await snapshot(g)).every((n) => n === 0)).toBe(true);
    expect(await count("match_events", g)).toBe(0);
    expect(await snapshot(other)).toEqual(otherBefore);
  }, 30_000);

  it("does not purge after a GUILD_DELETE that is an outage (unavailable)", async () => {
    const g = guildId();
    const now = Date.now();
    await seed(g, now);
    const before = await snapshot(g);
    await dispatch("GUILD_DELETE", { id: g, unavailable: true }, g);
    // Handled like the rest of the queue: a marker dispatch after it shows it is done.
    await dispatch("GUILD_DELETE", { id: "1" }, "1");
    await until(
      () => leftAt("1"),
      (v) => v !== null,
      "the marker",
    );
    expect(await leftAt(g)).toBeNull();
    expect(await pending(retTimer(g), "purge")).toBeNull();
    await runAt(retTimer(g), now + 8 * DAY);
    expect((await snapshot(g)).custom_commands).toBe(before.custom_commands);
    expect((await snapshot(g)).guilds).toBe(1);
  }, 30_000);

  it("calls the purge off when the bot is added back before it", async () => {
    const g = guildId();
    const now = Date.now();
    await seed(g, now);
    await dispatch("GUILD_DELETE", { id: g }, g);
    await until(
      () => pending(retTimer(g), "purge"),
      (p) => p !== null,
      "the purge to be planned",
    );
    await dispatch("GUILD_CREATE", { id: g, name: "Back", unavailable: false, channels: [], roles: [], voice_states: [], guild_scheduled_events: [] }, g);
    await until(
      () => leftAt(g),
      (v) => v === null,
      "the rejoin",
    );
    await until(
      () => pending(retTimer(g), "purge"),
      (p) => p === null,
      "the purge to be cancelled",
    );
    expect((await pending(retTimer(g), "daily"))?.kind).toBe("retention.daily");
    // A replayed removal (the same dispatch twice) would not have moved the purge either: see markGuildLeft.
    await runAt(retTimer(g), now + 8 * DAY);
    const after = await snapshot(g);
    expect(after.guilds).toBe(1);
    expect(after.custom_commands).toBe(1);
    expect(after.voice_settings).toBe(1);
  }, 30_000);
});
