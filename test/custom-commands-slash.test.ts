import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BudgetDeferred } from "../src/discord/rate-gate";
import { createDiscord } from "../src/discord/rest";
import { registry } from "../src/features";
import { cleanGuild } from "../src/features/custom-commands/cleanup";
import { afterChange, syncLater } from "../src/features/custom-commands/slash";
import type { EventTimer } from "../src/index";
import { registerCommands } from "../src/registration";
import { createServices } from "../src/services";
import type { TimerStub } from "../src/timers/client";
import { fullBudget } from "./budget-helpers";
import { create, data } from "./custom-command-helpers";
import { asAdmin, cronAndFanOut, emu, type Fixture, interact, newGuild, requestsTo, WAIT_MS } from "./helpers";

const slashNames = async (g: Fixture) => {
  const puts = (await requestsTo(`/guilds/${g.guild_id}/commands`)).filter((r) => r.method === "PUT" && r.status === 200);
  return ((puts.at(-1)?.body ?? []) as { name: string }[]).map((c) => c.name);
};
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const asSlash = (g: Fixture, userId: string, name: string) => interact({ kind: "command", name, guild_id: g.guild_id, user_id: userId });

describe("custom commands as guild slash commands (optional)", () => {
  it("off by default; on → one bulk overwrite with every custom command, `/name` answers and counts", async () => {
    const g = await newGuild();
    await create(g, g.member_id, "rules", "Be nice.");
    await create(g, g.member_id, "about", "Shadowed name");
    expect(await slashNames(g)).toEqual([]);
    expect(data(await asSlash(g, g.member_id, "rules")).content).toContain("Unknown command");
    const on = await asAdmin(g, "cc", "slash", { enabled: true });
    expect(data(on).content).toContain("Registered 1 custom command");
    expect(data(on).content).toContain("`about`"); // the bot's own /about keeps its name
    expect(await slashNames(g)).toEqual(["rules"]);
    const used = await asSlash(g, g.member_id, "rules");
    expect(used.response).toEqual({ type: 4, data: { content: "Be nice.", allowed_mentions: { parse: [] } } });
    const row = await env.DB.prepare("SELECT uses FROM custom_commands WHERE guild_id = ? AND name = 'rules'").bind(g.guild_id).first();
    expect(row).toEqual({ uses: 1 });
    // Create and delete re-register; the bot's own commands still win their names.
    expect(await create(g, g.member_id, "faq", "Read the pins.")).toContain("`/faq` or `/cc run name:faq`");
    expect(await slashNames(g)).toEqual(["faq", "rules"]);
    await asAdmin(g, "cc", "delete", { name: "rules" });
    expect(await slashNames(g)).toEqual(["faq"]);
    expect(data(await asSlash(g, g.member_id, "rules")).content).toContain("Unknown command");
    const off = await asAdmin(g, "cc", "slash", { enabled: false });
    expect(data(off).content).toContain("no longer registered");
    expect(await slashNames(g)).toEqual([]);
  });

  it("the daily cleanup's deletions leave the server's slash commands too", async () => {
    const g = await newGuild();
    await create(g, g.member_id, "old", "Unused for months");
    await create(g, g.member_id, "fresh", "Used");
    await asAdmin(g, "cc", "slash", { enabled: true });
    const long = Date.now() - 91 * 86_400_000;
    await env.DB.prepare("UPDATE custom_commands SET created_at = ?, last_used_at = ? WHERE guild_id = ? AND name = 'old'").bind(long, long, g.guild_id).run();
    await cronAndFanOut("30 4 * * *", Date.now(), [`cc:${g.guild_id}`]);
    expect(await slashNames(g)).toEqual(["fresh"]);
  });

  it("only Manage Server turns it on; guild B cannot run guild A's `/name`", async () => {
    const a = await newGuild();
    const b = await newGuild();
    const member = await interact({ kind: "command", name: "cc", subcommand: "slash", options: { enabled: true }, guild_id: a.guild_id, user_id: a.member_id });
    expect(data(member).content).toContain("Manage Server");
    await create(a, a.member_id, "secret", "A's answer");
    await asAdmin(a, "cc", "slash", { enabled: true });
    expect(data(await asSlash(b, b.member_id, "secret")).content).toContain("Unknown command");
  });

  it("keeps the bot's own commands registered for the server (the README's test set-up) and puts the custom ones after them", async () => {
    const g = await newGuild();
    await registerCommands(createDiscord(env), env.DISCORD_APPLICATION_ID, registry.commands.values(), g.guild_id);
    const own = [...registry.commands.keys()].sort();
    await asAdmin(g, "cc", "slash", { enabled: true });
    await create(g, g.member_id, "faq", "Read the pins.");
    const names = await slashNames(g);
    expect(names.slice(0, own.length).sort()).toEqual(own);
    expect(names).toContain("faq");
    // The bot's own commands still answer.
    expect((await asAdmin(g, "bot-config", "view")).valid).toBe(true);
    // Turning it off removes only the custom ones.
    await asAdmin(g, "cc", "slash", { enabled: false });
    expect((await slashNames(g)).sort()).toEqual(own);
  });

  it("fills Discord's 100 with custom commands after the bot's own, the most used first", async () => {
    const g = await newGuild();
    await registerCommands(createDiscord(env), env.DISCORD_APPLICATION_ID, registry.commands.values(), g.guild_id);
    const rows = Array.from({ length: 120 }, (_, i) =>
      env.DB.prepare("INSERT INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at, uses) VALUES (?, ?, 'x', ?, 0, 0, ?)").bind(
        g.guild_id,
        `cmd-${String(i).padStart(3, "0")}`,
        g.member_id,
        i,
      ),
    );
    await env.DB.batch(rows);
    const on = await asAdmin(g, "cc", "slash", { enabled: true });
    expect(on.valid).toBe(true);
    const names = await slashNames(g);
    expect(names).toHaveLength(100);
    for (const own of registry.commands.keys()) expect(names).toContain(own);
    expect(names).toContain("cmd-119");
    expect(names).not.toContain("cmd-000");
    expect(data(on).content).toMatch(/\d+ not registered/);
    expect(data(on).content?.length).toBeLessThanOrEqual(2000);
  });
});

