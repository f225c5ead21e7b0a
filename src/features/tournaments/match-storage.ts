/** D1 storage for matches, read as the views the event formatting needs (team names and stream handles joined in). */
import { MAX_UPCOMING_MATCHES } from "./caps";
import type { MatchForEvent, Side } from "./event-format";
import type { Tournament } from "./storage";

export interface MatchRow {
  id: number;
  guild_id: string;
  tournament_id: number;
  side_a_kind: "team" | "member";
  side_a_id: string;
  side_a_name: string;
  side_b_kind: "team" | "member";
  side_b_id: string;
  side_b_name: string;
  title: string | null;
  round: string | null;
  scheduled_at: number;
  stream_channel: string | null;
  status: "scheduled" | "finished" | "deleted";
  revision: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface MatchView extends MatchForEvent {
  guild_id: string;
  tournament_id: number;
  slug: string;
  revision: number;
}

type ViewRow = MatchRow & { slug: string; team_a: string | null; team_b: string | null; stream_a: string | null; stream_b: string | null };

const VIEW = `SELECT m.*, t.slug AS slug, ta.name AS team_a, tb.name AS team_b, pa.stream AS stream_a, pb.stream AS stream_b
  FROM matches m JOIN tournaments t ON t.id = m.tournament_id AND t.guild_id = m.guild_id
  LEFT JOIN teams ta ON m.side_a_kind = 'team' AND ta.id = CAST(m.side_a_id AS INTEGER)
  LEFT JOIN teams tb ON m.side_b_kind = 'team' AND tb.id = CAST(m.side_b_id AS INTEGER)
  LEFT JOIN player_profiles pa ON m.side_a_kind = 'member' AND pa.guild_id = m.guild_id AND pa.user_id = m.side_a_id
  LEFT JOIN player_profiles pb ON m.side_b_kind = 'member' AND pb.guild_id = m.guild_id AND pb.user_id = m.side_b_id`;

function side(kind: "team" | "member", id: string, stored: string, team: string | null, stream: string | null): Side {
  return { kind, id, name: kind === "team" ? (team ?? stored) : stored, stream: kind === "member" ? stream : null };
}

function toView(r: ViewRow): MatchView {
  return {
    id: r.id,
    guild_id: r.guild_id,
    tournament_id: r.tournament_id,
    slug: r.slug,
    title: r.title,
    round: r.round,
    scheduled_at: r.scheduled_at,
    stream_channel: r.stream_channel,
    status: r.status,
    revision: r.revision,
    a: side(r.side_a_kind, r.side_a_id, r.side_a_name, r.team_a, r.stream_a),
    b: side(r.side_b_kind, r.side_b_id, r.side_b_name, r.team_b, r.stream_b),
  };
}

export async function matchView(db: D1Database, guildId: string, matchId: number): Promise<MatchView | null> {
  const r = await db.prepare(`${VIEW} WHERE m.guild_id = ? AND m.id = ?`).bind(guildId, matchId).first<ViewRow>();
  return r ? toView(r) : null;
}

/** A match and its tournament in one round trip to D1 (the mirror reads both for every change). */
export async function matchWithTournament(
  db: D1Database,
  guildId: string,
  matchId: number,
): Promise<{ match: MatchView | null; tournament: Tournament | null }> {
  const [m, t] = await db.batch([
    db.prepare(`${VIEW} WHERE m.guild_id = ? AND m.id = ?`).bind(guildId, matchId),
    db
      .prepare("SELECT * FROM tournaments WHERE guild_id = ?1 AND id = (SELECT tournament_id FROM matches WHERE guild_id = ?1 AND id = ?2)")
      .bind(guildId, matchId),
  ]);
  const row = (m?.results[0] as ViewRow | undefined) ?? null;
  return { match: row ? toView(row) : null, tournament: (t?.results[0] as Tournament | undefined) ?? null };
}

/** Scheduled matches of the guild between two instants (the sync window, `/match list`). */
export async function matchesBetween(db: D1Database, guildId: string, from: number, to: number, tournamentId?: number): Promise<MatchView[]> {
  const byTournament = tournamentId === undefined ? "" : " AND m.tournament_id = ?";
  const rows = await db
    .prepare(
      `${VIEW} WHERE m.guild_id = ? AND m.status = 'scheduled' AND m.scheduled_at >= ? AND m.scheduled_at < ?${byTournament} ORDER BY m.scheduled_at, m.id`,
    )
    .bind(guildId, from, to, ...(tournamentId === undefined ? [] : [tournamentId]))
    .all<ViewRow>();
  return rows.results.map(toView);
}

/** Matches (any status) with the given ids, for the sync's mapped rows outside the window. */
export async function matchViews(db: D1Database, guildId: string, ids: readonly number[]): Promise<MatchView[]> {
  const out: MatchView[] = [];
  // D1 caps bound parameters per statement at 100.
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const rows = await db
      .prepare(`${VIEW} WHERE m.guild_id = ? AND m.id IN (${chunk.map(() => "?").join(", ")})`)
      .bind(guildId, ...chunk)
      .all<ViewRow>();
    out.push(...rows.results.map(toView));
  }
  return out;
}

