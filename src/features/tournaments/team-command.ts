/** `/team create|edit|delete|list`: a team is a name and a Discord role; its members are the role's holders. */
import { roleMention } from "@discordjs/formatters";
import { PermissionFlagsBits } from "discord-api-types/v10";
import type { Command } from "../../feature";
import { option, pageOption, subcommand } from "../../interactions/command-options";
import { UserError } from "../../interactions/types";
import { capMessages } from "./caps";
import { autocomplete, requireTeam, requireTournament } from "./choices";
import { teamListView, tournamentOption as tournament } from "./lists";
import { mirrorLive } from "./mirror";
import { deleteTeam, insertTeam, listTeams, teamMatchCount, updateTeam } from "./storage";

const team = option.string("team", "The team", { required: true, autocomplete: true });

function validName(raw: string | null): string | null {
  if (raw === null) return null;
  const v = raw.trim().replace(/\s+/g, " ");
  if (v.length < 1 || v.length > 60) throw new UserError("A team name must be 1–60 characters.");
  return v;
}

export const teamCommand: Command = {
  requires: PermissionFlagsBits.ManageEvents,
  data: {
    name: "team",
    description: "Teams of a team tournament",
    options: [
      subcommand("create", "Add a team", [
        tournament,
        option.string("name", "Team name", { required: true, max_length: 60 }),
        option.role("role", "The team's role (its holders are the players)", { required: true }),
      ]),
      subcommand("edit", "Rename a team or change its role", [
        tournament,
        team,
        option.string("name", "New name", { max_length: 60 }),
        option.role("role", "New role"),
      ]),
      subcommand("delete", "Remove a team without matches", [tournament, team]),
      subcommand("list", "List a tournament's teams", [tournament, pageOption]),
    ],
  },
  autocomplete,
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const s = ctx.services;
    const db = s.env.DB;
    const t = await requireTournament(s, guildId, ctx.options.string("tournament"));
    const who = { guildId, userId: ctx.user.id };
    switch (ctx.subcommand) {
      case "create": {
        if (t.format !== "teams") throw new UserError(`${t.name} is a 1v1 tournament: its matches are between members, not teams.`);
        const name = validName(ctx.options.string("name")) as string;
        const roleId = ctx.options.required(ctx.options.id("role"), "role");
        if (roleId === guildId) throw new UserError("@everyone cannot be a team's role.");
        const created = await insertTeam(db, guildId, t.id, name, roleId, s.now());
        if (created === "taken") throw new UserError(`${t.name} already has a team called **${name}**.`);
        if (created === "full") throw new UserError(capMessages.teams(t.name));
        await s.bus.emit("team.created", { team_id: created.id, tournament_id: t.id, name, role_id: roleId }, who);
        return `Added **${name}** (${roleMention(roleId)}) to ${t.name}.`;
      }
      case "edit": {
        const current = await requireTeam(s, t, ctx.options.string("team"));
        const next = { ...current, name: validName(ctx.options.string("name")) ?? current.name, role_id: ctx.options.id("role") ?? current.role_id };
        const changed = (["name", "role_id"] as const).filter((k) => next[k] !== current[k]);
        if (changed.length === 0) return "Nothing changed.";
        if (
          next.name.toLowerCase() !== current.name.toLowerCase() &&
          (await listTeams(db, guildId, t.id)).some((x) => x.name.toLowerCase() === next.name.toLowerCase())
        )
          throw new UserError(`${t.name} already has a team called **${next.name}**.`);
        const affected = await updateTeam(db, next, s.now());
        await s.bus.emit("team.updated", { team_id: current.id, tournament_id: t.id, name: next.name, role_id: next.role_id, changed }, who);
        // A new name changes the events of the team's matches.
        if (changed.includes("name")) for (const id of affected) await mirrorLive(s, guildId, id);
        return `Saved **${next.name}** (${roleMention(next.role_id)})${affected.length && changed.includes("name") ? `; updated ${affected.length} upcoming match${affected.length === 1 ? "" : "es"}` : ""}.`;
      }
      case "delete": {
        const current = await requireTeam(s, t, ctx.options.string("team"));
        const n = await teamMatchCount(db, guildId, current.id);
        if (n > 0) throw new UserError(`**${current.name}** still has ${n} scheduled match${n === 1 ? "" : "es"}; finish or delete them first.`);
        await deleteTeam(db, guildId, current.id);
        await s.bus.emit("team.deleted", { team_id: current.id, tournament_id: t.id, name: current.name }, who);
        return `Removed **${current.name}** from ${t.name}.`;
      }
      case "list":
        return teamListView(s, t, ctx.options.integer("page") ?? 1);
    }
    throw new UserError("Unknown subcommand.");
  },
};
