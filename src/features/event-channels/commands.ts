/** `/eventchannels`: every setting of the seed's schema, a view of the effective values, and the Extend button. */
import { channelMention, roleMention, TimestampStyles, time, userMention } from "@discordjs/formatters";
import { ChannelType, PermissionFlagsBits } from "discord-api-types/v10";
import { clampEmbeds } from "../../discord/message-limits";
import type { Command, Component } from "../../feature";
import { choices, option, subcommand } from "../../interactions/command-options";
import { fieldValue } from "../../interactions/list-view";
import type { MessageData } from "../../interactions/reply";
import { UserError } from "../../interactions/types";
import { timezoneChoices } from "../core/timezones";
import { extendButton } from "./live-steps";
import { EXTENSION_MS } from "./plan";
import { DEFAULT_SETTINGS, mergeSettings, readSettings, type Settings, writeSettings } from "./settings";
import { getEvent } from "./storage";
import { planLiveSteps } from "./timeline";

/** Settings set by `/eventchannels set`, with how a typed value is read. */
const SCALAR: Record<string, "int" | "bool" | "text" | "intlist"> = {
  timezone: "text",
  creation_minutes: "int",
  deletion_hours: "int",
  role_format: "text",
  channel_format: "text",
  space_replacer: "text",
  announcement_message: "text",
  event_start_message: "text",
  deletion_warning_message: "text",
  divider_enabled: "bool",
  divider_name: "text",
  channel_name_limit: "int",
  channel_name_limit_char: "text",
  minimum_retry_intervals: "intlist",
};

function parseValue(key: string, raw: string): unknown {
  const kind = SCALAR[key];
  const v = raw.trim();
  if (kind === "int") {
    if (!/^-?\d{1,6}$/.test(v)) throw new UserError(`\`${key}\` needs a whole number, not \`${v.slice(0, 50)}\`.`);
    return Number(v);
  }
  if (kind === "bool") {
    if (/^(on|true|yes|1)$/i.test(v)) return true;
    if (/^(off|false|no|0)$/i.test(v)) return false;
    throw new UserError(`\`${key}\` is on or off.`);
  }
  if (kind === "intlist") {
    const parts = v.split(/[\s,]+/).filter(Boolean);
    if (!parts.length || parts.some((p) => !/^\d{1,4}$/.test(p))) throw new UserError(`\`${key}\` is a list of minutes, e.g. \`10, 5, 2\`.`);
    return parts.map(Number);
  }
  // "" clears the limit character; a message can be turned off with "none".
  return key === "channel_name_limit_char" && v.toLowerCase() === "none" ? "" : raw;
}

/** Keywords one server can set per map (voice multipliers, voice minimums). */
export const MAX_VOICE_KEYWORDS = 25;

/** The effective settings as one embed; admin-written text (messages up to 1800 characters) is cut to a field's 1024. */
function show(s: Settings): MessageData {
  const msg = (m: string) => fieldValue(m ? `\`${m}\`` : "off");
  const map = (r: Record<string, number>) =>
    fieldValue(
      Object.entries(r)
        .map(([k, v]) => `\`${k}\` → ${v}`)
        .join(", ") || "none",
    );
  return {
    // Every value is within its own limit; together they can still pass the 6000 of an embed.
    embeds: clampEmbeds([
      {
        title: "Event channels",
        fields: [
          { name: "Category", value: s.category_id ? channelMention(s.category_id) : "not set (run `/eventchannels category`)", inline: true },
          { name: "Archive category", value: s.archive_category_id ? channelMention(s.archive_category_id) : "off (channels are deleted)", inline: true },
          { name: "Timezone", value: s.timezone, inline: true },
          { name: "Create", value: `${s.creation_minutes} min before start`, inline: true },
          { name: "Delete", value: `${s.deletion_hours} h after end`, inline: true },
          { name: "Divider", value: s.divider_enabled ? `\`${s.divider_name}\`` : "off", inline: true },
          { name: "Role name", value: fieldValue(`\`${s.role_format}\``), inline: true },
          { name: "Channel name", value: fieldValue(`\`${s.channel_format}\` (spaces → \`${s.space_replacer}\`)`), inline: true },
          {
            name: "Name limit",
            value: s.channel_name_limit_char ? `cut at \`${s.channel_name_limit_char}\`` : `${s.channel_name_limit} characters`,
            inline: true,
          },
          { name: "Announcement", value: msg(s.announcement_message) },
          { name: "Start message", value: msg(s.event_start_message) },
          { name: "Deletion warning", value: msg(s.deletion_warning_message) },
          { name: "Voice multipliers", value: map(s.voice_multipliers), inline: true },
          { name: "Voice minimums", value: map(s.voice_minimum_roles), inline: true },
          { name: "Minimum retries", value: `${s.minimum_retry_intervals.join(", ")} min before start`, inline: true },
          { name: "Whitelisted roles", value: fieldValue(s.whitelisted_roles.map((r) => roleMention(r)).join(" ") || "none") },
        ],
      },
    ]),
  };
}

