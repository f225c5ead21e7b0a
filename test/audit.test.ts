import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { registry } from "../src/features";
import type { EventTimer } from "../src/index";
import { createServices } from "../src/services";
import type { TimerStub } from "../src/timers/client";
import { asAdmin, type Fixture, guildState, interact, newGuild, WAIT_MS } from "./helpers";

async function withAudit(level?: string): Promise<Fixture> {
  const g = await newGuild();
  await asAdmin(g, "bot-config", "audit-channel", { channel: g.channels.text });
  if (level) await interact({ kind: "command", name: "bot-config", subcommand: "event-level", options: { level }, guild_id: g.guild_id, user_id: g.admin_id });
  return g;
}

async function flushAll(guildId: string) {
  const t = env.EVENT_TIMER.getByName(`audit:${guildId}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;
  const deadline = Date.now() + WAIT_MS;
  while (!(await t.list()).some((i) => i.status === "pending")) {
    if (Date.now() > deadline) throw new Error("no flush planned");
    await new Promise((r) => setTimeout(r, 10));
  }
  await runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => Date.now() + 60_000;
  });
  while ((await t.nextAlarm()) !== null) await runDurableObjectAlarm(t);
}

type Embedded = { content: string; embeds: { title?: string; description?: string; color?: number }[] };
const posts = async (g: Fixture) => ((await guildState(g.guild_id)).messages[g.channels.text] ?? []) as unknown as Embedded[];

describe("the audit-channel sink", () => {
  it("coalesces 20 events from 2 seconds into one message", async () => {
    const g = await withAudit();
    const background: Promise<unknown>[] = [];
    const s = createServices(env, (p) => background.push(p), registry);
    const before = (await posts(g)).length;
    for (let i = 0; i < 20; i++) await s.bus.emit("bot.config_changed", { setting: `test.${i}`, value: i }, { guildId: g.guild_id, userId: g.admin_id });
    await Promise.all(background);
    await flushAll(g.guild_id);
    const after = (await posts(g)).slice(before);
    const mine = after.filter((m) => m.embeds[0]?.description?.includes("test.0"));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.embeds[0]?.title).toMatch(/^2\d bot events$/);
    expect(mine[0]?.embeds[0]?.description?.match(/setting=test\.\d+/g)).toHaveLength(20);
  });

  it("posts only what the guild's level lets through; CRITICAL always gets there", async () => {
    const g = await withAudit("CRITICAL");
    const background: Promise<unknown>[] = [];
    const s = createServices(env, (p) => background.push(p), registry);
    await s.bus.emit("bot.config_changed", { setting: "quiet", value: 1 }, { guildId: g.guild_id, userId: g.admin_id });
    await s.bus.emit("interaction.failed", { ref: "abc12345", error: new Error("boom") }, { guildId: g.guild_id, interactionType: 2 });
    await Promise.all(background);
    await flushAll(g.guild_id);
    const text = (await posts(g)).map((m) => m.embeds[0]?.description ?? "").join("\n");
    expect(text).toContain("`interaction.failed` ref=abc12345");
    expect(text).not.toContain("setting=quiet");
    const critical = (await posts(g)).find((m) => m.embeds[0]?.description?.includes("interaction.failed"));
    expect(critical?.embeds[0]?.color).toBe(0xed4245);
  });

  it("never carries an internal error's text to the channel (only Discord's own answers are shown)", async () => {
    const g = await withAudit("CRITICAL");
    const background: Promise<unknown>[] = [];
    const s = createServices(env, (p) => background.push(p), registry);
    const internal = new Error("D1_ERROR: no such column: secret_col in SELECT * FROM webhooks WHERE url = 'https://hooks.example/abc'");
    await s.bus.emit("interaction.failed", { ref: "def67890", error: internal }, { guildId: g.guild_id, interactionType: 2 });
    await Promise.all(background);
    await flushAll(g.guild_id);
    const text = JSON.stringify(await posts(g));
    expect(text).toContain("ref=def67890");
    expect(text).not.toContain("secret_col");
    expect(text).not.toContain("hooks.example");
    const stored = await env.DB.prepare("SELECT data FROM event_log WHERE guild_id = ? AND name = 'interaction.failed'")
      .bind(g.guild_id)
      .first<{ data: string }>();
    expect(JSON.parse(stored?.data ?? "{}").error).toEqual({ name: "Error" });
  });
});
