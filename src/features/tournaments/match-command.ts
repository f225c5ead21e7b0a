/** `/match schedule|reschedule|title|stream|finish|delete|list`; each change is emitted and the listener mirrors it. */
import { type APIInteractionDataResolvedGuildMember, type APIUser, PermissionFlagsBits } from "discord-api-types/v10";
import type { Command } from "../../feature";
import { readGuildSettings } from "../../guild-settings";
import { option, pageOption, subcommand } from "../../interactions/command-options";
import type { CommandContext } from "../../interactions/types";
import { UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { capMessages } from "./caps";
import { autocomplete, requireMatch, requireTeam, requireTournament } from "./choices";
import { matchListView, tournamentOption } from "./lists";
import { readMapping } from "./mapping-storage";
import { insertMatch, type MatchPatch, type MatchView, matchWithTournament, type NewMatch, updateMatch } from "./match-storage";
import { matchLine, mirrorNote } from "./replies";
import type { Tournament } from "./storage";
import { parseMatchTime } from "./time-input";

type Ctx = CommandContext<Services>;
const TITLE_MAX = 200;
const match = option.string("match", "The match (type to search)", { required: true, autocomplete: true });
const time = option.string("time", "2026-12-01 19:30 (server timezone), in 2h, or <t:…>", { required: true, autocomplete: true, max_length: 64 });

function validTitle(raw: string | null): string | null {
  const v = raw?.trim().replace(/\s+/g, " ") ?? "";
  if (!v) return null;
  if (v.length > TITLE_MAX) throw new UserError(`A match title can be at most ${TITLE_MAX} characters (yours has ${v.length}).`);
  return v;
}

function validRound(raw: string | null): string | null {
  const v = raw?.trim() ?? "";
  if (!v) return null;
  if (v.length > 40) throw new UserError("The week/round can be at most 40 characters.");
  return v;
}

/** A Twitch-style handle or an https URL; the event's location must fit in 100 characters. */
export function validStream(raw: string | null): string | null {
  const v = raw?.trim() ?? "";
  if (!v || v.toLowerCase() === "none") return null;
  if (/^[A-Za-z0-9_]{2,25}$/.test(v)) return v;
  if (/^https:\/\/\S+$/i.test(v) && v.length <= 100) return v;
  throw new UserError("A stream is a channel name like `speedgaming` (letters, digits, _) or an https link of at most 100 characters.");
}

async function readTime(ctx: Ctx, guildId: string): Promise<number> {
  const raw = ctx.options.required(ctx.options.string("time"), "time");
  const tz = (await readGuildSettings(ctx.services.env.DB, guildId)).timezone;
  const parsed = parseMatchTime(raw, tz, ctx.services.now());
  if (!parsed.ok) throw new UserError(parsed.reason);
  return parsed.at;
}

function memberName(ctx: Ctx, userId: string): string {
  const resolved = ctx.interaction.data.resolved as
    | { users?: Record<string, APIUser>; members?: Record<string, APIInteractionDataResolvedGuildMember> }
    | undefined;
  const user = resolved?.users?.[userId];
  const name = resolved?.members?.[userId]?.nick ?? user?.global_name ?? user?.username;
  return (name ?? `Player ${userId.slice(-4)}`).slice(0, 80);
}

async function sides(
  ctx: Ctx,
  t: Tournament,
): Promise<Pick<NewMatch, "side_a_kind" | "side_a_id" | "side_a_name" | "side_b_kind" | "side_b_id" | "side_b_name">> {
  const o = ctx.options;
  if (t.format === "teams") {
    if (o.id("player_a") || o.id("player_b")) throw new UserError(`${t.name} is a team tournament: pick \`team_a\` and \`team_b\`.`);
    const a = await requireTeam(ctx.services, t, o.string("team_a"));
    const b = await requireTeam(ctx.services, t, o.string("team_b"));
    if (a.id === b.id) throw new UserError("A team cannot play itself.");
    return { side_a_kind: "team", side_a_id: String(a.id), side_a_name: a.name, side_b_kind: "team", side_b_id: String(b.id), side_b_name: b.name };
  }
  if (o.string("team_a") || o.string("team_b")) throw new UserError(`${t.name} is 1v1: pick \`player_a\` and \`player_b\`.`);
  const a = o.required(o.id("player_a"), "player_a");
  const b = o.required(o.id("player_b"), "player_b");
  if (a === b) throw new UserError("A player cannot play themselves.");
  return { side_a_kind: "member", side_a_id: a, side_a_name: memberName(ctx, a), side_b_kind: "member", side_b_id: b, side_b_name: memberName(ctx, b) };
}

/** The reply after a change: the match as it stands and what the listener did on Discord. */
async function outcome(s: Services, guildId: string, verb: string, matchId: number): Promise<string> {
  const [{ match, tournament }, mapping] = await Promise.all([matchWithTournament(s.env.DB, guildId, matchId), readMapping(s.env.DB, guildId, matchId)]);
  const m = match as MatchView;
  const note = mirrorNote(guildId, tournament as Tournament, m, mapping, s.now());
  return `${verb} ${matchLine(m)}${note ? `\n${note}` : ""}`;
}

async function change(ctx: Ctx, guildId: string, event: "match.updated" | "match.finished" | "match.deleted", patch: MatchPatch, verb: string) {
  const s = ctx.services;
  const m = await requireMatch(s, guildId, ctx.options.string("match"));
  if (m.status !== "scheduled") throw new UserError(`Match #${m.id} is already ${m.status}.`);
  const changed = (Object.keys(patch) as (keyof MatchPatch)[]).filter((k) => k !== "finished_at" && patch[k] !== (m as unknown as Record<string, unknown>)[k]);
  if (changed.length === 0) return `Nothing changed. ${matchLine(m)}`;
  const row = await updateMatch(s.env.DB, guildId, m.id, patch, s.now());
  if (!row) throw new UserError(`Match #${m.id} was finished or deleted meanwhile.`);
  await s.bus.emit(
    event,
    { match_id: m.id, tournament_id: m.tournament_id, slug: m.slug, scheduled_at: row.scheduled_at, changed },
    { guildId, userId: ctx.user.id },
  );
  return outcome(s, guildId, verb, m.id);
}

export const matchCommand: Command = {
  requiresFor: Object.fromEntries(["schedule", "reschedule", "title", "stream", "finish", "delete"].map((k) => [k, PermissionFlagsBits.ManageEvents])),
  data: {
    name: "match",
    description: "Schedule tournament matches (they appear in the Events tab)",
    options: [
      subcommand("schedule", "Schedule a match", [
        tournamentOption,
        time,
        option.user("player_a", "1v1: first player"),
        option.user("player_b", "1v1: second player"),
        option.string("team_a", "Teams: first (away) team", { autocomplete: true }),
        option.string("team_b", "Teams: second (home) team", { autocomplete: true }),
        option.string("title", 'Title instead of "A vs B"', { max_length: TITLE_MAX }),
        option.string("round", "Week or round", { max_length: 40 }),
        option.string("stream", "Stream channel (e.g. speedgaming)", { max_length: 100 }),
      ]),
      subcommand("reschedule", "Move a match", [match, time]),
      subcommand("title", "Set or clear a match's title", [match, option.string("title", "New title (leave out to clear)", { max_length: TITLE_MAX })]),
      subcommand("stream", "Set or clear a match's stream channel", [
        match,
        option.string("channel", "Channel name or https link (leave out to clear)", { max_length: 100 }),
      ]),
      subcommand("finish", "Mark a match played", [match]),
      subcommand("delete", "Delete a match", [match]),
      subcommand("list", "Upcoming matches", [option.string("tournament", "Only this tournament", { autocomplete: true }), pageOption]),
    ],
  },
  autocomplete,
  async run(ctx) {
    const guildId = ctx.guildId;
    if (!guildId) throw new UserError("Use this in a server.");
    const s = ctx.services;
    const o = ctx.options;
    switch (ctx.subcommand) {
      case "schedule": {
        const t = await requireTournament(s, guildId, o.string("tournament"));
        const at = await readTime(ctx, guildId);
        const m: NewMatch = {
          tournament_id: t.id,
          ...(await sides(ctx, t)),
          title: validTitle(o.string("title")),
          round: validRound(o.string("round")),
          scheduled_at: at,
          stream_channel: validStream(o.string("stream")),
        };
        const id = await insertMatch(s.env.DB, guildId, m, ctx.user.id, s.now());
        if (id === null) throw new UserError(capMessages.matches(t.name));
        const changed = [
          "scheduled_at",
          "sides",
          ...(m.title ? ["title"] : []),
          ...(m.round ? ["round"] : []),
          ...(m.stream_channel ? ["stream_channel"] : []),
        ];
        await s.bus.emit("match.scheduled", { match_id: id, tournament_id: t.id, slug: t.slug, scheduled_at: at, changed }, { guildId, userId: ctx.user.id });
        return outcome(s, guildId, "Scheduled", id);
      }
      case "reschedule":
        return change(ctx, guildId, "match.updated", { scheduled_at: await readTime(ctx, guildId) }, "Rescheduled");
      case "title":
        return change(ctx, guildId, "match.updated", { title: validTitle(o.string("title")) }, "Updated");
      case "stream":
        return change(ctx, guildId, "match.updated", { stream_channel: validStream(o.string("channel")) }, "Updated");
      case "finish":
        return change(ctx, guildId, "match.finished", { status: "finished", finished_at: s.now() }, "Finished");
      case "delete":
        return change(ctx, guildId, "match.deleted", { status: "deleted" }, "Deleted");
      case "list": {
        const slug = o.string("tournament");
        return matchListView(s, guildId, slug ? await requireTournament(s, guildId, slug) : null, o.integer("page") ?? 1);
      }
    }
    throw new UserError("Unknown subcommand.");
  },
};