const keyword = option.string("keyword", "A word in the event name (case-insensitive)", { required: true, max_length: 50 });
const categoryOption = (required: boolean) => option.channel("category", "A category channel", { required, channel_types: [ChannelType.GuildCategory] });

export const eventChannels: Command = {
  requires: PermissionFlagsBits.ManageGuild,
  data: {
    name: "eventchannels",
    description: "Channels and a role for each scheduled event, made before it starts and removed after",
    options: [
      subcommand("view", "Show the effective settings", []),
      subcommand("category", "Where event channels are created (turns the feature on)", [categoryOption(true)]),
      subcommand("archive-category", "Where channels members wrote in are archived (leave empty to delete them instead)", [categoryOption(false)]),
      subcommand("set", "Change a setting", [
        option.string("setting", "Which setting", { required: true, choices: choices(Object.keys(SCALAR)) }),
        option.string("value", 'The new value ("none" turns a message off)', { required: true, max_length: 1800, autocomplete: true }),
      ]),
      subcommand("voice-multiplier", "Events whose name has the keyword get one voice channel per N interested", [
        keyword,
        option.integer("per_channel", "Members per voice channel (0 removes the keyword)", { required: true, min_value: 0, max_value: 99 }),
      ]),
      subcommand("voice-minimum", "Events whose name has the keyword need this many interested, or no channels are made", [
        keyword,
        option.integer("minimum", "Interested members needed (0 removes the keyword)", { required: true, min_value: 0, max_value: 999 }),
      ]),
      subcommand("whitelist", "Roles that always see event channels", [
        option.string("action", "Add or remove", { required: true, choices: choices(["add", "remove"]) }),
        option.role("role", "The role", { required: true }),
      ]),
    ],
  },
  async autocomplete(ctx) {
    const setting = ctx.options.string("setting");
    const typed = ctx.options.focused()?.value ?? "";
    return setting === "timezone" ? timezoneChoices(typed) : [];
  },
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const { services: s, options } = ctx;
    const current = (await readSettings(s.env.DB, guildId)) ?? DEFAULT_SETTINGS;
    let patch: Record<string, unknown>;
    switch (ctx.subcommand) {
      case "view":
        return show(current);
      case "category":
        patch = { category_id: options.required(options.id("category"), "category") };
        break;
      case "archive-category":
        patch = { archive_category_id: options.id("category") };
        break;
      case "set": {
        const key = options.required(options.string("setting"), "setting");
        if (!(key in SCALAR)) throw new UserError(`There is no setting \`${key.slice(0, 50)}\`.`);
        patch = { [key]: parseValue(key, options.required(options.string("value"), "value")) };
        break;
      }
      case "voice-multiplier":
      case "voice-minimum": {
        const field = ctx.subcommand === "voice-multiplier" ? "voice_multipliers" : "voice_minimum_roles";
        const word = options.required(options.string("keyword"), "keyword").trim().toLowerCase();
        const n = options.required(options.integer(ctx.subcommand === "voice-multiplier" ? "per_channel" : "minimum"), "value");
        const next = { ...current[field] };
        if (n === 0) delete next[word];
        else next[word] = n;
        if (Object.keys(next).length > MAX_VOICE_KEYWORDS)
          throw new UserError(`A server can set at most ${MAX_VOICE_KEYWORDS} keywords here; remove one first (\`${ctx.subcommand} keyword:… 0\`).`);
        patch = { [field]: next };
        break;
      }
      case "whitelist": {
        const role = options.required(options.id("role"), "role");
        const add = options.string("action") === "add";
        patch = { whitelisted_roles: add ? [...new Set([...current.whitelisted_roles, role])] : current.whitelisted_roles.filter((r) => r !== role) };
        break;
      }
      default:
        throw new UserError("Unknown subcommand.");
    }
    const merged = mergeSettings(current, patch);
    if (!merged.ok) throw new UserError(`That value was not saved:\n${merged.problems.map((p) => `• ${p}`).join("\n")}`);
    await writeSettings(s.env.DB, guildId, merged.settings, ctx.user.id, s.now());
    await s.bus.emit(
      "bot.config_changed",
      { setting: `eventchannels.${Object.keys(patch)[0]}`, value: Object.values(patch)[0] },
      { guildId, userId: ctx.user.id },
    );
    return { content: "Saved.", ...show(merged.settings) };
  },
};

