/** Builds interaction payloads the way Discord would send them when a member uses the bot. */
import { channelOf, guildOf, memberChannelPerms } from "./access.ts";
import { ApiError } from "./http.ts";
import type { InteractionRecord, Message, World } from "./state.ts";

export interface InteractionRequest {
  kind: "ping" | "command" | "autocomplete" | "component" | "modal";
  guild_id?: string;
  channel_id?: string;
  user_id?: string;
  /** Command name, e.g. "bot-config". */
  name?: string;
  /** "view" or "group sub". */
  subcommand?: string;
  /** Shorthand {option: value}; types come from the registered command, else from the JS value. */
  options?: Record<string, string | number | boolean>;
  /** For autocomplete: which option is being typed. */
  focused?: string;
  custom_id?: string;
  values?: string[];
  component_type?: number;
  message_id?: string;
  fields?: Record<string, string>;
}

const TYPE = { ping: 1, command: 2, component: 3, autocomplete: 4, modal: 5 } as const;

type OptDef = { name: string; type: number; options?: OptDef[] };

function findCommand(world: World, guildId: string | undefined, name: string): { options?: OptDef[] } | undefined {
  const guildCommands = guildId ? (world.guilds.get(guildId)?.commands ?? []) : [];
  return [...guildCommands, ...world.globalCommands].find((c) => (c as { name: string }).name === name) as { options?: OptDef[] } | undefined;
}

function inferType(value: unknown): number {
  if (typeof value === "boolean") return 5;
  if (typeof value === "number") return Number.isInteger(value) ? 4 : 10;
  return 3;
}

function commandData(world: World, req: InteractionRequest) {
  const name = req.name ?? "";
  const def = findCommand(world, req.guild_id, name);
  let defs = def?.options ?? [];
  const path = (req.subcommand ?? "").split(" ").filter(Boolean);
  for (const part of path) defs = defs.find((d) => d.name === part)?.options ?? [];
  const leaves = Object.entries(req.options ?? {}).map(([k, v]) => ({
    name: k,
    type: defs.find((d) => d.name === k)?.type ?? inferType(v),
    value: v,
    ...(req.kind === "autocomplete" && req.focused === k ? { focused: true } : {}),
  }));
  let options: unknown[] = leaves;
  for (let i = path.length - 1; i >= 0; i--) options = [{ name: path[i], type: i === path.length - 1 ? 1 : 2, options }];
  const resolved = resolve(world, req.guild_id, req.user_id, leaves);
  return { id: world.ids.next(), name, type: 1, options, ...(resolved ? { resolved } : {}), ...(req.guild_id ? { guild_id: req.guild_id } : {}) };
}

/** Discord sends the users, members, roles and channels that options point at in `data.resolved`. */
function resolve(world: World, guildId: string | undefined, userId: string | undefined, leaves: { type: number; value: unknown }[]) {
  const out: Record<string, Record<string, unknown>> = {};
  const put = (kind: string, id: string, value: unknown) => {
    out[kind] ??= {};
    (out[kind] as Record<string, unknown>)[id] = value;
  };
  const guild = guildId ? world.guilds.get(guildId) : undefined;
  for (const leaf of leaves) {
    const id = String(leaf.value);
    if (leaf.type === 6 || leaf.type === 9) {
      const user = world.users.get(id);
      if (user) put("users", id, user);
      const member = guild?.members.get(id);
      if (member) put("members", id, { roles: member.roles, nick: member.nick, joined_at: member.joined_at, permissions: "0", flags: 0 });
    }
    if (leaf.type === 8 || leaf.type === 9) {
      const role = guild?.roles.find((r) => r.id === id);
      if (role) put("roles", id, role);
    }
    if (leaf.type === 7) {
      const channel = world.channels.get(id);
      // As Discord does: the invoking member's permissions in that channel, overwrites included.
      const perms = channel && guild && userId && guild.members.has(userId) ? memberChannelPerms(world, guild, userId, channel).toString() : "0";
      if (channel) put("channels", id, { id: channel.id, name: channel.name, type: channel.type, permissions: perms });
    }
  }
  return Object.keys(out).length ? out : undefined;
}

function findMessage(world: World, id: string | undefined): Message | undefined {
  if (!id) return undefined;
  for (const list of world.messages.values()) {
    const m = list.find((x) => x.id === id);
    if (m) return m;
  }
  for (const rec of world.interactions.values()) {
    if (rec.original?.id === id) return rec.original;
    // Buttons on a followup (e.g. an ephemeral one) are clicked too.
    const followup = rec.followups.find((m) => m.id === id);
    if (followup) return followup;
  }
  return undefined;
}

