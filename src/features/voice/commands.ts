/** `/voice-channel public|private` for members and `/voice-config` for admins. */
import { type APIChannel, ApplicationCommandOptionType, ChannelType, PermissionFlagsBits, Routes } from "discord-api-types/v10";
import type { Command } from "../../feature";
import { UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { scheduleDeletion } from "./lifecycle";
import { codename, validName } from "./names";
import { addChannel, DEFAULT_VOICE_SETTINGS, liveChannels, readVoiceSettings, writeVoiceSettings } from "./storage";

const link = (guildId: string, channelId: string) => `<#${channelId}> (https://discord.com/channels/${guildId}/${channelId})`;

/** Private match channels are built on the tournaments feature's teams and matches; no league exists yet. */
const NO_LEAGUE = "Private match channels need a league with teams and a schedule, and no league is configured in this server yet.";

async function createPublic(s: Services, guildId: string, userId: string, requested: string | null): Promise<string> {
  const settings = await readVoiceSettings(s.env.DB, guildId);
  if (!settings.category_id) throw new UserError("An admin needs to pick a category for temporary voice channels first: `/voice-config set category:`.");
  const live = await liveChannels(s.env.DB, guildId);
  if (live.length >= settings.max_live)
    throw new UserError(`This server already has ${live.length} temporary voice channels (the limit is ${settings.max_live}).`);
  const mine = live.filter((c) => c.owner_id === userId);
  if (mine.length >= settings.max_per_member) {
    throw new UserError(`You already have ${mine.map((c) => link(guildId, c.channel_id)).join(", ")}; the limit is ${settings.max_per_member} per member.`);
  }
  let name: string;
  if (requested) {
    const v = validName(requested);
    if (!v.ok) throw new UserError(v.reason);
    if (live.some((c) => c.name.toLowerCase() === v.name.toLowerCase())) throw new UserError(`A temporary channel named **${v.name}** already exists.`);
    name = v.name;
  } else {
    const picked = codename(new Set(live.map((c) => c.name)));
    if (!picked) throw new UserError("Every codename is in use; give the channel a name.");
    name = picked;
  }
  const ch = await s.discord.post<APIChannel>(Routes.guildChannels(guildId), {
    body: { name, type: ChannelType.GuildVoice, parent_id: settings.category_id },
    reason: "Temporary voice channel",
  });
  await addChannel(s.env.DB, { guild_id: guildId, channel_id: ch.id, kind: "public", name, owner_id: userId, match_key: null, created_at: s.now() });
  // Nobody has joined yet: without a join it goes after the same empty time.
  await scheduleDeletion(s, guildId, ch.id);
  await s.bus.emit("voice.channel_created", { channel_id: ch.id, name, kind: "public" }, { guildId, userId });
  return `Created ${link(guildId, ch.id)}. It is removed ${settings.empty_minutes} minutes after it empties.`;
}

export const voiceChannel: Command = {
  data: {
    name: "voice-channel",
    description: "A temporary voice channel, removed when it has been empty for a while",
    options: [
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: "public",
        description: "Anyone can join and talk",
        options: [{ type: ApplicationCommandOptionType.String, name: "name", description: "A name (default: a random codename)", max_length: 100 }],
      },
      { type: ApplicationCommandOptionType.Subcommand, name: "private", description: "For your team and this week's opponent" },
    ],
  },
  async run(ctx) {
    const guildId = ctx.guildId;
    if (!guildId) throw new UserError("Use this in a server.");
    if (ctx.subcommand === "private") throw new UserError(NO_LEAGUE);
    return createPublic(ctx.services, guildId, ctx.user.id, ctx.options.string("name"));
  },
};

export const voiceConfig: Command = {
  requires: PermissionFlagsBits.ManageChannels,
  data: {
    name: "voice-config",
    description: "Temporary voice channels: category and limits",
    options: [
      { type: ApplicationCommandOptionType.Subcommand, name: "view", description: "Show the settings" },
      {
        type: ApplicationCommandOptionType.Subcommand,
        name: "set",
        description: "Change one or more settings",
        options: [
          { type: ApplicationCommandOptionType.Channel, name: "category", description: "Where the channels go", channel_types: [ChannelType.GuildCategory] },
          {
            type: ApplicationCommandOptionType.Integer,
            name: "empty_minutes",
            description: "Minutes empty before removal (1–1440)",
            min_value: 1,
            max_value: 1440,
          },
          { type: ApplicationCommandOptionType.Integer, name: "max_live", description: "Temporary channels at once (1–100)", min_value: 1, max_value: 100 },
          { type: ApplicationCommandOptionType.Integer, name: "max_per_member", description: "Per member (1–10)", min_value: 1, max_value: 10 },
        ],
      },
    ],
  },
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const s = ctx.services;
    const current = await readVoiceSettings(s.env.DB, guildId);
    const show = (v: typeof current) =>
      `Category: ${v.category_id ? `<#${v.category_id}>` : "not set"} · removed after **${v.empty_minutes}** empty minutes · at most **${v.max_live}** at once, **${v.max_per_member}** per member.`;
    if (ctx.subcommand === "view") return show(current);
    const o = ctx.options;
    const within = (name: string, v: number | null, min: number, max: number) => {
      if (v !== null && (v < min || v > max)) throw new UserError(`\`${name}\` must be between ${min} and ${max}.`);
      return v;
    };
    const next = {
      ...DEFAULT_VOICE_SETTINGS,
      ...current,
      category_id: o.id("category") ?? current.category_id,
      empty_minutes: within("empty_minutes", o.integer("empty_minutes"), 1, 1440) ?? current.empty_minutes,
      max_live: within("max_live", o.integer("max_live"), 1, 100) ?? current.max_live,
      max_per_member: within("max_per_member", o.integer("max_per_member"), 1, 10) ?? current.max_per_member,
    };
    await writeVoiceSettings(s.env.DB, guildId, next, s.now());
    await s.bus.emit("bot.config_changed", { setting: "voice", value: next }, { guildId, userId: ctx.user.id });
    return `Saved. ${show(next)}`;
  },
};
