/** `/voice-channel public|private` for members and `/voice-config` for admins. */
import { channelMention, TimestampStyles, time } from "@discordjs/formatters";
import { ChannelType, OverwriteType, PermissionFlagsBits } from "discord-api-types/v10";
import type { Command } from "../../feature";
import { option, subcommand } from "../../interactions/command-options";
import { UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { teamMatchThisWeek } from "../tournaments/league-query";
import { adoptLostCreates, createTempChannel } from "./create";
import { scheduleDeletion } from "./lifecycle";
import { codename, validName } from "./names";
import { channelForMatch, DEFAULT_VOICE_SETTINGS, liveChannels, readVoiceSettings, writeVoiceSettings } from "./storage";

const link = (guildId: string, channelId: string) => `${channelMention(channelId)} (https://discord.com/channels/${guildId}/${channelId})`;

const NO_LEAGUE =
  "Private match channels need a league with teams and a schedule, and no league is configured in this server yet (an admin sets one up with `/tournament create format:Teams` and `/team create`).";

async function createPublic(s: Services, guildId: string, userId: string, requested: string | null): Promise<string> {
  // Asking again after an answer was lost: the channel the earlier request made is theirs, not a second one.
  const lost = await adoptLostCreates(s, guildId, { kind: "public", owner_id: userId });
  const wanted = requested ? validName(requested) : null;
  const again = lost.find((c) => !wanted || (wanted.ok && c.intent.name.toLowerCase() === wanted.name.toLowerCase()));
  for (const c of lost) await s.bus.emit("voice.channel_created", { channel_id: c.channelId, name: c.intent.name, kind: "public" }, { guildId, userId });
  if (again) {
    const { empty_minutes } = await readVoiceSettings(s.env.DB, guildId);
    return `Created ${link(guildId, again.channelId)}. It is removed ${empty_minutes} minutes after it empties.`;
  }
  const { settings, live, category } = await checkLimits(s, guildId);
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
  const ch = await createTempChannel(
    s,
    { guild_id: guildId, kind: "public", name, parent_id: category, owner_id: userId, match_key: null },
    { name, type: ChannelType.GuildVoice, parent_id: category },
    "Temporary voice channel",
    settings.max_live,
  );
  // Nobody has joined yet: without a join it goes after the same empty time.
  await Promise.all([
    scheduleDeletion(s, guildId, ch.channelId),
    s.bus.emit("voice.channel_created", { channel_id: ch.channelId, name, kind: "public" }, { guildId, userId }),
  ]);
  return `Created ${link(guildId, ch.channelId)}. It is removed ${settings.empty_minutes} minutes after it empties.`;
}

async function checkLimits(s: Services, guildId: string) {
  const settings = await readVoiceSettings(s.env.DB, guildId);
  if (!settings.category_id) throw new UserError("An admin needs to pick a category for temporary voice channels first: `/voice-config set category:`.");
  const live = await liveChannels(s.env.DB, guildId);
  if (live.length >= settings.max_live)
    throw new UserError(`This server already has ${live.length} temporary voice channels (the limit is ${settings.max_live}).`);
  return { settings, live, category: settings.category_id };
}

/**
 * `{Away} vs {Home}` for the member's team and its match this week: everyone may see it, only the two
 * teams' roles may connect and speak. One per match; asking again returns it.
 */
async function createPrivate(s: Services, guildId: string, userId: string, memberRoles: readonly string[]): Promise<string> {
  const found = await teamMatchThisWeek(s.env.DB, guildId, memberRoles, s.now());
  if (found.state === "no_league") throw new UserError(NO_LEAGUE);
  if (found.state === "no_team") throw new UserError("Private match channels are for team members, and you have no team role in this server's league.");
  if (found.state === "no_match") {
    const names = found.teams.map((t) => `**${t.name}**`).join(", ");
    throw new UserError(
      `${names} ${found.teams.length === 1 ? "has" : "have"} no match this week (until ${time(new Date(found.until), TimestampStyles.LongDateShortTime)}).`,
    );
  }
  const { match, roles } = found;
  const key = `match:${match.id}`;
  // A teammate's (or the member's own) earlier request whose answer was lost made it: adopted, not made twice.
  for (const c of await adoptLostCreates(s, guildId, { kind: "private", match_key: key }))
    await s.bus.emit("voice.channel_created", { channel_id: c.channelId, name: c.intent.name, kind: "private" }, { guildId, userId });
  const existing = await channelForMatch(s.env.DB, guildId, key);
  if (existing) return `Your match channel is ${link(guildId, existing.channel_id)}.`;
  const { settings, category } = await checkLimits(s, guildId);
  const name = `${match.a.name} vs ${match.b.name}`.slice(0, 100);
  const team = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.Connect | PermissionFlagsBits.Speak;
  const ch = await createTempChannel(
    s,
    { guild_id: guildId, kind: "private", name, parent_id: category, owner_id: userId, match_key: key },
    {
      name,
      type: ChannelType.GuildVoice,
      parent_id: category,
      permission_overwrites: [
        { id: guildId, type: OverwriteType.Role, allow: String(PermissionFlagsBits.ViewChannel), deny: String(PermissionFlagsBits.Connect) },
        ...roles.filter(Boolean).map((id) => ({ id, type: OverwriteType.Role, allow: String(team), deny: "0" })),
      ],
    },
    `Private channel for match #${match.id}`,
    settings.max_live,
  );
  if (!ch.tracked) {
    // A teammate asked at the same moment and won: theirs stays, this one (the bot's own, just made) goes.
    await s.api.channels.delete(ch.channelId, { reason: "Duplicate private match channel" }).catch(() => undefined);
    const winner = await channelForMatch(s.env.DB, guildId, key);
    return winner ? `Your match channel is ${link(guildId, winner.channel_id)}.` : "Your match channel is being set up; try again in a moment.";
  }
  await Promise.all([
    scheduleDeletion(s, guildId, ch.channelId),
    s.bus.emit("voice.channel_created", { channel_id: ch.channelId, name, kind: "private" }, { guildId, userId }),
  ]);
  return `Created ${link(guildId, ch.channelId)} for **${name}**: both teams can join and talk, everyone else can see it. It is removed ${settings.empty_minutes} minutes after it empties.`;
}

export const voiceChannel: Command = {
  data: {
    name: "voice-channel",
    description: "A temporary voice channel, removed when it has been empty for a while",
    options: [
      subcommand("public", "Anyone can join and talk", [option.string("name", "A name (default: a random codename)", { max_length: 100 })]),
      subcommand("private", "For your team and this week's opponent"),
    ],
  },
  async run(ctx) {
    const guildId = ctx.guildId;
    if (!guildId) throw new UserError("Use this in a server.");
    if (ctx.subcommand === "private") return createPrivate(ctx.services, guildId, ctx.user.id, ctx.interaction.member?.roles ?? []);
    return createPublic(ctx.services, guildId, ctx.user.id, ctx.options.string("name"));
  },
};

export const voiceConfig: Command = {
  requires: PermissionFlagsBits.ManageChannels,
  data: {
    name: "voice-config",
    description: "Temporary voice channels: category and limits",
    options: [
      subcommand("view", "Show the settings"),
      subcommand("set", "Change one or more settings", [
        option.channel("category", "Where the channels go", { channel_types: [ChannelType.GuildCategory] }),
        option.integer("empty_minutes", "Minutes empty before removal (1–1440)", { min_value: 1, max_value: 1440 }),
        option.integer("max_live", "Temporary channels at once (1–100)", { min_value: 1, max_value: 100 }),
        option.integer("max_per_member", "Per member (1–10)", { min_value: 1, max_value: 10 }),
      ]),
    ],
  },
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const s = ctx.services;
    const current = await readVoiceSettings(s.env.DB, guildId);
    const show = (v: typeof current) =>
      `Category: ${v.category_id ? channelMention(v.category_id) : "not set"} · removed after **${v.empty_minutes}** empty minutes · at most **${v.max_live}** at once, **${v.max_per_member}** per member.`;
    if (ctx.subcommand === "view") return show(current);
    const o = ctx.options;
    const within = (name: string, v: number | null, min: number, max: number, unit = "") => {
      if (v !== null && (v < min || v > max)) throw new UserError(`\`${name}\` must be between ${min} and ${max}${unit}.`);
      return v;
    };
    const next = {
      ...DEFAULT_VOICE_SETTINGS,
      ...current,
      category_id: o.id("category") ?? current.category_id,
      empty_minutes: within("empty_minutes", o.integer("empty_minutes"), 1, 1440, " minutes (up to a day)") ?? current.empty_minutes,
      max_live: within("max_live", o.integer("max_live"), 1, 100) ?? current.max_live,
      max_per_member: within("max_per_member", o.integer("max_per_member"), 1, 10) ?? current.max_per_member,
    };
    await writeVoiceSettings(s.env.DB, guildId, next, s.now());
    await s.bus.emit("bot.config_changed", { setting: "voice", value: next }, { guildId, userId: ctx.user.id });
    return `Saved. ${show(next)}`;
  },
};
