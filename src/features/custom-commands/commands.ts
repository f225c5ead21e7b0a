/** `/cc`: create and edit (a modal for the text), delete, list, info, and run a guild's custom commands. */
import { TimestampStyles, time, userMention } from "@discordjs/formatters";
import { ComponentType, PermissionFlagsBits, TextInputStyle } from "discord-api-types/v10";
import { missingPermissions } from "../../discord/permissions";
import type { Command, Component, Modal } from "../../feature";
import { option, pageOption, subcommand } from "../../interactions/command-options";
import { cappedList, pagedList } from "../../interactions/list-view";
import { type MessageData, reply } from "../../interactions/reply";
import { customId, UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { afterChange, readSlashSettings, setSlash, syncOrDefer } from "./slash";
import {
  countCommands,
  createCommand,
  deleteCommand,
  getCommand,
  listCommands,
  MAX_COMMANDS_PER_GUILD,
  MAX_COMMANDS_PER_MEMBER,
  NAME_RULE,
  recordUse,
  updateResponse,
} from "./storage";

const nameOption = (autocomplete: boolean) =>
  // Discord's types tell an autocomplete option from one with choices: each branch narrows the flag for them.
  option.string(
    "name",
    "The command's name",
    autocomplete ? { required: true, max_length: 32, autocomplete } : { required: true, max_length: 32, autocomplete },
  );

function checkName(raw: string): string {
  const name = raw.trim().toLowerCase();
  if (!NAME_RULE.test(name)) throw new UserError("Names are 1–32 lowercase letters, digits, `-` or `_`, with no spaces (Discord's command-name rules).");
  return name;
}

function responseModal(id: string, name: string, title: string, value?: string) {
  return reply.modal({
    custom_id: customId(id, name),
    title,
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.TextInput,
            custom_id: "response",
            label: "What the command answers",
            style: TextInputStyle.Paragraph,
            min_length: 1,
            max_length: 2000,
            required: true,
            ...(value ? { value } : {}),
          },
        ],
      },
    ],
  });
}

const isManager = (perms: bigint) => missingPermissions(perms, PermissionFlagsBits.ManageGuild).length === 0;

/** Creators and Manage Server members may change a command. */
function mayChange(creatorId: string, userId: string, perms: bigint): boolean {
  return creatorId === userId || isManager(perms);
}

/** The reply at a cap, or null while there is room. */
function capReached(counts: { guild: number; member: number }, manager: boolean): string | null {
  if (counts.guild >= MAX_COMMANDS_PER_GUILD)
    return `This server has ${counts.guild} custom commands, the most it can have (${MAX_COMMANDS_PER_GUILD}). Delete unused ones first (\`/cc list\`, \`/cc delete\`).`;
  if (!manager && counts.member >= MAX_COMMANDS_PER_MEMBER)
    return `You have made ${counts.member} custom commands here, the most one member can make (${MAX_COMMANDS_PER_MEMBER}). Delete one of yours first, or ask someone with Manage Server.`;
  return null;
}

/** `/cc list` and its Prev/Next buttons: one page of every command with its use count. */
async function listPage(db: D1Database, guildId: string, page: number): Promise<MessageData> {
  const all = await listCommands(db, guildId);
  return pagedList({
    header: `Custom commands (${all.length}), use one with \`/cc run\`:`,
    lines: all.map((c) => `• \`${c.name}\` — used ${c.uses} time${c.uses === 1 ? "" : "s"}`),
    page,
    empty: "No custom commands yet. Make one with `/cc create`.",
    pageId: (n) => customId(LIST_PAGE, n),
  });
}

const LIST_PAGE = "cc:list";

export const listPageButton: Component = {
  id: LIST_PAGE,
  async run(ctx) {
    if (!ctx.guildId) throw new UserError("Custom commands live in servers.");
    return reply.update(await listPage(ctx.services.env.DB, ctx.guildId, Number(ctx.args[0]) || 1));
  },
};

const ago = (t: number | null) => (t ? time(new Date(t), TimestampStyles.RelativeTime) : "never");

