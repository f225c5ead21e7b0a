/** `/tournament create|edit|list|status|sync` and the "Sync events now" button (Manage Events). */
import { TimestampStyles, time } from "@discordjs/formatters";
import { ButtonStyle, ComponentType, PermissionFlagsBits } from "discord-api-types/v10";
import { LIMITS, truncate } from "../../discord/message-limits";
import type { Command, Component } from "../../feature";
import { option, pageOption, subcommand } from "../../interactions/command-options";
import { cappedList } from "../../interactions/list-view";
import type { OptionReader } from "../../interactions/options";
import type { MessageData } from "../../interactions/reply";
import { customId, UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { capMessages } from "./caps";
import { autocomplete, requireTournament } from "./choices";
import { DESCRIPTION_MAX, TEMPLATE_PLACEHOLDERS } from "./event-format";
import { tournamentListView, tournamentOption } from "./lists";
import { mappingsOf } from "./mapping-storage";
import { describeTournament } from "./replies";
import { insertTournament, listTournaments, type Tournament, type TournamentInput, updateTournament } from "./storage";
import { queueGuildSync, syncGuild } from "./sync";
import { readSyncStatus, type SyncResult } from "./sync-status";

const SLUG = /^[a-z0-9][a-z0-9-]{1,19}$/;
const SYNC_BUTTON = "tournaments:sync";

const settingOptions = [
  option.boolean("discord_events", "Put matches in the server's Events tab (default off)"),
  option.integer("duration", "Event length in minutes (default 120)", { min_value: 15, max_value: 1440 }),
  option.string("stream_base", "Where stream handles point (default https://twitch.tv/)", { max_length: 80 }),
  option.string("description", "Event description template; {match} {tournament} {time} {stream}… (`none` clears)", { max_length: 1000 }),
];

function validBase(raw: string): string {
  const v = raw.trim();
  if (!/^https:\/\/[^\s/]+\.[^\s/]+(\/[^\s]*)?$/i.test(v)) throw new UserError("`stream_base` must be an https URL, like `https://twitch.tv/`.");
  return v.endsWith("/") ? v : `${v}/`;
}

function validTemplate(raw: string): string | null {
  const v = raw.trim();
  if (!v || v.toLowerCase() === "none") return null;
  if (v.length > DESCRIPTION_MAX) throw new UserError(`The description template can be at most ${DESCRIPTION_MAX} characters.`);
  const unknown = [...v.matchAll(/\{[a-z_]+\}/g)].map((m) => m[0]).filter((p) => !(p in TEMPLATE_PLACEHOLDERS));
  if (unknown.length) throw new UserError(`Unknown placeholder ${unknown.join(", ")}. Available: ${Object.keys(TEMPLATE_PLACEHOLDERS).join(" ")}`);
  return v;
}

function applySettings(o: OptionReader, base: TournamentInput): TournamentInput {
  const bool = (name: string, current: number) => {
    const v = o.boolean(name);
    return v === null ? current : v ? 1 : 0;
  };
  const name = o.string("name")?.trim();
  if (name !== undefined && (name.length < 1 || name.length > 100)) throw new UserError("The name must be 1–100 characters.");
  const duration = o.integer("duration");
  if (duration !== null && (duration < 15 || duration > 1440)) throw new UserError("`duration` must be 15–1440 minutes.");
  const base_ = o.string("stream_base");
  const template = o.string("description");
  return {
    ...base,
    name: name ?? base.name,
    create_scheduled_events: bool("discord_events", base.create_scheduled_events),
    scheduled_events_enabled: bool("events_enabled", base.scheduled_events_enabled),
    event_minutes: duration ?? base.event_minutes,
    stream_base: base_ === null ? base.stream_base : validBase(base_),
    description_template: template === null ? base.description_template : validTemplate(template),
  };
}

function syncSummary(r: SyncResult | null): string {
  if (!r) return "never";
  if (r.error) return `failed (${r.error.slice(0, 100)})`;
  const parts = [`${r.created} created`, `${r.updated} updated`, `${r.deleted} removed`, `${r.unchanged} unchanged`];
  if (r.over_limit) parts.push(`**${r.over_limit} over Discord's limit of 100 events**`);
  if (r.failed) parts.push(`${r.failed} failed (retried next hour)`);
  return parts.join(", ");
}

export async function statusMessage(s: Services, guildId: string): Promise<MessageData> {
  const [status, mappings, tournaments] = await Promise.all([
    readSyncStatus(s.env.DB, guildId),
    mappingsOf(s.env.DB, guildId),
    listTournaments(s.env.DB, guildId),
  ]);
  const live = mappings.filter((m) => m.scheduled_event_id && (m.start_at ?? 0) > s.now()).length;
  const waiting = mappings.filter((m) => !m.scheduled_event_id && m.last_error).length;
  const lines = [
    `**Match events** · last sync: ${status.last_sync_at ? time(new Date(status.last_sync_at), TimestampStyles.RelativeTime) : "never"} · result: ${syncSummary(status.result)}`,
    `Upcoming Discord events for matches: **${live}**${waiting ? ` · matches without their event: **${waiting}**` : ""}`,
  ];
  if (status.permission_warning) lines.push(`⚠️ ${status.permission_warning}`);
  const list = tournaments.length ? tournaments.map(describeTournament) : ["No tournaments yet: `/tournament create`."];
  return {
    content: cappedList(`${lines.join("\n")}\n`, list, LIMITS.content, (n) => `…and ${n} more: \`/tournament list\``),
    components: [
      {
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.Button, style: ButtonStyle.Primary, label: "Sync events now", custom_id: customId(SYNC_BUTTON) }],
      },
    ],
  };
}

