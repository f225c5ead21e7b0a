/** What members can create is capped per server, with a clear reply at the cap and nothing stored past it. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_COMMANDS_PER_GUILD, MAX_COMMANDS_PER_MEMBER } from "../src/features/custom-commands/storage";
import { MAX_REMINDER_TYPES } from "../src/features/reminders/admin";
import { ACTIVE_AFTER_CREATION_MS, MAX_ACTIVE_TOURNAMENTS, MAX_TEAMS_PER_TOURNAMENT, MAX_UPCOMING_MATCHES } from "../src/features/tournaments/caps";
import { create, data } from "./custom-command-helpers";
import { asAdmin, type Fixture, interact, newGuild } from "./helpers";
import { ahead, league, schedule, text } from "./tournament-helpers";

async function insertAll(statements: D1PreparedStatement[]) {
  for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));
}
const count = async (sql: string, ...args: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...args)
      .first<{ n: number }>()
  )?.n ?? 0;

function commands(g: Fixture, creator: string, n: number, prefix: string) {
  return insertAll(
    Array.from({ length: n }, (_, i) =>
      env.DB.prepare("INSERT INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at) VALUES (?, ?, 'x', ?, 0, 0)").bind(
        g.guild_id,
        `${prefix}-${i}`,
        creator,
      ),
    ),
  );
}

describe("custom command caps", () => {
  it(`a member can make ${MAX_COMMANDS_PER_MEMBER}; Manage Server can make more; the form opened before the cap is refused on submit`, async () => {
    const g = await newGuild();
    await commands(g, g.member_id, MAX_COMMANDS_PER_MEMBER - 1, "mine");
    // The form opens at 24 …
    const open = await interact({ kind: "command", name: "cc", subcommand: "create", options: { name: "late" }, guild_id: g.guild_id, user_id: g.member_id });
    expect(open.response.type).toBe(9);
    expect(await create(g, g.member_id, "last", "fits")).toContain("Created `last`");
    // … but at 25 neither a new form nor the old one's submit adds a command.
    expect(await create(g, g.member_id, "more", "x")).toContain(`the most one member can make (${MAX_COMMANDS_PER_MEMBER})`);
    const submit = await interact({ kind: "modal", custom_id: data(open).custom_id, fields: { response: "x" }, guild_id: g.guild_id, user_id: g.member_id });
    expect(data(submit).content).toContain(`the most one member can make (${MAX_COMMANDS_PER_MEMBER})`);
    expect(await count("SELECT COUNT(*) AS n FROM custom_commands WHERE guild_id = ? AND creator_id = ?", g.guild_id, g.member_id)).toBe(
      MAX_COMMANDS_PER_MEMBER,
    );
    expect(await create(g, g.admin_id, "admins-can", "yes")).toContain("Created");
  });

  it(`a server holds at most ${MAX_COMMANDS_PER_GUILD}, whoever asks`, async () => {
    const g = await newGuild();
    await commands(g, g.owner_id, MAX_COMMANDS_PER_GUILD, "cmd");
    expect(await create(g, g.admin_id, "one-more", "x")).toContain(`the most it can have (${MAX_COMMANDS_PER_GUILD})`);
    expect(await count("SELECT COUNT(*) AS n FROM custom_commands WHERE guild_id = ?", g.guild_id)).toBe(MAX_COMMANDS_PER_GUILD);
  });
});

describe("reminder type cap", () => {
  it(`${MAX_REMINDER_TYPES} types fit the /subscribe menu with all and matches; another is refused, an existing one can still change`, async () => {
    const g = await newGuild();
    await insertAll(
      Array.from({ length: MAX_REMINDER_TYPES }, (_, i) =>
        env.DB.prepare("INSERT INTO reminder_types (guild_id, name, keywords) VALUES (?, ?, '[\"k\"]')").bind(g.guild_id, `type-${i}`),
      ),
    );
    const more = await asAdmin(g, "reminders", "types", { action: "add", name: "extra", keywords: "x" });
    expect(text(more)).toContain(`the most it can have (${MAX_REMINDER_TYPES}`);
    const edit = await asAdmin(g, "reminders", "types", { action: "add", name: "type-3", keywords: "raid, dungeon" });
    expect(text(edit)).toContain("Saved **type-3**");
    expect(await count("SELECT COUNT(*) AS n FROM reminder_types WHERE guild_id = ?", g.guild_id)).toBe(MAX_REMINDER_TYPES);
  });
});

describe("tournament caps", () => {
  it(`${MAX_ACTIVE_TOURNAMENTS} active tournaments; old ones without matches to play do not count`, async () => {
    const l = await league();
    const now = Date.now();
    await insertAll(
      Array.from({ length: MAX_ACTIVE_TOURNAMENTS + 5 }, (_, i) =>
        env.DB.prepare("INSERT INTO tournaments (guild_id, slug, name, created_at, updated_at) VALUES (?, ?, 'Old', ?, ?)").bind(
          l.g.guild_id,
          `old-${i}`,
          now - ACTIVE_AFTER_CREATION_MS - 86_400_000,
          now,
        ),
      ),
    );
    // The league itself is active (just created); 48 more fill the cap.
    for (let i = 0; i < MAX_ACTIVE_TOURNAMENTS - 1; i++) {
      await env.DB.prepare("INSERT INTO tournaments (guild_id, slug, name, created_at, updated_at) VALUES (?, ?, 'New', ?, ?)")
        .bind(l.g.guild_id, `new-${i}`, now, now)
        .run();
    }
    const refused = await asAdmin(l.g, "tournament", "create", { slug: "one-more", name: "One more" });
    expect(text(refused)).toContain(`This server has ${MAX_ACTIVE_TOURNAMENTS} active tournaments`);
    expect(await count("SELECT COUNT(*) AS n FROM tournaments WHERE guild_id = ? AND slug = 'one-more'", l.g.guild_id)).toBe(0);
    // A slug already in use still says so rather than naming the cap.
    expect(text(await asAdmin(l.g, "tournament", "create", { slug: l.slug, name: "Dup" }))).toContain("already exists");
  });

  it(`${MAX_TEAMS_PER_TOURNAMENT} teams per tournament`, async () => {
    const l = await league({ format: "teams" });
    const t = await env.DB.prepare("SELECT id FROM tournaments WHERE guild_id = ? AND slug = ?").bind(l.g.guild_id, l.slug).first<{ id: number }>();
    await insertAll(
      Array.from({ length: MAX_TEAMS_PER_TOURNAMENT }, (_, i) =>
        env.DB.prepare("INSERT INTO teams (guild_id, tournament_id, name, role_id, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)").bind(
          l.g.guild_id,
          t?.id,
          `Team ${i}`,
          String(10n ** 18n + BigInt(i)),
        ),
      ),
    );
    const r = await asAdmin(l.g, "team", "create", { tournament: l.slug, name: "One more", role: l.g.roles.admin });
    expect(text(r)).toContain(`has ${MAX_TEAMS_PER_TOURNAMENT} teams, the most a tournament can have`);
    expect(await count("SELECT COUNT(*) AS n FROM teams WHERE tournament_id = ?", t?.id)).toBe(MAX_TEAMS_PER_TOURNAMENT);
  });

  it(`${MAX_UPCOMING_MATCHES} upcoming matches per tournament; past ones do not count`, async () => {
    const l = await league({ events: false });
    const t = await env.DB.prepare("SELECT id FROM tournaments WHERE guild_id = ? AND slug = ?").bind(l.g.guild_id, l.slug).first<{ id: number }>();
    const row = (at: number) =>
      env.DB.prepare(
        "INSERT INTO matches (guild_id, tournament_id, side_a_kind, side_a_id, side_a_name, side_b_kind, side_b_id, side_b_name, scheduled_at, created_at, updated_at) VALUES (?, ?, 'member', ?, 'A', 'member', ?, 'B', ?, 0, 0)",
      ).bind(l.g.guild_id, t?.id, l.alice, l.bob, at);
    await insertAll(Array.from({ length: MAX_UPCOMING_MATCHES - 1 }, (_, i) => row(ahead(24 + i))));
    await insertAll([row(ahead(-48))]);
    expect((await schedule(l, ahead(10))).content).toContain("Scheduled");
    const refused = await schedule(l, ahead(11));
    expect(refused.content).toContain(`has ${MAX_UPCOMING_MATCHES} upcoming matches, the most a tournament can have`);
    expect(await count("SELECT COUNT(*) AS n FROM matches WHERE tournament_id = ? AND scheduled_at > ?", t?.id, Date.now())).toBe(MAX_UPCOMING_MATCHES);
  });
});
