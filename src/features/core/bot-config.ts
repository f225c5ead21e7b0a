/** `/bot-config`: the guild's core settings (timezone, event level, audit channel) and a permission self-check. */
import { channelMention } from "@discordjs/formatters";
import { ButtonStyle, ChannelType, ComponentType, PermissionFlagsBits } from "discord-api-types/v10";
import { rotateCalendarToken } from "../../calendar/feed";
import { botChannelPermissions, botStanding, checkRequirements } from "../../discord/bot-permissions";
import { LIMITS } from "../../discord/message-limits";
import { missingPermissions } from "../../discord/permissions";
import { effectiveLevel, LEVELS, parseLevel } from "../../events/levels";
import type { Command, Component } from "../../feature";
import { normaliseTimezone, readGuildSettings, updateGuildSettings } from "../../guild-settings";
import { choices, option, subcommand, subcommandGroup } from "../../interactions/command-options";
import { cappedList } from "../../interactions/list-view";
import type { MessageData } from "../../interactions/reply";
import { customId, UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { timezoneChoices } from "./timezones";
import { webhookCommand } from "./webhook-command";

const AUDIT_NEEDS = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks;

async function viewMessage(services: Services, guildId: string): Promise<MessageData> {
  const s = await readGuildSettings(services.env.DB, guildId);
  const level = effectiveLevel(services.env.EVENT_LEVEL, s.event_level);
  const levelText =
    level.source === "env" ? `${level.level} (set by the operator's EVENT_LEVEL; the guild's choice is ${s.event_level ?? "unset"})` : level.level;
  return {
    embeds: [
      {
        title: "Bot settings",
        fields: [
          { name: "Timezone", value: s.timezone, inline: true },
          { name: "Event level", value: levelText, inline: true },
          { name: "Audit channel", value: s.audit_channel_id ? channelMention(s.audit_channel_id) : "not set", inline: true },
        ],
      },
    ],
    components: [
      {
        type: ComponentType.ActionRow,
        components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: customId("core:check"), label: "Check my permissions" }],
      },
    ],
  };
}

/** Reads the bot's role and permissions from Discord and lists, per feature, what is missing. */
export async function permissionReport(services: Services, guildId: string): Promise<MessageData> {
  const botId = services.env.DISCORD_APPLICATION_ID;
  const standing = await botStanding(services.discord, guildId, botId);
  const lines = checkRequirements(standing.permissions, services.botRequirements).map(({ requirement, missing }) =>
    missing.length ? `❌ **${requirement.feature}**: missing ${missing.join(", ")} (${requirement.why})` : `✅ **${requirement.feature}**: ${requirement.why}`,
  );
  const settings = await readGuildSettings(services.env.DB, guildId);
  if (settings.audit_channel_id) {
    try {
      const channel = await services.api.channels.get(settings.audit_channel_id);
      const missing = missingPermissions(botChannelPermissions(standing, botId, channel), AUDIT_NEEDS);
      lines.push(
        missing.length
          ? `❌ **audit channel** ${channelMention(channel.id)}: missing ${missing.join(", ")}`
          : `✅ **audit channel** ${channelMention(channel.id)}`,
      );
    } catch {
      lines.push("❌ **audit channel**: the configured channel no longer exists; set a new one with `/bot-config audit-channel`");
    }
  }
  const ok = lines.every((l) => l.startsWith("✅"));
  return {
    embeds: [
      {
        title: ok ? "All permissions in place" : "Some permissions are missing",
        description: lines.length ? cappedList("", lines, LIMITS.embedDescription) : "No feature needs extra permissions.",
        color: ok ? 0x3ba55c : 0xed4245,
      },
    ],
    components: [],
  };
}

const webhookId = option.string("id", "From /bot-config webhook list", { required: true, max_length: 20 });