/** Services whose background calls find the REST budget full for the next 10 s (a private gate: see budget-helpers). */
const fullBudgetServices = (guildId: string) =>
  fullBudget(
    createServices(env, () => undefined, registry),
    "background",
    guildId,
  );

const ccTimer = (g: Fixture) => env.EVENT_TIMER.getByName(`cc:${g.guild_id}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;

/** Runs the guild's custom-command timer, its clock 15 s ahead (when the private gate has room again), until nothing is due. */
async function runDueNow(g: Fixture) {
  const t = ccTimer(g);
  await runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => Date.now() + 15_000;
  });
  const deadline = Date.now() + WAIT_MS;
  while ((await t.list()).some((i) => i.status === "pending" && i.dueAt <= Date.now() + 15_000)) {
    if (Date.now() > deadline) throw new Error(`still due: ${JSON.stringify(await t.list())}`);
    await runDurableObjectAlarm(t);
  }
}

describe("a slash sync the REST budget defers is made later, never dropped", () => {
  it("a create's sync with no slot for a while runs on the guild's timer once the budget has room", async () => {
    const g = await newGuild();
    await asAdmin(g, "cc", "slash", { enabled: true });
    await create(g, g.member_id, "rules", "Be nice.");
    expect(await slashNames(g)).toEqual(["rules"]);
    await env.DB.prepare("INSERT INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at) VALUES (?, 'faq', 'x', ?, 0, 0)")
      .bind(g.guild_id, g.member_id)
      .run();
    const note = await afterChange(await fullBudgetServices(g.guild_id), g.guild_id);
    // Not a failure the member has to repeat: it is on its way.
    expect(note).toContain("updated in a moment");
    expect(await slashNames(g)).toEqual(["rules"]);
    const settings = await env.DB.prepare("SELECT last_error FROM custom_command_settings WHERE guild_id = ?").bind(g.guild_id).first();
    expect(settings).toEqual({ last_error: null });
    await runDueNow(g);
    expect(await slashNames(g)).toEqual(["faq", "rules"]);
  });

  it("a sync on the guild's timer still writing what it read before `/cc slash enabled:false` does not leave the commands registered", async () => {
    const g = await newGuild();
    await create(g, g.member_id, "rules", "Be nice.");
    await asAdmin(g, "cc", "slash", { enabled: true });
    expect(await slashNames(g)).toEqual(["rules"]);
    // A deferred sync runs on the guild's timer; Discord takes its write only after 4 s.
    const s = createServices(env, () => {}, registry);
    await syncLater(s, g.guild_id, Date.now());
    const path = `/applications/${env.DISCORD_APPLICATION_ID}/guilds/${g.guild_id}/commands` as const;
    await emu("/_emulator/faults", { body: { path, method: "PUT", delayMs: 4_000, times: 1 } });
    const reads = async () => (await requestsTo(`/guilds/${g.guild_id}/commands`)).filter((r) => r.method === "GET").length;
    const before = await reads();
    const timer = env.EVENT_TIMER.getByName(`cc:${g.guild_id}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;
    // The timer's alarm fires by itself (the sync is due): wait for its read, then give its PUT time to be on the way.
    await until(async () => (await reads()) > before, "the timer's sync to read the commands");
    await new Promise((r) => setTimeout(r, 300));
    // Meanwhile the admin turns it off: that write lands first.
    expect(data(await asAdmin(g, "cc", "slash", { enabled: false })).content).toContain("no longer registered");
    // Until every write has landed and the timer has nothing left to sync.
    await until(async () => {
      const inFlight = (await requestsTo(path)).some((r) => r.method === "PUT" && r.status === 0);
      const pending = (await timer.list()).some((x) => x.key === "slash-sync" && x.status === "pending");
      if (pending && !inFlight) await runDurableObjectAlarm(timer);
      return !inFlight && !pending;
    }, "the syncs to settle");
    // What Discord has registered in the end (the request log's order is arrival, not when each write took effect).
    const registered = await createDiscord(env).get<{ name: string }[]>(path);
    expect(registered.map((c) => c.name)).not.toContain("rules");
  });

  it("a cleanup step cut by the budget after its deletions still takes the deleted commands off the server", async () => {
    const g = await newGuild();
    await create(g, g.member_id, "old", "Unused for months");
    await create(g, g.member_id, "fresh", "Used");
    await asAdmin(g, "cc", "slash", { enabled: true });
    expect(await slashNames(g)).toEqual(["fresh", "old"]);
    const long = Date.now() - 91 * 86_400_000;
    await env.DB.prepare("UPDATE custom_commands SET created_at = ?, last_used_at = ? WHERE guild_id = ? AND name = 'old'").bind(long, long, g.guild_id).run();
    // The creator's DM channel is known, so the deletion is made before the first Discord call (its notice's DM).
    await env.DB.prepare("INSERT OR REPLACE INTO dm_channels (user_id, channel_id, updated_at) VALUES (?, ?, ?)")
      .bind(g.member_id, (await createDiscord(env).post<{ id: string }>("/users/@me/channels", { body: { recipient_id: g.member_id } })).id, Date.now())
      .run();
    const now = Date.now();
    await expect(cleanGuild(await fullBudgetServices(g.guild_id), g.guild_id, now)).rejects.toBeInstanceOf(BudgetDeferred);
    expect(
      await env.DB.prepare("SELECT name FROM custom_commands WHERE guild_id = ?")
        .bind(g.guild_id)
        .all()
        .then((r) => r.results),
    ).toEqual([{ name: "fresh" }]);
    // The step runs again on its timer when the budget has room (the timer's rule for a deferral): nothing is left to
    // delete then, and whatever else is due on the guild's timer runs.
    await ccTimer(g).schedule("cleanup", Date.now(), "custom_commands.cleanup", { guild_id: g.guild_id, at: now }, `cc:${g.guild_id}`);
    await runDueNow(g);
    expect(await slashNames(g)).toEqual(["fresh"]);
  });
});