export const cc: Command = {
  data: {
    name: "cc",
    description: "This server's custom commands",
    options: [
      subcommand("run", "Use a custom command", [nameOption(true)]),
      subcommand("create", "Make a custom command (you type its answer next)", [nameOption(false)]),
      subcommand("edit", "Change a custom command's answer", [nameOption(true)]),
      subcommand("delete", "Delete a custom command", [nameOption(true)]),
      subcommand("list", "All custom commands here", [pageOption]),
      subcommand("info", "Who made a command and how much it is used", [nameOption(true)]),
      subcommand("slash", "Also register each custom command as /name in this server (Manage Server)", [
        option.boolean("enabled", "On or off (leave out to see the state)"),
      ]),
    ],
  },
  requiresFor: { slash: PermissionFlagsBits.ManageGuild },
  async autocomplete(ctx) {
    if (!ctx.guildId) return [];
    const typed = (ctx.options.focused()?.value ?? "").toLowerCase();
    return (await listCommands(ctx.services.env.DB, ctx.guildId))
      .filter((c) => c.name.includes(typed))
      .slice(0, 25)
      .map((c) => ({ name: c.name, value: c.name }));
  },
  async run(ctx) {
    const guildId = ctx.guildId;
    if (!guildId) throw new UserError("Custom commands live in servers.");
    const db = ctx.services.env.DB;
    if (ctx.subcommand === "slash") return slashCommand(ctx.services, guildId, ctx.options.boolean("enabled"));
    if (ctx.subcommand === "list") return listPage(db, guildId, ctx.options.integer("page") ?? 1);
    const name = checkName(ctx.options.required(ctx.options.string("name"), "name"));
    if (ctx.subcommand === "create") {
      if (await getCommand(db, guildId, name)) throw new UserError(`\`${name}\` already exists here; use \`/cc edit\`.`);
      // Checked before the form opens so nobody types an answer for nothing; the insert checks again.
      const counts = await countCommands(db, guildId, ctx.user.id);
      const full = capReached(counts, isManager(await ctx.guildPermissions()));
      if (full) throw new UserError(full);
      return responseModal("cc:create", name, `New command: ${name}`);
    }
    const existing = await getCommand(db, guildId, name);
    if (!existing) throw new UserError(`There is no custom command \`${name}\` here.`);
    switch (ctx.subcommand) {
      case "run":
        await recordUse(db, guildId, name, ctx.services.now());
        return { type: 4, data: { content: existing.response, allowed_mentions: { parse: [] } } };
      case "info":
        return `\`${existing.name}\` by ${userMention(existing.creator_id)}: used ${existing.uses} times, last ${ago(existing.last_used_at)}, made ${time(new Date(existing.created_at), TimestampStyles.LongDate)}.`;
      case "edit":
        if (!mayChange(existing.creator_id, ctx.user.id, await ctx.guildPermissions()))
          throw new UserError("Only its creator or someone with Manage Server can change it.");
        return responseModal("cc:edit", name, `Edit: ${name}`, existing.response);
      case "delete":
        if (!mayChange(existing.creator_id, ctx.user.id, await ctx.guildPermissions()))
          throw new UserError("Only its creator or someone with Manage Server can delete it.");
        await deleteCommand(db, guildId, name);
        await ctx.services.bus.emit("custom_command.deleted", { name, reason: "deleted by a member", uses: existing.uses }, { guildId, userId: ctx.user.id });
        return `Deleted \`${name}\`.${await afterChange(ctx.services, guildId)}`;
      default:
        throw new UserError("Unknown subcommand.");
    }
  },
};

async function slashCommand(s: Services, guildId: string, enabled: boolean | null): Promise<string> {
  const db = s.env.DB;
  if (enabled !== null) {
    await setSlash(db, guildId, enabled, s.now());
    const r = await syncOrDefer(s, guildId);
    if (!r.ok) throw new UserError("Discord did not accept the server's commands just now; try `/cc slash` again in a minute.");
    await s.bus.emit("bot.config_changed", { setting: "custom_commands.slash", value: enabled }, { guildId });
    if (r.deferred)
      return `Saved. Discord is busy right now: the server's slash commands are updated ${time(new Date(r.deferred), TimestampStyles.RelativeTime)}.`;
    if (!enabled) return "Custom commands are no longer registered as slash commands here; `/cc run` still works.";
    const done = `Registered ${r.registered} custom command${r.registered === 1 ? "" : "s"} as slash commands (\`/name\`).`;
    if (!r.left.length) return done;
    const left = `${r.left.length} not registered (the bot's own names, or over Discord's 100 per server; they still work with \`/cc run\`):`;
    return cappedList(
      `${done}\n${left}`,
      r.left.map((n) => `• \`${n}\``),
    );
  }
  const st = await readSlashSettings(db, guildId);
  if (!st.register_slash) return "Custom commands are used with `/cc run` only. `/cc slash enabled:True` also registers each as `/name`.";
  const when = st.registered_at ? ` ${time(new Date(st.registered_at), TimestampStyles.RelativeTime)}` : "";
  return `Slash registration is on: ${st.registered_count ?? 0} registered${when}.${st.last_error ? ` ⚠️ Last attempt failed: ${st.last_error}` : ""}`;
}

export const createModal: Modal = {
  id: "cc:create",
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const name = checkName(ctx.args[0] ?? "");
    const response = (ctx.fields.get("response") ?? "").trim();
    if (!response) throw new UserError("The answer is empty.");
    const s = ctx.services;
    const manager = isManager(await ctx.guildPermissions());
    const row = { guild_id: guildId, name, response: response.slice(0, 2000), creator_id: ctx.user.id };
    const outcome = await createCommand(s.env.DB, row, s.now(), manager ? null : MAX_COMMANDS_PER_MEMBER);
    if (outcome === "exists") throw new UserError(`\`${name}\` already exists here; use \`/cc edit\`.`);
    if (outcome !== "created") throw new UserError(capReached(await countCommands(s.env.DB, guildId, ctx.user.id), manager) ?? "No room for another command.");
    const slash = (await readSlashSettings(s.env.DB, guildId)).register_slash === 1;
    const how = slash && !s.botCommandNames.has(name) ? `\`/${name}\` or \`/cc run name:${name}\`` : `\`/cc run name:${name}\``;
    const shadow = slash && s.botCommandNames.has(name) ? ` (\`/${name}\` is one of my own commands, so it stays under /cc run.)` : "";
    return `Created \`${name}\`. Anyone can use it with ${how}.${shadow}${await afterChange(s, guildId)}`;
  },
};

export const editModal: Modal = {
  id: "cc:edit",
  async run(ctx) {
    const guildId = ctx.guildId as string;
    const name = checkName(ctx.args[0] ?? "");
    const existing = await getCommand(ctx.services.env.DB, guildId, name);
    if (!existing) throw new UserError(`There is no custom command \`${name}\` here.`);
    if (!mayChange(existing.creator_id, ctx.user.id, await ctx.guildPermissions()))
      throw new UserError("Only its creator or someone with Manage Server can change it.");
    const response = (ctx.fields.get("response") ?? "").trim();
    if (!response) throw new UserError("The answer is empty.");
    await updateResponse(ctx.services.env.DB, guildId, name, response.slice(0, 2000), ctx.services.now());
    return `Updated \`${name}\`.`;
  },
};
