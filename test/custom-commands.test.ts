import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { create, data, run } from "./custom-command-helpers";
import { asAdmin, cronAndFanOut, emu, type Fixture, guildState, interact, newGuild } from "./helpers";

const DAY = 86_400_000;

describe("/cc", () => {
  it("creates with a modal, runs (public, counted), edits with the text pre-filled, and deletes", async () => {
    const g = await newGuild();
    expect(await create(g, g.member_id, "greet", "Hello there!")).toContain("Created `greet`");
    const r = await run(g, g.admin_id, "greet");
    expect(r.response).toEqual({ type: 4, data: { content: "Hello there!", allowed_mentions: { parse: [] } } });
    const edit = await interact({ kind: "command", name: "cc", subcommand: "edit", options: { name: "greet" }, guild_id: g.guild_id, user_id: g.member_id });
    expect(data(edit).components?.[0]?.components[0]?.value).toBe("Hello there!");
    await interact({ kind: "modal", custom_id: data(edit).custom_id, fields: { response: "Hi!" }, guild_id: g.guild_id, user_id: g.member_id });
    expect(data(await run(g, g.member_id, "greet")).content).toBe("Hi!");
    const row = await env.DB.prepare("SELECT uses, creator_id FROM custom_commands WHERE guild_id = ? AND name = 'greet'").bind(g.guild_id).first();
    expect(row).toEqual({ uses: 2, creator_id: g.member_id });
    const del = await interact({ kind: "command", name: "cc", subcommand: "delete", options: { name: "greet" }, guild_id: g.guild_id, user_id: g.member_id });
    expect(data(del).content).toBe("Deleted `greet`.");
    expect(data(await run(g, g.member_id, "greet")).content).toBe("There is no custom command `greet` here.");
  });

  it("refuses bad names and duplicates, and lets only the creator or an admin change a command", async () => {
    const g = await newGuild();
    const carol = (await emu<{ id: string }>("/_emulator/users", { body: { username: "carol", guild_id: g.guild_id } })).id;
    expect(await create(g, g.member_id, "Has Space", "x")).toContain("Discord's command-name rules");
    expect(await create(g, g.member_id, "x".repeat(33), "x")).toContain("Discord's command-name rules");
    await create(g, g.member_id, "rules", "Be nice.");
    expect(await create(g, carol, "rules", "Mine now")).toContain("already exists");
    const edit = await interact({ kind: "command", name: "cc", subcommand: "edit", options: { name: "rules" }, guild_id: g.guild_id, user_id: carol });
    expect(data(edit).content).toContain("Only its creator");
    const adminDelete = await asAdmin(g, "cc", "delete", { name: "rules" });
    expect(data(adminDelete).content).toBe("Deleted `rules`.");
  });

  it("keeps guilds apart: guild B cannot run or edit guild A's commands", async () => {
    const a = await newGuild();
    const b = await newGuild();
    await create(a, a.member_id, "secret", "A only");
    expect(data(await run(b, b.member_id, "secret")).content).toBe("There is no custom command `secret` here.");
    const edit = await interact({ kind: "command", name: "cc", subcommand: "edit", options: { name: "secret" }, guild_id: b.guild_id, user_id: b.admin_id });
    expect(data(edit).content).toBe("There is no custom command `secret` here.");
    // A forged modal submit from guild B for A's command changes nothing.
    await interact({ kind: "modal", custom_id: "cc:edit:secret", fields: { response: "hijacked" }, guild_id: b.guild_id, user_id: b.admin_id });
    expect(data(await run(a, a.member_id, "secret")).content).toBe("A only");
  });
});

describe("daily custom command cleanup", () => {
  async function seed(g: Fixture, creator: string, name: string, idleDays: number, now: number) {
    await env.DB.prepare(
      "INSERT INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at, last_used_at, uses) VALUES (?, ?, 'x', ?, ?, ?, ?, 3)",
    )
      .bind(g.guild_id, name, creator, now - 400 * DAY, now - 400 * DAY, now - idleDays * DAY)
      .run();
  }
  /** The daily cron at `at`, and the guild's cleanup it queued on the guild's own timer. */
  const cron = (at: number, g: Fixture) => cronAndFanOut("30 4 * * *", at, [`cc:${g.guild_id}`]);
  const names = async (g: Fixture) =>
    (
      await env.DB.prepare("SELECT name, warned_at FROM custom_commands WHERE guild_id = ? ORDER BY name")
        .bind(g.guild_id)
        .all<{ name: string; warned_at: number | null }>()
    ).results;
  async function dms(g: Fixture, userId: string) {
    const state = (await guildState(g.guild_id)) as unknown as { dm_channels: Record<string, string>; messages: Record<string, { content: string }[]> };
    const ch = state.dm_channels[userId];
    return ch ? (state.messages[ch] ?? []).map((m) => m.content) : [];
  }

  it("warns at 60 and 89 days (once), deletes at 90, leaves 59, and reports to the audit channel", async () => {
    const g = await newGuild();
    await asAdmin(g, "bot-config", "audit-channel", { channel: g.channels.text });
    const closed = (await emu<{ id: string }>("/_emulator/users", { body: { username: "closed", guild_id: g.guild_id, dms_closed: true } })).id;
    const now = Date.now();
    for (const [name, days] of [
      ["fresh", 59],
      ["sixty", 60],
      ["eightynine", 89],
      ["ninety", 90],
    ] as const)
      await seed(g, g.member_id, name, days, now);
    await seed(g, closed, "gone", 120, now);
    await cron(now, g);
    const after = await names(g);
    expect(after.map((r) => [r.name, r.warned_at !== null])).toEqual([
      ["eightynine", true],
      ["fresh", false],
      ["sixty", true],
    ]);
    const mine = await dms(g, g.member_id);
    expect(mine).toHaveLength(2);
    expect(mine[0]).toContain("`sixty` — unused for 60 days; deleted in 30 days");
    expect(mine[0]).toContain("`eightynine` — unused for 89 days; deleted in 1 days");
    expect(mine[1]).toContain("`ninety` — used 3 times");
    const audit = (await guildState(g.guild_id)).messages[g.channels.text]?.map((m) => m.content).filter(Boolean) ?? [];
    expect(audit.at(-1)).toContain("2 warned, 2 deleted (1 DMs could not be delivered); 3 commands remain");
    // The next day: "fresh" reaches 60 (its first warning), "eightynine" reaches 90 (deleted); "sixty" is not warned again.
    await cron(now + DAY, g);
    const later = (await dms(g, g.member_id)).slice(2);
    expect(later).toHaveLength(2);
    expect(later[0]).toContain("`fresh` — unused for 60 days");
    expect(later[0]).not.toContain("sixty");
    expect(later[1]).toContain("`eightynine` — used 3 times");
    expect((await names(g)).map((r) => r.name)).toEqual(["fresh", "sixty"]);
  });

  it("a use clears the warning and starts a new idle period", async () => {
    const g = await newGuild();
    const now = Date.now();
    await seed(g, g.member_id, "keep", 60, now);
    await cron(now, g);
    expect((await names(g))[0]?.warned_at).not.toBeNull();
    await run(g, g.member_id, "keep");
    expect((await names(g))[0]?.warned_at).toBeNull();
  });
});
