/** Set-up for tournament tests: a guild with the bot's commands registered, a league, players and matches. */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { createDiscord } from "../src/discord/rest";
import { registry } from "../src/features";
import { syncTimerName } from "../src/features/tournaments/sync";
import { registerCommands } from "../src/registration";
import { asAdmin, cronAndFanOut, emu, type Fixture, type InteractionResult, newGuild } from "./helpers";

export const H = 3_600_000;

export interface League {
  g: Fixture;
  slug: string;
  alice: string;
  bob: string;
}

export interface EmuEvent {
  id: string;
  name: string;
  description: string | null;
  scheduled_start_time: string;
  scheduled_end_time: string | null;
  privacy_level: number;
  entity_type: number;
  entity_metadata: { location?: string } | null;
  status: number;
  creator_id: string;
}

export const text = (r: InteractionResult) => (r.response as { data?: { content?: string } }).data?.content ?? "";

export async function member(g: Fixture, username: string, roles: string[] = []): Promise<string> {
  return (await emu<{ id: string }>("/_emulator/users", { body: { username, guild_id: g.guild_id, roles } })).id;
}

/** A guild with the bot's commands registered (so option types and `resolved` are as Discord sends them). */
export async function guildWithCommands(opts: Parameters<typeof newGuild>[0] = {}): Promise<Fixture> {
  const g = await newGuild(opts);
  await registerCommands(createDiscord(env), env.DISCORD_APPLICATION_ID, registry.commands.values(), g.guild_id);
  return g;
}

export async function league(
  opts: { events?: boolean; format?: "solo" | "teams"; bot_permissions?: bigint; extra?: Record<string, string | number | boolean> } = {},
) {
  const g = await guildWithCommands({ bot_permissions: opts.bot_permissions });
  const slug = `l${crypto.randomUUID().slice(0, 8)}`;
  const r = await asAdmin(g, "tournament", "create", {
    slug,
    name: "Test League",
    discord_events: opts.events ?? true,
    ...(opts.format ? { format: opts.format } : {}),
    ...opts.extra,
  });
  expect(text(r)).toContain("Created");
  return { g, slug, alice: await member(g, "alice"), bob: await member(g, "bob") } satisfies League;
}

export const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

/** Schedules a 1v1 match at `at` (typed as `2026-12-01 19:30`, UTC guild) and returns the reply and the match id. */
export async function schedule(l: League, at: number | string, extra: Record<string, string | number | boolean> = {}) {
  const r = await asAdmin(l.g, "match", "schedule", {
    tournament: l.slug,
    time: typeof at === "number" ? iso(at) : at,
    // Team matches name teams instead of players.
    ...("team_a" in extra ? {} : { player_a: l.alice, player_b: l.bob }),
    ...extra,
  });
  const id = Number(text(r).match(/`#(\d+)`/)?.[1] ?? Number.NaN);
  return { r, content: text(r), id };
}

/** A minute-aligned time some hours ahead, so typed times round-trip exactly. */
export const ahead = (hours: number) => Math.ceil((Date.now() + hours * H) / 60_000) * 60_000;

export async function events(guildId: string): Promise<EmuEvent[]> {
  const s = await emu<{ guilds: { scheduled_events: EmuEvent[] }[] }>(`/_emulator/state?guild=${guildId}`);
  return s.guilds[0]?.scheduled_events ?? [];
}

export async function mapping(matchId: number) {
  return env.DB.prepare("SELECT * FROM match_events WHERE match_id = ?").bind(matchId).first<{
    scheduled_event_id: string | null;
    start_at: number | null;
    last_error: string | null;
    lease_owner: string | null;
  }>();
}

/** The hourly cron, then the guild's sync, which the cron queues on the guild's own timer. */
export async function hourlyCron(guildId: string): Promise<void> {
  const since = Date.now();
  await cronAndFanOut("0 * * * *", since, [syncTimerName(guildId)]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const row = await env.DB.prepare("SELECT last_sync_at FROM tournament_sync WHERE guild_id = ?").bind(guildId).first<{ last_sync_at: number | null }>();
    if ((row?.last_sync_at ?? 0) >= since) return;
    if (Date.now() > deadline) throw new Error(`guild ${guildId} was not synced after the cron`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A match written straight to D1, as if its `match.scheduled` listener never ran (a missed emission). */
export async function silentMatch(l: League, at: number): Promise<number> {
  const t = await env.DB.prepare("SELECT id FROM tournaments WHERE guild_id = ? AND slug = ?").bind(l.g.guild_id, l.slug).first<{ id: number }>();
  const r = await env.DB.prepare(
    `INSERT INTO matches (guild_id, tournament_id, side_a_kind, side_a_id, side_a_name, side_b_kind, side_b_id, side_b_name, scheduled_at, created_at, updated_at)
     VALUES (?, ?, 'member', ?, 'alice', 'member', ?, 'bob', ?, ?, ?) RETURNING id`,
  )
    .bind(l.g.guild_id, t?.id, l.alice, l.bob, at, Date.now(), Date.now())
    .first<{ id: number }>();
  return r?.id as number;
}
