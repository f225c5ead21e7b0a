import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDiscord } from "../src/discord/rest";
import { registry } from "../src/features";
import worker from "../src/index";
import { registerCommands } from "../src/registration";
import { emu, newGuild, requestsTo } from "./helpers";

describe("command registration", () => {
  it("bulk-overwrites a guild's commands with a payload Discord's schema accepts", async () => {
    const g = await newGuild();
    const result = await registerCommands(createDiscord(env), env.DISCORD_APPLICATION_ID, registry.commands.values(), g.guild_id);
    expect(result.map((c) => c.name).sort()).toEqual([
      "about",
      "bot-config",
      "cc",
      "eventchannels",
      "match",
      "profile",
      "remind",
      "reminders",
      "subscribe",
      "team",
      "tournament",
      "unsubscribe",
      "voice-channel",
      "voice-config",
    ]);
    const [put] = await requestsTo(`/guilds/${g.guild_id}/commands`);
    expect(put?.status).toBe(200);
    const botConfig = ((put?.body ?? []) as { name: string; default_member_permissions: string | null; contexts: number[] }[]).find(
      (c) => c.name === "bot-config",
    );
    expect(botConfig).toMatchObject({ default_member_permissions: "32", contexts: [0] });
  });

  it("the registered definitions drive option types of real interactions", async () => {
    const g = await newGuild();
    await registerCommands(createDiscord(env), env.DISCORD_APPLICATION_ID, registry.commands.values(), g.guild_id);
    const prepared = await emu<{ body: string }>("/_emulator/interactions", {
      body: {
        kind: "command",
        name: "bot-config",
        subcommand: "audit-channel",
        options: { channel: g.channels.text },
        guild_id: g.guild_id,
        user_id: g.admin_id,
      },
    });
    const data = JSON.parse(prepared.body).data;
    expect(data.options[0]).toMatchObject({ name: "audit-channel", type: 1, options: [{ name: "channel", type: 7, value: g.channels.text }] });
  });
});

describe("cron", () => {
  it("runs the jobs of the fired trigger and records the run for /health", async () => {
    const old = Date.now() - 40 * 24 * 60 * 60_000;
    await env.DB.prepare("INSERT INTO event_log (id, guild_id, name, level, data, occurred_at) VALUES (?, NULL, 'timer.failed', 'CRITICAL', '{}', ?)")
      .bind(`old-${crypto.randomUUID()}`, old)
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "30 4 * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM event_log WHERE occurred_at < ?")
      .bind(old + 1)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    const run = await env.DB.prepare("SELECT job, last_status FROM cron_runs WHERE job = 'retention.arm'").first();
    expect(run).toEqual({ job: "retention.arm", last_status: "ok" });
    const health = (await (await worker.fetch(new Request("https://bot.test/health"), env, createExecutionContext())).json()) as {
      ok: boolean;
      version: string;
      d1: { ok: boolean };
      crons: { job: string }[];
      events: { valid: boolean };
    };
    expect(health).toMatchObject({ ok: true, version: "0.1.0", d1: { ok: true }, events: { valid: true } });
    expect(health.crons.map((c) => c.job)).toContain("retention.arm");
  });
});