export function buildInteraction(world: World, req: InteractionRequest): { record: InteractionRecord; body: Record<string, unknown> } {
  const id = world.ids.next();
  const token = `emu.${id}.${crypto.randomUUID().replace(/-/g, "")}`;
  const base: Record<string, unknown> = { id, application_id: world.applicationId, type: TYPE[req.kind], token, version: 1 };
  if (req.kind !== "ping") {
    const userId = req.user_id ?? "";
    const user = world.users.get(userId);
    if (!user) throw new ApiError(400, 0, `unknown user ${userId}`);
    if (req.guild_id) {
      const guild = guildOf(world, req.guild_id);
      const member = guild.members.get(userId);
      if (!member) throw new ApiError(400, 0, `user ${userId} is not a member of ${guild.id}`);
      const channel = channelOf(world, req.channel_id ?? world.guildChannels(guild.id).find((c) => c.type === 0)?.id);
      Object.assign(base, {
        guild_id: guild.id,
        guild: { id: guild.id, locale: "en-US", features: [] },
        guild_locale: "en-US",
        channel_id: channel.id,
        channel: { id: channel.id, type: channel.type, name: channel.name, guild_id: guild.id },
        member: {
          user,
          roles: member.roles,
          permissions: memberChannelPerms(world, guild, userId, channel).toString(),
          joined_at: member.joined_at,
          nick: member.nick,
          deaf: false,
          mute: false,
          flags: 0,
        },
        app_permissions: memberChannelPerms(world, guild, world.applicationId, channel).toString(),
        authorizing_integration_owners: { "0": guild.id },
        context: 0,
      });
    } else {
      Object.assign(base, { user, authorizing_integration_owners: { "1": userId }, context: 1, app_permissions: "0" });
      // In a DM with the bot (e.g. a button on a reminder DM), Discord sends that DM channel.
      const dm = req.channel_id ? world.channels.get(req.channel_id) : undefined;
      if (dm?.type === 1) Object.assign(base, { channel_id: dm.id, channel: { id: dm.id, type: 1 } });
    }
    base.locale = "en-US";
    base.entitlements = [];
  }
  if (req.kind === "command" || req.kind === "autocomplete") base.data = commandData(world, req);
  if (req.kind === "component") {
    const message = findMessage(world, req.message_id);
    base.data = { custom_id: req.custom_id, component_type: req.component_type ?? 2, ...(req.values ? { values: req.values } : {}) };
    base.message = message ?? { id: req.message_id ?? world.ids.next(), channel_id: base.channel_id, content: "", embeds: [], components: [], flags: 0 };
  }
  if (req.kind === "modal") {
    base.data = {
      custom_id: req.custom_id,
      components: Object.entries(req.fields ?? {}).map(([custom_id, value]) => ({ type: 1, components: [{ type: 4, custom_id, value }] })),
    };
  }
  const record: InteractionRecord = {
    id,
    token,
    type: TYPE[req.kind],
    guild_id: base.guild_id as string | undefined,
    channel_id: base.channel_id as string | undefined,
    user_id: req.user_id ?? "",
    created_at: Date.now(),
    body: base,
    followups: [],
  };
  // For a component, @original is the message the component sits on.
  if (req.kind === "component") record.original = findMessage(world, req.message_id);
  world.interactions.set(id, record);
  return { record, body: base };
}

/** Stores the bot's initial response; a message response becomes the interaction's original message. */
export function recordResponse(world: World, record: InteractionRecord, response: unknown): void {
  record.response = response;
  const r = response as { type?: number; data?: { content?: string; embeds?: unknown[]; components?: unknown[]; flags?: number } };
  if (r.type === 4) {
    record.original = {
      id: world.ids.next(),
      channel_id: record.channel_id ?? "0",
      author: world.botUser,
      content: r.data?.content ?? "",
      embeds: r.data?.embeds ?? [],
      components: r.data?.components ?? [],
      flags: r.data?.flags ?? 0,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      interaction_id: record.id,
    };
  }
  if (r.type === 7) {
    const message = findMessage(world, (record.body as { message?: { id?: string } }).message?.id);
    if (message)
      Object.assign(message, {
        content: r.data?.content ?? message.content,
        embeds: r.data?.embeds ?? message.embeds,
        components: r.data?.components ?? message.components,
      });
  }
}
