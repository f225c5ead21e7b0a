/** `/reminders`: a member's upcoming reminders, and for admins the types, offsets, Interested, channel, failures, stats. */
import { channelMention } from "@discordjs/formatters";
import { type APIChatInputApplicationCommandInteraction, ChannelType, PermissionFlagsBits } from "discord-api-types/v10";
import { missingPermissions } from "../../discord/permissions";
import type { Command } from "../../feature";
import { choices, option, pageOption, subcommand } from "../../interactions/command-options";
import { UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { failuresView, mineView, typesView, when } from "./lists";
import { formatOffset, parseOffsetList } from "./offsets";
import { planReminders } from "./schedule";
import { deleteType, listTypes, putType, readReminderSettings, writeReminderSettings } from "./settings";
import { upcomingEvents } from "./storage";
import { viewerOf } from "./visibility";

/** Most reminder types a server can have: with `all` and `matches` they fill the 25 options of the /subscribe menu. */
export const MAX_REMINDER_TYPES = 23;

function requireAdmin(memberPermissions: bigint): void {
  const missing = missingPermissions(memberPermissions, PermissionFlagsBits.ManageGuild);
  if (missing.length) throw new UserError(`You need the **${missing.join(", ")}** permission to do this.`);
}

/**
 * Pinging @everyone on every event is the admin's own power lent to the bot: they must hold Mention @everyone in
 * that channel. Discord puts the member's permissions in the chosen channel in the interaction's resolved data.
 */
function requireMentionEveryone(interaction: APIChatInputApplicationCommandInteraction, channelId: string): void {
  const perms = BigInt(interaction.data.resolved?.channels?.[channelId]?.permissions ?? "0");
  if (missingPermissions(perms, PermissionFlagsBits.MentionEveryone).length)
    throw new UserError(`To have reminders ping @everyone in ${channelMention(channelId)}, you need the **Mention @everyone** permission there.`);
}

export const reminders: Command = {
  data: {
    name: "reminders",
    description: "Your upcoming reminders; admins: reminder types, times, channel and delivery reports",
    options: [
      subcommand("mine", "The reminders you will get next", [pageOption]),
      subcommand("types", "Admins: the kinds of events members can subscribe to", [
        option.string("action", "list, add or remove", { required: true, choices: choices(["list", "add", "remove"]) }),
        option.string("name", "Type name, e.g. raids", { max_length: 32 }),
        option.string("keywords", "Comma-separated words matched in event names", { max_length: 200 }),
        pageOption,
      ]),
      subcommand("offsets", "Admins: the times members can pick, and the default ones", [
        option.string("allowed", "e.g. 24h, 12h, 4h, 1h, 15m, now", { max_length: 100 }),
        option.string("defaults", "e.g. 1h, now", { max_length: 100 }),
      ]),
      subcommand("interested", "Admins: remind members who click Interested on an event", [option.boolean("enabled", "On or off", { required: true })]),
      subcommand("channel", "Admins: also post reminders in a channel at 1h and at the start (empty turns it off)", [
        option.channel("channel", "A text channel", { channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement] }),
        option.boolean("everyone", "Mention @everyone when the event has no role"),
      ]),
      subcommand("failures", "Admins: DMs that could not be delivered", [pageOption]),
      subcommand("stats", "Admins: reminders sent, failed and skipped in the last 7 days", []),
    ],
  },
  async run(ctx) {
    const s = ctx.services;
    const guildId = ctx.guildId;
    if (!guildId) throw new UserError("Use this in a server.");
    const o = ctx.options;
    if (ctx.subcommand === "mine") return mineView(s, guildId, viewerOf(ctx.interaction), o.integer("page") ?? 1);
    requireAdmin(await ctx.guildPermissions());
    const settings = await readReminderSettings(s.env.DB, guildId);
    const changed = (setting: string, value: unknown) =>
      s.bus.emit("bot.config_changed", { setting: `reminders.${setting}`, value }, { guildId, userId: ctx.user.id });
    switch (ctx.subcommand) {
      case "types": {
        const action = o.string("action");
        if (action === "list") return typesView(s, guildId, o.integer("page") ?? 1);
        const name = o.required(o.string("name"), "name").trim().toLowerCase();
        if (!/^[a-z0-9][a-z0-9 _-]{0,31}$/.test(name) || name === "all" || name === "matches")
          throw new UserError("Type names are 1–32 letters, digits, spaces, - or _ (and not `all` or `matches`).");
        if (action === "remove") return (await deleteType(s.env.DB, guildId, name)) ? `Removed **${name}**.` : `There is no type **${name}**.`;
        const keywords = (o.string("keywords") ?? "")
          .split(",")
          .map((k) => k.trim().toLowerCase())
          .filter(Boolean);
        if (!keywords.length || keywords.some((k) => k.length > 50))
          throw new UserError("Give one or more comma-separated keywords (each up to 50 characters).");
        const existing = await listTypes(s.env.DB, guildId);
        if (existing.length >= MAX_REMINDER_TYPES && !existing.some((t) => t.name === name))
          throw new UserError(
            `This server has ${existing.length} reminder types, the most it can have (${MAX_REMINDER_TYPES}, so that they fit in the /subscribe menu with **all** and **matches**). Remove one first.`,
          );
        await putType(s.env.DB, guildId, { name, keywords });
        await changed("types", { name, keywords });
        return `Saved **${name}**: events whose name contains ${keywords.map((k) => `\`${k}\``).join(" or ")}.`;
      }
      case "offsets": {
        const next = { ...settings };
        for (const field of ["allowed", "defaults"] as const) {
          const raw = o.string(field);
          if (raw === null) continue;
          const parsed = parseOffsetList(raw);
          if (!parsed.ok) throw new UserError(parsed.reason);
          if (!parsed.offsets.length || parsed.offsets.length > 25) throw new UserError("List between 1 and 25 times.");
          if (field === "allowed") next.allowed_offsets = parsed.offsets;
          else next.default_offsets = parsed.offsets;
        }
        const stray = next.default_offsets.filter((d) => !next.allowed_offsets.includes(d));
        if (stray.length) throw new UserError(`Defaults must be among the allowed times; ${stray.map(formatOffset).join(", ")} is not.`);
        await writeReminderSettings(s.env.DB, guildId, next, s.now());
        await changed("offsets", { allowed: next.allowed_offsets, defaults: next.default_offsets });
        await replan(s, guildId);
        return `Members can pick ${when(next.allowed_offsets)}; the default is ${when(next.default_offsets)}.`;
      }
      case "interested": {
        const enabled = o.required(o.boolean("enabled"), "enabled");
        await writeReminderSettings(s.env.DB, guildId, { ...settings, interested_enabled: enabled }, s.now());
        await changed("interested", enabled);
        return enabled ? "Members who click **Interested** get reminders at the default times." : "Clicking **Interested** no longer sends reminders.";
      }
      case "channel": {
        const channel = o.id("channel");
        if (channel && o.boolean("everyone")) requireMentionEveryone(ctx.interaction, channel);
        await writeReminderSettings(s.env.DB, guildId, { ...settings, channel_id: channel, channel_everyone: o.boolean("everyone") ?? false }, s.now());
        await changed("channel", channel);
        if (channel) await replan(s, guildId);
        return channel ? `Reminders will also be posted in ${channelMention(channel)} an hour before and at the start.` : "Channel reminders are off.";
      }
      case "failures":
        return failuresView(s, guildId, o.integer("page") ?? 1);
      case "stats": {
        const since = s.now() - 7 * 86_400_000;
        const rows = await s.env.DB.prepare("SELECT status, COUNT(*) AS n FROM reminder_deliveries WHERE guild_id = ? AND updated_at >= ? GROUP BY status")
          .bind(guildId, since)
          .all<{ status: string; n: number }>();
        const n = (st: string) => rows.results.find((r) => r.status === st)?.n ?? 0;
        return `Last 7 days: **${n("sent")}** sent, **${n("failed")}** failed, **${n("skipped")}** skipped (late), ${n("retry") + n("claimed")} in progress.`;
      }
      default:
        throw new UserError("Unknown subcommand.");
    }
  },
};

/** Offsets or the channel changed: plan the upcoming events again (unchanged items are no-ops). */
async function replan(s: Services, guildId: string): Promise<void> {
  for (const ev of await upcomingEvents(s.env.DB, guildId, s.now(), 50)) await planReminders(s, ev);
}
