/** Every list a member or admin reads keeps working once the data outgrows one Discord message: paged or cut, never rejected. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { asAdmin, type Fixture, type InteractionResult, interact, newGuild } from "./helpers";
import { subscribeDirect } from "./reminder-helpers";

type Row = { components: { custom_id: string; disabled?: boolean }[] };
const body = (r: InteractionResult) =>
  (r.response as { type: number; data: { content?: string; components?: Row[]; embeds?: { fields: { value: string }[] }[] } }).data;
const content = (r: InteractionResult) => body(r).content ?? "";
/** The custom id of the Next button on a paged reply. */
const next = (r: InteractionResult) => body(r).components?.[0]?.components[1]?.custom_id ?? "";

async function insertAll(statements: D1PreparedStatement[]) {
  for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));
}

/** The member presses a button on the reply they got (the message is the interaction's original). */
function press(g: Fixture, userId: string, customId: string) {
  return interact({ kind: "component", custom_id: customId, guild_id: g.guild_id, user_id: userId });
}

function expectPaged(r: InteractionResult, page: number, atLeast: number) {
  expect(r.valid, JSON.stringify(r.issues)).toBe(true);
  expect(content(r).length).toBeLessThanOrEqual(2000);
  const m = content(r).match(/Page (\d+) of (\d+)$/);
  expect(Number(m?.[1])).toBe(page);
  expect(Number(m?.[2])).toBeGreaterThanOrEqual(atLeast);
}