export const botConfig: Command = {
  requires: PermissionFlagsBits.ManageGuild,
  deferred: ["check"],
  data: {
    name: "bot-config",
    description: "Configure the bot for this server",
    options: [
      subcommand("view", "Show the current settings"),
      subcommand("timezone", "Set the server's timezone (used for times you type and for names)", [
        option.string("zone", "IANA zone, e.g. Europe/Berlin", { required: true, autocomplete: true, max_length: 64 }),
      ]),
      subcommand("event-level", "Which bot events are reported: NONE, CRITICAL, SYSTEM or FULL", [
        option.string("level", "Levels are cumulative", { required: true, choices: choices(LEVELS) }),
      ]),
      subcommand("audit-channel", "Where bot events are posted (leave empty to turn off)", [
        option.channel("channel", "A text channel the bot can post in", { channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement] }),
      ]),
      subcommand("check", "Check that the bot has the permissions its features need"),
      subcommand("calendar", "A private iCal feed of this server's events (a new link each time; the old one stops working)"),
      subcommandGroup("webhook", "Send bot events to another system", [
        subcommand("add", "Deliver events to an https URL (the signing secret is shown once)", [
          option.string("url", "https://…", { required: true, max_length: 500 }),
          option.string("events", "Names or namespaces, e.g. match.*, reminder.sent (empty = all)", { max_length: 500 }),
        ]),
        subcommand("list", "The webhooks and their state"),
        subcommand("remove", "Stop delivering to a webhook", [webhookId]),
        subcommand("test", "Send a test delivery now", [webhookId]),
      ]),
    ],
  },
  async autocomplete(ctx) {
    return timezoneChoices(ctx.options.focused()?.value ?? "");
  },
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const { services, options } = ctx;
    const changed = async (setting: string, value: unknown) => services.bus.emit("bot.config_changed", { setting, value }, { guildId, userId: ctx.user.id });
    switch (ctx.subcommand) {
      case "view":
        return viewMessage(services, guildId);
      case "check":
        return permissionReport(services, guildId);
      case "timezone": {
        const input = options.required(options.string("zone"), "zone");
        const zone = normaliseTimezone(input);
        if (!zone)
          throw new UserError(`\`${input.slice(0, 64)}\` is not a timezone I know. Pick one from the list, e.g. \`Europe/Berlin\` or \`America/New_York\`.`);
        await updateGuildSettings(services.env.DB, guildId, { timezone: zone });
        await changed("timezone", zone);
        return `Timezone set to **${zone}**.`;
      }
      case "event-level": {
        const level = parseLevel(options.string("level"));
        if (!level) throw new UserError(`Choose one of ${LEVELS.join(", ")}.`);
        await updateGuildSettings(services.env.DB, guildId, { event_level: level });
        await changed("event_level", level);
        const eff = effectiveLevel(services.env.EVENT_LEVEL, level);
        return eff.source === "env"
          ? `Event level saved as **${level}**, but the operator's EVENT_LEVEL=${eff.level} overrides it for now.`
          : `Event level set to **${level}**.`;
      }
      case "audit-channel": {
        const channelId = options.id("channel");
        await updateGuildSettings(services.env.DB, guildId, { audit_channel_id: channelId });
        await changed("audit_channel", channelId);
        return channelId
          ? `Bot events will be posted in ${channelMention(channelId)}. Run \`/bot-config check\` to confirm I can post there.`
          : "Audit channel turned off.";
      }
      case "calendar": {
        const token = await rotateCalendarToken(services.env.DB, guildId, services.now());
        const path = `/calendar/${guildId}/${token}.ics`;
        const base = services.env.PUBLIC_URL?.replace(/\/+$/, "");
        await changed("calendar", "rotated");
        return `Subscribe to ${base ? `<${base}${path}>` : `\`${path}\` on this bot's address`} in your calendar app. Anyone with the link sees the events; run this again for a new link (the old one stops working).`;
      }
      case "webhook add":
      case "webhook list":
      case "webhook remove":
      case "webhook test":
        return webhookCommand(ctx.subcommand.slice("webhook ".length), services, guildId, options);
      default:
        throw new UserError(`Unknown subcommand \`${ctx.subcommand}\`.`);
    }
  },
};

export const checkButton: Component = {
  id: "core:check",
  requires: PermissionFlagsBits.ManageGuild,
  deferred: true,
  async run(ctx) {
    if (!ctx.guildId) throw new UserError("This can only be used in a server.");
    return { type: 7, data: await permissionReport(ctx.services, ctx.guildId) } as const;
  },
};
