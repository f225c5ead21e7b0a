/** The tournament lists (`/tournament list`, `/team list`, `/match list`), page by page, with their Prev/Next buttons. */
import { roleMention } from "@discordjs/formatters";
import { PermissionFlagsBits } from "discord-api-types/v10";
import type { Component } from "../../feature";
import { option } from "../../interactions/command-options";
import { pagedList } from "../../interactions/list-view";
import { type MessageData, reply } from "../../interactions/reply";
import { customId, UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { matchesBetween } from "./match-storage";
import { describeTournament, matchLine } from "./replies";
import { listTeams, listTournaments, type Tournament } from "./storage";

/** The tournament a /team, /tournament or /match subcommand acts on, picked by autocomplete. */
export const tournamentOption = option.string("tournament", "The tournament", { required: true, autocomplete: true });

const TOURNAMENTS_PAGE = "tournaments:list";
const TEAMS_PAGE = "tournaments:teams";
const MATCHES_PAGE = "tournaments:matches";
/** `/match list` shows what is coming in this window (and what started in the last 3 hours). */
const MATCH_LIST_AHEAD_MS = 60 * 86_400_000;
const MATCH_LIST_BEHIND_MS = 3 * 3_600_000;

export async function tournamentListView(s: Services, guildId: string, page: number): Promise<MessageData> {
  const all = await listTournaments(s.env.DB, guildId);
  return pagedList({
    header: `Tournaments (${all.length}):`,
    lines: all.map(describeTournament),
    page,
    perPage: 10,
    empty: "No tournaments yet: `/tournament create`.",
    pageId: (n) => customId(TOURNAMENTS_PAGE, n),
  });
}

export async function teamListView(s: Services, t: Tournament, page: number): Promise<MessageData> {
  const teams = await listTeams(s.env.DB, t.guild_id, t.id);
  return {
    ...pagedList({
      header: `**${t.name}** teams (${teams.length}):`,
      lines: teams.map((x) => `• ${x.name} — ${roleMention(x.role_id)}`),
      page,
      perPage: 25,
      empty: `${t.name} has no teams yet: \`/team create\`.`,
      pageId: (n) => customId(TEAMS_PAGE, t.id, n),
    }),
    allowed_mentions: { parse: [] },
  };
}

export async function matchListView(s: Services, guildId: string, t: Tournament | null, page: number): Promise<MessageData> {
  const now = s.now();
  const list = await matchesBetween(s.env.DB, guildId, now - MATCH_LIST_BEHIND_MS, now + MATCH_LIST_AHEAD_MS, t?.id);
  return pagedList({
    header: `Upcoming matches${t ? ` in ${t.name}` : ""} (${list.length}):`,
    lines: list.map(matchLine),
    page,
    perPage: 10,
    empty: t ? `No upcoming matches in ${t.name}.` : "No upcoming matches.",
    pageId: (n) => customId(MATCHES_PAGE, t?.id ?? 0, n),
  });
}

async function tournamentById(s: Services, guildId: string, raw: string | undefined): Promise<Tournament | null> {
  const id = Number(raw);
  if (!Number.isInteger(id) || id <= 0) return null;
  const t = (await listTournaments(s.env.DB, guildId)).find((x) => x.id === id);
  if (!t) throw new UserError("That tournament no longer exists. Run the command again.");
  return t;
}

export const listButtons: Component[] = [
  {
    id: TOURNAMENTS_PAGE,
    requires: PermissionFlagsBits.ManageEvents,
    async run(ctx) {
      return reply.update(await tournamentListView(ctx.services, ctx.guildId as string, Number(ctx.args[0]) || 1));
    },
  },
  {
    id: TEAMS_PAGE,
    requires: PermissionFlagsBits.ManageEvents,
    async run(ctx) {
      const t = await tournamentById(ctx.services, ctx.guildId as string, ctx.args[0]);
      if (!t) throw new UserError("That tournament no longer exists. Run the command again.");
      return reply.update(await teamListView(ctx.services, t, Number(ctx.args[1]) || 1));
    },
  },
  {
    id: MATCHES_PAGE,
    async run(ctx) {
      if (!ctx.guildId) throw new UserError("Use this in a server.");
      const t = await tournamentById(ctx.services, ctx.guildId, ctx.args[0]);
      return reply.update(await matchListView(ctx.services, ctx.guildId, t, Number(ctx.args[1]) || 1));
    },
  },
];
