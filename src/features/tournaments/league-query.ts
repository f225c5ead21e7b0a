/** What other features may ask the league (e.g. voice's private match channels): a member's team and its next match. */
import { type MatchView, matchesBetween } from "./match-storage";
import { type Team, teamsForRoles } from "./storage";

/** "This week": a match that started up to this long ago still counts, one up to 7 days ahead counts too. */
const SINCE_MS = 6 * 3_600_000;
const AHEAD_MS = 7 * 86_400_000;

export type TeamMatch =
  | { state: "no_league" }
  | { state: "no_team" }
  | { state: "no_match"; teams: Team[]; until: number }
  | { state: "match"; match: MatchView; roles: [string, string] };

export async function teamMatchThisWeek(db: D1Database, guildId: string, memberRoles: readonly string[], now: number): Promise<TeamMatch> {
  const any = await db.prepare("SELECT 1 AS x FROM teams WHERE guild_id = ? LIMIT 1").bind(guildId).first();
  if (!any) return { state: "no_league" };
  const teams = await teamsForRoles(db, guildId, memberRoles);
  if (teams.length === 0) return { state: "no_team" };
  const mine = new Set(teams.map((t) => String(t.id)));
  const upcoming = await matchesBetween(db, guildId, now - SINCE_MS, now + AHEAD_MS);
  const match = upcoming.find((m) => m.a.kind === "team" && m.b.kind === "team" && (mine.has(m.a.id) || mine.has(m.b.id)));
  if (!match) return { state: "no_match", teams, until: now + AHEAD_MS };
  const roles = await db
    .prepare("SELECT id, role_id FROM teams WHERE guild_id = ? AND id IN (?, ?)")
    .bind(guildId, Number(match.a.id), Number(match.b.id))
    .all<{ id: number; role_id: string }>();
  const roleOf = (id: string) => roles.results.find((r) => String(r.id) === id)?.role_id ?? "";
  return { state: "match", match, roles: [roleOf(match.a.id), roleOf(match.b.id)] };
}

/** Whether the guild runs any tournament (the reminders' built-in `matches` type is offered then). */
export async function hasLeague(db: D1Database, guildId: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 AS x FROM tournaments WHERE guild_id = ? LIMIT 1").bind(guildId).first()) !== null;
}

/** The guild's scheduled events that mirror a match. */
export async function matchEventIds(db: D1Database, guildId: string): Promise<Set<string>> {
  const rows = await db
    .prepare("SELECT scheduled_event_id AS id FROM match_events WHERE guild_id = ? AND scheduled_event_id IS NOT NULL")
    .bind(guildId)
    .all<{ id: string }>();
  return new Set(rows.results.map((r) => r.id));
}

export async function isMatchEvent(db: D1Database, guildId: string, eventId: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 AS x FROM match_events WHERE guild_id = ? AND scheduled_event_id = ?").bind(guildId, eventId).first()) !== null;
}
