/** D1 storage for tournaments, teams and player stream handles; every query is scoped by guild. */
import { ACTIVE_AFTER_CREATION_MS, MAX_ACTIVE_TOURNAMENTS, MAX_TEAMS_PER_TOURNAMENT } from "./caps";
import type { TournamentForEvent } from "./event-format";

export interface Tournament extends TournamentForEvent {
  id: number;
  guild_id: string;
  format: "solo" | "teams";
  created_at: number;
  updated_at: number;
}

export interface Team {
  id: number;
  guild_id: string;
  tournament_id: number;
  name: string;
  role_id: string;
}

export async function tournamentBySlug(db: D1Database, guildId: string, slug: string): Promise<Tournament | null> {
  return db.prepare("SELECT * FROM tournaments WHERE guild_id = ? AND slug = ?").bind(guildId, slug.toLowerCase()).first<Tournament>();
}

export async function listTournaments(db: D1Database, guildId: string): Promise<Tournament[]> {
  return (await db.prepare("SELECT * FROM tournaments WHERE guild_id = ? ORDER BY slug").bind(guildId).all<Tournament>()).results;
}

export type TournamentInput = Omit<Tournament, "id" | "guild_id" | "created_at" | "updated_at">;

/** Tournaments that count towards the cap: created recently, or with a scheduled match at most a week old. */
const ACTIVE_COUNT = `SELECT COUNT(*) FROM tournaments t WHERE t.guild_id = ?1 AND (t.created_at > ?10 - ?12
  OR EXISTS (SELECT 1 FROM matches m WHERE m.guild_id = t.guild_id AND m.tournament_id = t.id AND m.status = 'scheduled' AND m.scheduled_at > ?10 - 604800000))`;

/**
 * Inserts a tournament; "taken" when the slug is in use here, "full" at the cap of active tournaments (checked
 * inside the insert, so simultaneous creates cannot pass it).
 */
export async function insertTournament(db: D1Database, guildId: string, t: TournamentInput, now: number): Promise<Tournament | "taken" | "full"> {
  const row = await db
    .prepare(
      `INSERT INTO tournaments (guild_id, slug, name, format, create_scheduled_events, scheduled_events_enabled, event_minutes, description_template, stream_base, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 WHERE (${ACTIVE_COUNT}) < ?13
       ON CONFLICT (guild_id, slug) DO NOTHING RETURNING *`,
    )
    .bind(
      guildId,
      t.slug,
      t.name,
      t.format,
      t.create_scheduled_events,
      t.scheduled_events_enabled,
      t.event_minutes,
      t.description_template,
      t.stream_base,
      now,
      now,
      ACTIVE_AFTER_CREATION_MS,
      MAX_ACTIVE_TOURNAMENTS,
    )
    .first<Tournament>();
  if (row) return row;
  return (await tournamentBySlug(db, guildId, t.slug)) ? "taken" : "full";
}

/** Saves a tournament's settings and bumps its scheduled matches' revisions in one batch, so a running mirror re-reads them. */
export async function updateTournament(db: D1Database, t: Tournament, now: number): Promise<void> {
  await db.batch([
    db
      .prepare(
        `UPDATE tournaments SET name = ?, create_scheduled_events = ?, scheduled_events_enabled = ?, event_minutes = ?, description_template = ?,
         stream_base = ?, updated_at = ? WHERE guild_id = ? AND id = ?`,
      )
      .bind(t.name, t.create_scheduled_events, t.scheduled_events_enabled, t.event_minutes, t.description_template, t.stream_base, now, t.guild_id, t.id),
    db
      .prepare("UPDATE matches SET revision = revision + 1, updated_at = ? WHERE guild_id = ? AND tournament_id = ? AND status = 'scheduled'")
      .bind(now, t.guild_id, t.id),
  ]);
}

export async function listTeams(db: D1Database, guildId: string, tournamentId: number): Promise<Team[]> {
  return (await db.prepare("SELECT * FROM teams WHERE guild_id = ? AND tournament_id = ? ORDER BY name").bind(guildId, tournamentId).all<Team>()).results;
}

