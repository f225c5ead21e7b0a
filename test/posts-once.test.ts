import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BudgetDeferred } from "../src/discord/rate-gate";
import { registry } from "../src/features";
import { cleanGuild } from "../src/features/custom-commands/cleanup";
import { createServices, type Services } from "../src/services";
import type { AgendaItem } from "../src/timers/agenda";
import { fullBudget } from "./budget-helpers";
import { emu, type Fixture, guildState, newGuild, WAIT_MS } from "./helpers";

const MIN = 60_000;
const DAY = 86_400_000;

/** One invocation's services: `at` is its clock; `timeoutMs` makes its REST client give up early (an answer lost). */
const services = (o: { at?: number; timeoutMs?: number } = {}): Services =>
  createServices(
    env,
    () => {},
    { ...registry, discordOptions: o.timeoutMs ? { timeout: o.timeoutMs, retries: 0 } : undefined },
    () => o.at ?? Date.now(),
  );

/** Runs one step of a timer kind, as the agenda would (a retry is simply another run of the same item). */
async function step(kind: string, payload: unknown, s: Services, attempts = 0): Promise<void> {
  const action = registry.timerKinds.get(kind);
  if (!action) throw new Error(`no kind ${kind}`);
  const item: AgendaItem = { key: "k", dueAt: s.now(), kind, payload, attempts, status: "pending", lastError: null, updatedAt: s.now() };
  await action.run(item as never, { services: s, now: s.now(), timerName: "test" });
}

type Msg = { id: string; content: string; embeds: { title?: string; description?: string }[] };
const messages = async (g: Fixture, channelId = g.channels.text) => ((await guildState(g.guild_id)).messages[channelId] ?? []) as unknown as Msg[];

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A guild with channel reminders on and one event, "Raid", 3 hours ahead in the core's mirror; `key` names one reminder. */
async function channelReminderGuild() {
  const g = await newGuild();
  const start = Date.now() + 3 * 3_600_000;
  await env.DB.prepare("INSERT INTO reminder_settings (guild_id, channel_id, updated_at) VALUES (?, ?, 0)").bind(g.guild_id, g.channels.text).run();
  await env.DB.prepare(
    "INSERT INTO scheduled_events (guild_id, event_id, name, entity_type, start_at, status, updated_at) VALUES (?, 'ev1', 'Raid', 3, ?, 1, 0)",
  )
    .bind(g.guild_id, start)
    .run();
  const key = (offset_s: number) => ({ guild_id: g.guild_id, event_id: "ev1", start_at: start, offset_s });
  return { g, start, key };
}

/** Discord takes the next post in the channel, but only after the bot's client has given up on it. */
const slowPost = (channelId: string) => emu("/_emulator/faults", { body: { path: `/channels/${channelId}/messages`, method: "POST", delayMs: 600, times: 1 } });
const age = (channelId: string, ms: number) => emu(`/_emulator/channels/${channelId}/age`, { body: { ms } });

