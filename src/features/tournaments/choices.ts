/** Autocomplete for tournaments, teams, matches and match times, and the lookups commands share. */
import { TimestampStyles, time } from "@discordjs/formatters";
import type { APIApplicationCommandOptionChoice } from "discord-api-types/v10";
import { readGuildSettings } from "../../guild-settings";
import type { CommandContext } from "../../interactions/types";
import { UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { cut, matchLabel } from "./event-format";
import { type MatchView, matchesBetween, matchView } from "./match-storage";
import { listTeams, listTournaments, type Team, type Tournament, teamByName, tournamentBySlug } from "./storage";
import { describeTime, parseMatchTime, relativeLabel } from "./time-input";

type Ctx = CommandContext<Services>;
type Choice = APIApplicationCommandOptionChoice<string>;

const MAX_CHOICES = 25;
const choice = (name: string, value: string): Choice => ({ name: cut(name, 100), value: value.slice(0, 100) });
const matches = (q: string, ...texts: string[]) => texts.some((t) => t.toLowerCase().includes(q));

export async function requireTournament(s: Services, guildId: string, slug: string | null): Promise<Tournament> {
  if (!slug) throw new UserError("Pick a tournament.");
  const t = await tournamentBySlug(s.env.DB, guildId, slug.trim());
  if (!t) throw new UserError(`There is no tournament \`${slug.slice(0, 40)}\` in this server. \`/tournament list\` shows them.`);
  return t;
}

export async function requireTeam(s: Services, t: Tournament, name: string | null): Promise<Team> {
  if (!name) throw new UserError("Pick a team.");
  const team = await teamByName(s.env.DB, t.guild_id, t.id, name);
  if (!team) throw new UserError(`${t.name} has no team called **${name.slice(0, 100)}**. \`/team list\` shows them.`);
  return team;
}

/** A match of this guild by the id autocomplete put in the option (or `#12` typed by hand). */
export async function requireMatch(s: Services, guildId: string, raw: string | null): Promise<MatchView> {
  const id = Number((raw ?? "").trim().replace(/^#/, ""));
  const m = Number.isInteger(id) && id > 0 ? await matchView(s.env.DB, guildId, id) : null;
  if (!m) throw new UserError("I can't find that match in this server. Pick one from the list as you type.");
  // A change retried after its answer was lost finds the match it deleted: say so, rather than that it never existed.
  if (m.status === "deleted") throw new UserError(`Match #${m.id} is already deleted.`);
  return m;
}

async function tournamentChoices(s: Services, guildId: string, q: string): Promise<Choice[]> {
  const all = await listTournaments(s.env.DB, guildId);
  return all.filter((t) => matches(q, t.slug, t.name)).map((t) => choice(`${t.slug} — ${t.name}`, t.slug));
}

async function teamChoices(s: Services, guildId: string, slug: string | null, q: string): Promise<Choice[]> {
  const t = slug ? await tournamentBySlug(s.env.DB, guildId, slug) : null;
  if (!t) return [];
  return (await listTeams(s.env.DB, guildId, t.id)).filter((team) => matches(q, team.name)).map((team) => choice(team.name, team.name));
}

async function matchChoices(s: Services, guildId: string, q: string, tz: string): Promise<Choice[]> {
  const now = s.now();
  // Recent and upcoming matches: the ones an organiser is likely to be fixing.
  const list = await matchesBetween(s.env.DB, guildId, now - 14 * 86_400_000, now + 366 * 86_400_000);
  return list
    .filter((m) => matches(q, `#${m.id}`, m.slug, matchLabel(m), m.a.name, m.b.name))
    .map((m) => choice(`#${m.id} ${m.slug.toUpperCase()} - ${matchLabel(m)} · ${describeTime(m.scheduled_at, tz)}`, String(m.id)));
}

/** Shows how the typed time was understood, so a wrong guess is caught before the command runs. */
function timeChoices(input: string, tz: string, now: number): Choice[] {
  if (!input.trim()) return [];
  const parsed = parseMatchTime(input, tz, now);
  if (!parsed.ok) return [choice(`⚠️ ${parsed.label}`, input)];
  const label = `${describeTime(parsed.at, tz)} · ${relativeLabel(parsed.at, now)}`;
  return [choice(label, time(new Date(parsed.at), TimestampStyles.FullDateShortTime))];
}

export async function autocomplete(ctx: Ctx): Promise<Choice[]> {
  const guildId = ctx.guildId;
  const focused = ctx.options.focused();
  if (!guildId || !focused) return [];
  const s = ctx.services;
  const q = focused.value.trim().toLowerCase();
  let out: Choice[] = [];
  if (focused.name === "tournament") out = await tournamentChoices(s, guildId, q);
  else if (focused.name === "team" || focused.name === "team_a" || focused.name === "team_b")
    out = await teamChoices(s, guildId, ctx.options.string("tournament"), q);
  else if (focused.name === "match" || focused.name === "time") {
    const tz = (await readGuildSettings(s.env.DB, guildId)).timezone;
    out = focused.name === "match" ? await matchChoices(s, guildId, q, tz) : timeChoices(focused.value, tz, s.now());
  }
  return out.slice(0, MAX_CHOICES);
}