/** The button on the deletion warning: pushes the deletion back and says who did it. */
/** Extensions per event: members can keep the channels a while, not for ever. */
export const MAX_EXTENSIONS = 3;

export const extend: Component = {
  id: "ec:extend",
  async run(ctx) {
    const s = ctx.services;
    const guildId = ctx.guildId;
    const eventId = ctx.args[0];
    if (!guildId || !eventId) throw new UserError("This button is not from an event channel.");
    const rec = await getEvent(s.env.DB, guildId, eventId);
    const settings = await readSettings(s.env.DB, guildId);
    if (rec?.state !== "live" || !settings || !rec.delete_at) throw new UserError("These channels are already being removed.");
    // Only someone inside the event's channel may keep it: the button must be pressed there, by a member who can
    // see and write in it (the interaction's permissions are that channel's).
    const inside = ctx.interaction.channel?.id ?? ctx.interaction.channel_id;
    const need = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages;
    if (inside !== rec.text_id || (ctx.memberPermissions & need) !== need) throw new UserError("Only members of this event's channels can extend them.");
    if (rec.extensions >= MAX_EXTENSIONS) throw new UserError(`These channels were already extended ${MAX_EXTENSIONS} times; they cannot be extended again.`);
    const deleteAt = Math.max(rec.delete_at, s.now()) + EXTENSION_MS;
    // Planned before it is recorded: a press cut off in between leaves the record as it was, and pressing again
    // computes the same time. Two members pressing at once read the same record, so they plan the same time too.
    await planLiveSteps(s, rec, settings, deleteAt);
    // Compare-and-set on the count, so two members pressing at once extend once each, never past the cap.
    const res = await s.env.DB.prepare(
      "UPDATE event_channel_events SET delete_at = ?, extensions = extensions + 1, updated_at = ? WHERE guild_id = ? AND event_id = ? AND state = 'live' AND extensions = ?",
    )
      .bind(deleteAt, s.now(), guildId, eventId, rec.extensions)
      .run();
    if (res.meta.changes !== 1) throw new UserError("Someone else just extended these channels; press again if you need more time.");
    await s.bus.emit("event_channels.extended", { event_id: eventId, name: rec.name, delete_at: deleteAt }, { guildId, userId: ctx.user.id });
    const at = Math.floor(deleteAt / 1000);
    return {
      type: 7,
      data: {
        content: `Extended by ${userMention(ctx.user.id)}: these channels will now be removed ${time(at, TimestampStyles.RelativeTime)} (${time(at, TimestampStyles.LongDateShortTime)}).`,
        components: [extendButton(eventId)],
        allowed_mentions: { parse: [] },
      },
    };
  },
};