describe("messages posted by timer steps go out once", () => {
  it("an audit post whose answer was lost, retried after the nonce window, is not posted again and the cursor moves on", async () => {
    const g = await newGuild();
    await env.DB.prepare("INSERT INTO guilds (guild_id, audit_channel_id, created_at, updated_at) VALUES (?, ?, 0, 0)").bind(g.guild_id, g.channels.text).run();
    const t = Date.now() - MIN;
    for (let i = 0; i < 3; i++)
      await env.DB.prepare("INSERT INTO event_log (id, guild_id, name, level, data, occurred_at) VALUES (?, ?, 'bot.config_changed', 'SYSTEM', ?, ?)")
        .bind(crypto.randomUUID(), g.guild_id, JSON.stringify({ setting: `s${i}` }), t + i)
        .run();
    await slowPost(g.channels.text);
    await expect(step("audit.flush", { guild_id: g.guild_id }, services({ timeoutMs: 200 }))).rejects.toThrow();
    await until(async () => (await messages(g)).length === 1, "the post to land");
    await age(g.channels.text, 10 * MIN);

    await step("audit.flush", { guild_id: g.guild_id }, services({ at: Date.now() + 5 * MIN }));
    await step("audit.flush", { guild_id: g.guild_id }, services({ at: Date.now() + 6 * MIN }));

    const posts = await messages(g);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.embeds[0]?.description?.match(/setting=s\d/g)).toEqual(["setting=s0", "setting=s1", "setting=s2"]);
  });

  it("a channel reminder retried after a lost answer is posted once (within the nonce window and after it) and replaces the previous", async () => {
    const { g, start, key } = await channelReminderGuild();

    // T−1h: the answer is lost; the agenda's retry 30 s later is inside Discord's nonce window.
    await slowPost(g.channels.text);
    await expect(step("reminders.channel", key(3600), services({ at: start - 3_600_000, timeoutMs: 200 }))).rejects.toThrow();
    await until(async () => (await messages(g)).length === 1, "the T−1h post to land");
    await step("reminders.channel", key(3600), services({ at: start - 3_600_000 + 30_000 }));
    const hour = await messages(g);
    expect(hour).toHaveLength(1);

    // T−0: the answer is lost again, and the retry comes 5 minutes later, past the nonce window.
    await slowPost(g.channels.text);
    await expect(step("reminders.channel", key(0), services({ at: start, timeoutMs: 200 }))).rejects.toThrow();
    await until(async () => (await messages(g)).some((m) => m.content.includes("starting now")), "the T−0 post to land");
    await age(g.channels.text, 10 * MIN);
    await step("reminders.channel", key(0), services({ at: start + 5 * MIN }));

    const now = await messages(g);
    expect(now.map((m) => m.content)).toEqual(["**Raid** is starting now!"]);
    const record = await env.DB.prepare("SELECT message_id FROM reminder_channel_posts WHERE guild_id = ?").bind(g.guild_id).first<{ message_id: string }>();
    expect(record?.message_id).toBe(now[0]?.id);
  });

  it("a channel reminder the REST budget put off is judged late again when it runs: posted within its minute, never after", async () => {
    const { g, start, key } = await channelReminderGuild();

    // T−1h on time, but the budget has no slot for a while: the agenda re-arms the item at the gate's time.
    const hour = start - 3_600_000;
    await expect(step("reminders.channel", key(3600), await fullBudget(services({ at: hour }), "critical", g.guild_id))).rejects.toBeInstanceOf(BudgetDeferred);
    // It runs again 5 minutes after its time: too late for "starts in 1 hour", nothing is posted.
    await step("reminders.channel", key(3600), services({ at: hour + 5 * MIN }));
    expect(await messages(g)).toEqual([]);

    // T−0 put off the same way, but run again within its minute: posted, once.
    await expect(step("reminders.channel", key(0), await fullBudget(services({ at: start }), "critical", g.guild_id))).rejects.toBeInstanceOf(BudgetDeferred);
    await step("reminders.channel", key(0), services({ at: start + 30_000 }));
    await step("reminders.channel", key(0), services({ at: start + 10 * MIN }));
    expect((await messages(g)).map((m) => m.content)).toEqual(["**Raid** is starting now!"]);
  });

  it("a channel reminder whose first two attempts failed (5xx) still goes out on its retry 90 s later, and not minutes after that", async () => {
    const { g, start, key } = await channelReminderGuild();
    const failing = (times: number) =>
      emu("/_emulator/faults", { body: { path: `/channels/${g.channels.text}/messages`, method: "POST", status: 500, times } });

    // T−0: Discord answers 500 at the start and at the agenda's retry 30 s on; the retry after 60 s more goes out.
    await failing(2);
    const once = { at: start, timeoutMs: 5_000 };
    await expect(step("reminders.channel", key(0), services(once))).rejects.toThrow();
    await expect(step("reminders.channel", key(0), services({ ...once, at: start + 30_000 }), 1)).rejects.toThrow();
    await step("reminders.channel", key(0), services({ ...once, at: start + 90_000 }), 2);
    expect((await messages(g)).map((m) => m.content)).toEqual(["**Raid** is starting now!"]);

    // T−1h failing once, its retry only 10 minutes on (the agenda backed off that long): too late for "in 1 hour".
    const hour = start - 3_600_000;
    await failing(1);
    await expect(step("reminders.channel", key(3600), services({ ...once, at: hour }))).rejects.toThrow();
    await step("reminders.channel", key(3600), services({ ...once, at: hour + 10 * MIN }), 4);
    expect((await messages(g)).map((m) => m.content)).toEqual(["**Raid** is starting now!"]);
  });

  it("two cleanup runs the same day (a cron fired twice) send each warning and the summary once", async () => {
    const g = await newGuild();
    await env.DB.prepare("INSERT INTO guilds (guild_id, audit_channel_id, created_at, updated_at) VALUES (?, ?, 0, 0)").bind(g.guild_id, g.channels.text).run();
    const now = Date.now();
    for (const name of ["one", "two"])
      await env.DB.prepare(
        "INSERT INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at, last_used_at, uses) VALUES (?, ?, 'x', ?, ?, ?, ?, 1)",
      )
        .bind(g.guild_id, name, g.member_id, now - 400 * DAY, now - 400 * DAY, now - 70 * DAY)
        .run();
    const reports = await Promise.all([cleanGuild(services(), g.guild_id, now), cleanGuild(services(), g.guild_id, now)]);
    expect(reports.map((r) => r.warned).sort()).toEqual([0, 2]);
    const state = (await guildState(g.guild_id)) as unknown as { dm_channels: Record<string, string> };
    expect((await messages(g, state.dm_channels[g.member_id])).map((m) => m.content.split("\n")[0])).toEqual([
      "Your custom commands in this server have not been used for a while:",
    ]);
    expect((await messages(g)).filter((m) => m.content.startsWith("🧹"))).toHaveLength(1);
  });
});