describe("lists past Discord's limits", () => {
  it("/cc list: 300 commands with 32-character names are paged, and Next shows the next page", async () => {
    const g = await newGuild();
    const names = Array.from({ length: 300 }, (_, i) => `${String(i).padStart(3, "0")}-${"n".repeat(28)}`);
    await insertAll(
      names.map((n) =>
        env.DB.prepare("INSERT INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at) VALUES (?, ?, 'x', ?, 0, 0)").bind(
          g.guild_id,
          n,
          g.member_id,
        ),
      ),
    );
    const first = await interact({ kind: "command", name: "cc", subcommand: "list", guild_id: g.guild_id, user_id: g.member_id });
    expectPaged(first, 1, 20);
    expect(content(first)).toContain("Custom commands (300)");
    expect(content(first)).toContain(names[0]);
    const second = await press(g, g.member_id, next(first));
    expect(second.response.type).toBe(7);
    expectPaged(second, 2, 20);
    expect(content(second)).toContain(names[15]);
    const last = await interact({ kind: "command", name: "cc", subcommand: "list", options: { page: 999 }, guild_id: g.guild_id, user_id: g.member_id });
    expect(content(last)).toContain(names[299]);
    const ac = await interact({
      kind: "autocomplete",
      name: "cc",
      subcommand: "run",
      options: { name: "" },
      focused: "name",
      guild_id: g.guild_id,
      user_id: g.member_id,
    });
    expect(ac.valid).toBe(true);
  });

  it("/tournament status and list with 60 long-named tournaments; /team list with 200 teams", async () => {
    const g = await newGuild();
    const slugs = Array.from({ length: 60 }, (_, i) => `big-${i}`);
    await insertAll(
      slugs.map((slug) =>
        env.DB.prepare("INSERT INTO tournaments (guild_id, slug, name, format, created_at, updated_at) VALUES (?, ?, ?, 'teams', 0, 0)").bind(
          g.guild_id,
          slug,
          `${slug} ${"T".repeat(90)}`,
        ),
      ),
    );
    const status = await asAdmin(g, "tournament", "status");
    expect(status.valid, JSON.stringify(status.issues)).toBe(true);
    expect(content(status)).toContain("Match events");
    expect(content(status)).toMatch(/…and \d+ more: `\/tournament list`$/);
    const list = await asAdmin(g, "tournament", "list");
    expectPaged(list, 1, 6);
    const page2 = await press(g, g.admin_id, next(list));
    expectPaged(page2, 2, 6);
    const id = (await env.DB.prepare("SELECT id FROM tournaments WHERE guild_id = ? AND slug = 'big-0'").bind(g.guild_id).first<{ id: number }>())?.id;
    await insertAll(
      Array.from({ length: 200 }, (_, i) =>
        env.DB.prepare("INSERT INTO teams (guild_id, tournament_id, name, role_id, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)").bind(
          g.guild_id,
          id,
          `Team ${i} ${"t".repeat(50)}`,
          String(10n ** 18n + BigInt(i)),
        ),
      ),
    );
    const teams = await asAdmin(g, "team", "list", { tournament: "big-0" });
    expectPaged(teams, 1, 8);
    expect(content(teams)).toContain("(200)");
  });

  it("/eventchannels view with a 1800-character announcement", async () => {
    const g = await newGuild();
    const set = await asAdmin(g, "eventchannels", "set", { setting: "announcement_message", value: `{role} ${"a".repeat(1790)}` });
    expect(set.valid, JSON.stringify(set.issues)).toBe(true);
    expect(content(set)).toBe("Saved.");
    const view = await asAdmin(g, "eventchannels", "view");
    expect(view.valid, JSON.stringify(view.issues)).toBe(true);
    const field = body(view).embeds?.[0]?.fields.find((f) => f.value.startsWith("`{role}"));
    expect(field?.value.length).toBeLessThanOrEqual(1024);
    expect(field?.value.endsWith("…")).toBe(true);
  });

  it("/reminders types list with 100 types", async () => {
    const g = await newGuild();
    await insertAll(
      Array.from({ length: 100 }, (_, i) =>
        env.DB.prepare("INSERT INTO reminder_types (guild_id, name, keywords) VALUES (?, ?, ?)").bind(
          g.guild_id,
          `type-${String(i).padStart(3, "0")}`,
          JSON.stringify(Array.from({ length: 10 }, (_, k) => `keyword${k}${"k".repeat(10)}`)),
        ),
      ),
    );
    const list = await asAdmin(g, "reminders", "types", { action: "list" });
    expectPaged(list, 1, 7);
    const page2 = await press(g, g.admin_id, next(list));
    expectPaged(page2, 2, 7);
    expect(content(page2)).toContain("type-015");
    // The /subscribe menu still opens: at most 25 options.
    const view = await interact({ kind: "command", name: "subscribe", guild_id: g.guild_id, user_id: g.member_id });
    expect(view.valid, JSON.stringify(view.issues)).toBe(true);
  });

  it("/reminders mine with 500 upcoming events", async () => {
    const g = await newGuild();
    const now = Date.now();
    await insertAll(
      Array.from({ length: 500 }, (_, i) =>
        env.DB.prepare("INSERT INTO scheduled_events (guild_id, event_id, name, entity_type, start_at, status, updated_at) VALUES (?, ?, ?, 3, ?, 1, 0)").bind(
          g.guild_id,
          String(2n * 10n ** 18n + BigInt(i)),
          `Event ${i} ${"e".repeat(90)}`,
          now + (i + 2) * 3_600_000,
        ),
      ),
    );
    await subscribeDirect(g, g.member_id, ["all"]);
    const mine = await interact({ kind: "command", name: "reminders", subcommand: "mine", guild_id: g.guild_id, user_id: g.member_id });
    expectPaged(mine, 1, 34);
    expect(content(mine)).toContain("Event 0 ");
    const later = await interact({
      kind: "command",
      name: "reminders",
      subcommand: "mine",
      options: { page: 999 },
      guild_id: g.guild_id,
      user_id: g.member_id,
    });
    expect(later.valid).toBe(true);
    expect(content(later)).toContain("Event 499 ");
    const page2 = await press(g, g.member_id, next(mine));
    expectPaged(page2, 2, 34);
  });

  it("/bot-config webhook list with five webhooks whose filters are 500 characters each", async () => {
    const g = await newGuild();
    const filter = Array.from({ length: 40 }, (_, i) => `namespace${i}.*`);
    await insertAll(
      Array.from({ length: 5 }, (_, i) =>
        env.DB.prepare("INSERT INTO webhooks (guild_id, id, url, filter, secret, created_at) VALUES (?, ?, 'https://hooks.example.com/x', ?, 's', 0)").bind(
          g.guild_id,
          `hook${i}`,
          JSON.stringify(filter),
        ),
      ),
    );
    const list = await interact({ kind: "command", name: "bot-config", subcommand: "webhook list", guild_id: g.guild_id, user_id: g.admin_id });
    expect(list.valid, JSON.stringify(list.issues)).toBe(true);
    expect(content(list).match(/hook\d/g)).toHaveLength(5);
  });
});