export async function teamByName(db: D1Database, guildId: string, tournamentId: number, name: string): Promise<Team | null> {
  return db
    .prepare("SELECT * FROM teams WHERE guild_id = ? AND tournament_id = ? AND name = ? COLLATE NOCASE")
    .bind(guildId, tournamentId, name.trim())
    .first<Team>();
}

/** Teams (in any tournament of the guild) whose role the member holds. */
export async function teamsForRoles(db: D1Database, guildId: string, roleIds: readonly string[]): Promise<Team[]> {
  if (roleIds.length === 0) return [];
  const marks = roleIds.map(() => "?").join(", ");
  return (
    await db
      .prepare(`SELECT * FROM teams WHERE guild_id = ? AND role_id IN (${marks}) ORDER BY id`)
      .bind(guildId, ...roleIds)
      .all<Team>()
  ).results;
}

/** Inserts a team; "taken" when the name is in use in the tournament, "full" at the cap (checked inside the insert). */
export async function insertTeam(
  db: D1Database,
  guildId: string,
  tournamentId: number,
  name: string,
  roleId: string,
  now: number,
): Promise<Team | "taken" | "full"> {
  const row = await db
    .prepare(
      `INSERT INTO teams (guild_id, tournament_id, name, role_id, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?5
       WHERE (SELECT COUNT(*) FROM teams WHERE guild_id = ?1 AND tournament_id = ?2) < ?6 ON CONFLICT DO NOTHING RETURNING *`,
    )
    .bind(guildId, tournamentId, name, roleId, now, MAX_TEAMS_PER_TOURNAMENT)
    .first<Team>();
  if (row) return row;
  return (await teamByName(db, guildId, tournamentId, name)) ? "taken" : "full";
}

/** Renames/re-roles a team and bumps the revisions of its scheduled matches; returns those matches' ids. */
export async function updateTeam(db: D1Database, team: Team, now: number): Promise<number[]> {
  const side = "(side_a_kind = 'team' AND side_a_id = ?1) OR (side_b_kind = 'team' AND side_b_id = ?1)";
  const [, bumped] = await db.batch<{ id: number }>([
    db
      .prepare("UPDATE teams SET name = ?, role_id = ?, updated_at = ? WHERE guild_id = ? AND id = ?")
      .bind(team.name, team.role_id, now, team.guild_id, team.id),
    db
      .prepare(`UPDATE matches SET revision = revision + 1, updated_at = ?2 WHERE guild_id = ?3 AND status = 'scheduled' AND (${side}) RETURNING id`)
      .bind(String(team.id), now, team.guild_id),
  ]);
  return (bumped?.results ?? []).map((r) => r.id);
}

/** Counts a team's matches that are still to be played (a team in use is not deleted). */
export async function teamMatchCount(db: D1Database, guildId: string, teamId: number): Promise<number> {
  const r = await db
    .prepare(
      "SELECT COUNT(*) AS n FROM matches WHERE guild_id = ? AND status = 'scheduled' AND ((side_a_kind = 'team' AND side_a_id = ?2) OR (side_b_kind = 'team' AND side_b_id = ?2))",
    )
    .bind(guildId, String(teamId))
    .first<{ n: number }>();
  return r?.n ?? 0;
}

export async function deleteTeam(db: D1Database, guildId: string, teamId: number): Promise<void> {
  await db.prepare("DELETE FROM teams WHERE guild_id = ? AND id = ?").bind(guildId, teamId).run();
}

/** Records a player's stream handle and bumps their scheduled matches; returns those matches' ids. */
export async function setStream(db: D1Database, guildId: string, userId: string, stream: string | null, now: number): Promise<number[]> {
  const side = "(side_a_kind = 'member' AND side_a_id = ?2) OR (side_b_kind = 'member' AND side_b_id = ?2)";
  const [, bumped] = await db.batch<{ id: number }>([
    db
      .prepare(
        "INSERT INTO player_profiles (guild_id, user_id, stream, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET stream = excluded.stream, updated_at = excluded.updated_at",
      )
      .bind(guildId, userId, stream, now),
    db
      .prepare(`UPDATE matches SET revision = revision + 1, updated_at = ?3 WHERE guild_id = ?1 AND status = 'scheduled' AND (${side}) RETURNING id`)
      .bind(guildId, userId, now),
  ]);
  return (bumped?.results ?? []).map((r) => r.id);
}