async function syncNow(s: Services, guildId: string): Promise<string> {
  const r = await syncGuild(s, guildId);
  if (r.remaining) await queueGuildSync(s, guildId);
  const more = r.remaining ? ` ${r.remaining} more changes continue in the background.` : "";
  return `Synced: ${syncSummary(r)} (${r.calls} Discord call${r.calls === 1 ? "" : "s"}).${more}`;
}

export const tournamentCommand: Command = {
  requires: PermissionFlagsBits.ManageEvents,
  deferred: ["sync"],
  data: {
    name: "tournament",
    description: "Tournaments and their matches in the Events tab",
    options: [
      subcommand("create", "Create a tournament", [
        option.string("slug", "Short id, e.g. alttpr2026 (lower case, digits, -)", { required: true, min_length: 2, max_length: 20 }),
        option.string("name", "Full name", { required: true, max_length: 100 }),
        option.string("format", "Who plays (default 1v1)", {
          choices: [
            { name: "1v1 (members)", value: "solo" },
            { name: "Teams (a role per team)", value: "teams" },
          ],
        }),
        ...settingOptions,
      ]),
      subcommand("edit", "Change a tournament's settings", [
        tournamentOption,
        option.string("name", "Full name", { max_length: 100 }),
        option.boolean("events_enabled", "Master switch for this tournament's Discord events"),
        ...settingOptions,
      ]),
      subcommand("list", "List tournaments", [pageOption]),
      subcommand("status", "Last sync, upcoming events and warnings"),
      subcommand("sync", "Sync match events with Discord now"),
    ],
  },
  autocomplete,
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const s = ctx.services;
    switch (ctx.subcommand) {
      case "create": {
        const slug = (ctx.options.string("slug") ?? "").trim().toLowerCase();
        if (!SLUG.test(slug)) throw new UserError("The slug must be 2–20 characters: lower-case letters, digits and `-`, starting with a letter or digit.");
        const format = ctx.options.string("format") === "teams" ? "teams" : "solo";
        const input = applySettings(ctx.options, {
          slug,
          name: "",
          format,
          create_scheduled_events: 0,
          scheduled_events_enabled: 1,
          event_minutes: 120,
          description_template: null,
          stream_base: "https://twitch.tv/",
        });
        if (!input.name) throw new UserError("Give the tournament a name.");
        const t = await insertTournament(s.env.DB, guildId, input, s.now());
        if (t === "taken") throw new UserError(`A tournament with the slug \`${slug}\` already exists here.`);
        if (t === "full") throw new UserError(capMessages.tournaments());
        await s.bus.emit("tournament.created", { tournament_id: t.id, slug, name: t.name }, { guildId, userId: ctx.user.id });
        return `Created ${describeTournament(t)}.${t.create_scheduled_events ? "" : "\nDiscord events are off; `/tournament edit discord_events:True` turns them on."}`;
      }
      case "edit": {
        const t = await requireTournament(s, guildId, ctx.options.string("tournament"));
        const next = { ...t, ...applySettings(ctx.options, t) };
        const changed = (Object.keys(next) as (keyof Tournament)[]).filter((k) => next[k] !== t[k]);
        if (changed.length === 0) return `Nothing changed. ${describeTournament(t)}`;
        await updateTournament(s.env.DB, next, s.now());
        await s.bus.emit("tournament.updated", { tournament_id: t.id, slug: t.slug, changed }, { guildId, userId: ctx.user.id });
        // Switches, duration and template touch every match: one sync brings them all in line.
        const synced = await syncNow(s, guildId);
        return `Saved ${describeTournament(next)}.\n${synced}`;
      }
      case "list":
        return tournamentListView(s, guildId, ctx.options.integer("page") ?? 1);
      case "status":
        return statusMessage(s, guildId);
      case "sync":
        return syncNow(s, guildId);
    }
    throw new UserError("Unknown subcommand.");
  },
};

export const syncButton: Component = {
  id: SYNC_BUTTON,
  requires: PermissionFlagsBits.ManageEvents,
  deferred: true,
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const summary = await syncNow(ctx.services, guildId);
    const status = await statusMessage(ctx.services, guildId);
    return { ...status, content: truncate(`${summary}\n\n${status.content}`, LIMITS.content) };
  },
};