export type NewMatch = Pick<
  MatchRow,
  | "tournament_id"
  | "side_a_kind"
  | "side_a_id"
  | "side_a_name"
  | "side_b_kind"
  | "side_b_id"
  | "side_b_name"
  | "title"
  | "round"
  | "scheduled_at"
  | "stream_channel"
>;

/** Inserts a match; null at the tournament's cap of upcoming matches (checked inside the insert). */
export async function insertMatch(db: D1Database, guildId: string, m: NewMatch, userId: string, now: number): Promise<number | null> {
  const r = await db
    .prepare(
      `INSERT INTO matches (guild_id, tournament_id, side_a_kind, side_a_id, side_a_name, side_b_kind, side_b_id, side_b_name, title, round, scheduled_at,
       stream_channel, created_by, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14
       WHERE (SELECT COUNT(*) FROM matches WHERE guild_id = ?1 AND tournament_id = ?2 AND status = 'scheduled' AND scheduled_at > ?14) < ?15 RETURNING id`,
    )
    .bind(
      guildId,
      m.tournament_id,
      m.side_a_kind,
      m.side_a_id,
      m.side_a_name,
      m.side_b_kind,
      m.side_b_id,
      m.side_b_name,
      m.title,
      m.round,
      m.scheduled_at,
      m.stream_channel,
      userId,
      now,
      MAX_UPCOMING_MATCHES,
    )
    .first<{ id: number }>();
  return r?.id ?? null;
}

export type MatchPatch = Partial<Pick<MatchRow, "title" | "round" | "scheduled_at" | "stream_channel" | "status" | "finished_at">>;

/** Applies a change to a scheduled match and bumps its revision; null when the match is not (any more) scheduled. */
export async function updateMatch(db: D1Database, guildId: string, matchId: number, patch: MatchPatch, now: number): Promise<MatchRow | null> {
  const cols = Object.keys(patch) as (keyof MatchPatch)[];
  const sets = cols.map((c) => `${c} = ?`).join(", ");
  return db
    .prepare(
      `UPDATE matches SET ${sets}${sets ? ", " : ""}revision = revision + 1, updated_at = ? WHERE guild_id = ? AND id = ? AND status = 'scheduled' RETURNING *`,
    )
    .bind(...cols.map((c) => patch[c] ?? null), now, guildId, matchId)
    .first<MatchRow>();
}

/** Drops deleted matches once their event mapping is gone (finished ones stay as the league's history). */
export async function purgeDeletedMatches(db: D1Database, before: number): Promise<number> {
  const r = await db
    .prepare("DELETE FROM matches WHERE status = 'deleted' AND updated_at < ? AND NOT EXISTS (SELECT 1 FROM match_events e WHERE e.match_id = matches.id)")
    .bind(before)
    .run();
  return r.meta.changes ?? 0;
}
