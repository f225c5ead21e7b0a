/** Builds the page's view of one emulated guild from the emulator's world: what each member would see in Discord. */
import { memberChannelPerms, memberPerms } from "../test/emulator/access.ts";
import type { Fault } from "../test/emulator/limits.ts";
import { P } from "../test/emulator/permissions.ts";
import type { Channel, Guild, InteractionRecord, Message, World } from "../test/emulator/state.ts";
import type { CommandDef } from "./command-line.ts";
import type { ChannelView, EventView, MemberView, MessageView, OverwriteView, RoleView, SandboxState } from "./types.ts";

const PERMISSION_NAMES: [number, string][] = [
  [0, "Create Invite"],
  [1, "Kick Members"],
  [2, "Ban Members"],
  [3, "Administrator"],
  [4, "Manage Channels"],
  [5, "Manage Server"],
  [6, "Add Reactions"],
  [7, "View Audit Log"],
  [10, "View Channel"],
  [11, "Send Messages"],
  [13, "Manage Messages"],
  [14, "Embed Links"],
  [15, "Attach Files"],
  [16, "Read Message History"],
  [17, "Mention Everyone"],
  [20, "Connect"],
  [21, "Speak"],
  [22, "Mute Members"],
  [24, "Move Members"],
  [28, "Manage Roles"],
  [29, "Manage Webhooks"],
  [31, "Use Application Commands"],
  [33, "Manage Events"],
  [44, "Create Events"],
];

/** Permission bits as the names Discord's settings show (unknown bits as `bit N`). */
export function permissionNames(bits: string | bigint): string[] {
  const value = BigInt(bits);
  const out: string[] = [];
  for (let i = 0n; i < 53n; i++) {
    if (!(value & (1n << i))) continue;
    out.push(PERMISSION_NAMES.find(([b]) => BigInt(b) === i)?.[1] ?? `bit ${i}`);
  }
  return out;
}

const MAX_MESSAGES = 100;
const EPHEMERAL = 64;

function userName(world: World, guild: Guild, id: string): string {
  return guild.members.get(id)?.nick ?? world.users.get(id)?.global_name ?? world.users.get(id)?.username ?? id;
}

function channelView(world: World, guild: Guild, c: Channel): ChannelView {
  const members = [...guild.members.keys()];
  const perms = new Map(members.map((m) => [m, memberChannelPerms(world, guild, m, c)]));
  const overwrites: OverwriteView[] = (c.permission_overwrites ?? []).map((o) => ({
    id: o.id,
    kind: o.type === 0 ? "role" : "member",
    name: o.type === 0 ? (guild.roles.find((r) => r.id === o.id)?.name ?? `deleted role ${o.id}`) : userName(world, guild, o.id),
    allow: permissionNames(o.allow),
    deny: permissionNames(o.deny),
  }));
  const has = (bit: bigint) => members.filter((m) => ((perms.get(m) ?? 0n) & bit) === bit);
  return {
    id: c.id,
    name: c.name ?? "",
    type: c.type,
    parent_id: c.parent_id ?? null,
    topic: c.topic ?? null,
    overwrites,
    visible_to: has(P.ViewChannel),
    can_connect: c.type === 2 ? has(P.ViewChannel | P.Connect) : [],
    voice_members: [...guild.voice].filter(([, ch]) => ch === c.id).map(([u]) => u),
  };
}

/** Discord's sidebar order: channels without a category first, then each category; text before voice, by position. */
function sections(world: World, guild: Guild): SandboxState["sections"] {
  const all = world.guildChannels(guild.id);
  const order = (a: Channel, b: Channel) => Number(a.type === 2) - Number(b.type === 2) || (a.position ?? 0) - (b.position ?? 0) || (a.id < b.id ? -1 : 1);
  const children = (parent: string | null) =>
    all
      .filter((c) => c.type !== 4 && (c.parent_id ?? null) === parent)
      .sort(order)
      .map((c) => channelView(world, guild, c));
  const categories = all.filter((c) => c.type === 4).sort(order);
  // Channels whose category was deleted show at the top, as Discord does.
  const orphans = all.filter((c) => c.type !== 4 && c.parent_id && !world.channels.has(c.parent_id)).map((c) => channelView(world, guild, c));
  return [
    { category: null, channels: [...children(null), ...orphans] },
    ...categories.map((cat) => ({ category: channelView(world, guild, cat), channels: children(cat.id) })),
  ];
}

function messageView(m: Message, extra: Partial<MessageView> = {}): MessageView {
  return {
    id: m.id,
    channel_id: m.channel_id,
    author_id: m.author.id,
    content: m.content,
    embeds: m.embeds,
    components: m.components,
    timestamp: m.timestamp,
    edited: m.edited_timestamp !== null,
    ephemeral_to: null,
    thinking: false,
    ...extra,
  };
}

/** "/voice-channel public name:x" from a command interaction's data. */
export function commandLabel(body: unknown): string {
  const data = (body as { data?: { name?: string; options?: { name: string; type: number; value?: unknown; options?: unknown[] }[] } }).data;
  const parts = [`/${data?.name ?? "?"}`];
  let opts = data?.options ?? [];
  while (opts.length === 1 && (opts[0]?.type === 1 || opts[0]?.type === 2)) {
    parts.push(opts[0].name);
    opts = (opts[0].options ?? []) as typeof opts;
  }
  for (const o of opts) parts.push(`${o.name}:${String(o.value)}`);
  return parts.join(" ");
}

/** The messages an interaction added to its channel: the reply (or "thinking…"), then followups. */
function interactionMessages(rec: InteractionRecord, seen: Set<string>): MessageView[] {
  const out: MessageView[] = [];
  const response = rec.response as { type?: number; data?: { flags?: number } } | undefined;
  const used = rec.type === 2 ? { user_id: rec.user_id, command: commandLabel(rec.body) } : undefined;
  const ephemeral = (flags: number) => (flags & EPHEMERAL ? rec.user_id : null);
  const channel = rec.channel_id ?? "";
  if (rec.original && !seen.has(rec.original.id)) {
    seen.add(rec.original.id);
    out.push(messageView(rec.original, { channel_id: channel, ephemeral_to: ephemeral(rec.original.flags), used }));
  } else if (response?.type === 5 && !rec.original) {
    out.push({
      ...messageView({
        id: `thinking-${rec.id}`,
        channel_id: channel,
        author: { id: "", username: "", global_name: null },
        content: "",
        embeds: [],
        components: [],
        flags: 0,
        timestamp: new Date(rec.created_at).toISOString(),
        edited_timestamp: null,
      }),
      author_id: "",
      thinking: true,
      ephemeral_to: ephemeral(response.data?.flags ?? 0),
      used,
    });
  }
  for (const f of rec.followups) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    out.push(messageView(f, { channel_id: channel, ephemeral_to: ephemeral(f.flags) }));
  }
  return out;
}

function messages(world: World, guild: Guild, channelIds: string[]): Record<string, MessageView[]> {
  const out: Record<string, MessageView[]> = {};
  const seen = new Set<string>();
  for (const id of channelIds) {
    const list = world.messages.get(id) ?? [];
    for (const m of list) seen.add(m.id);
    out[id] = list.map((m) => messageView(m));
  }
  const dms = new Set(channelIds.filter((id) => world.channels.get(id)?.type === 1));
  for (const rec of world.interactions.values()) {
    if (rec.guild_id !== guild.id && !(rec.channel_id && dms.has(rec.channel_id))) continue;
    for (const m of interactionMessages(rec, seen)) {
      out[m.channel_id] ??= [];
      out[m.channel_id]?.push(m);
    }
  }
  const byTime = (a: MessageView, b: MessageView) => Date.parse(a.timestamp) - Date.parse(b.timestamp);
  for (const [id, list] of Object.entries(out)) out[id] = list.sort(byTime).slice(-MAX_MESSAGES);
  return out;
}

function members(world: World, guild: Guild): MemberView[] {
  return [...guild.members.entries()].map(([id, m]) => {
    const perms = memberPerms(guild, id);
    return {
      id,
      name: userName(world, guild, id),
      bot: !!world.users.get(id)?.bot,
      owner: id === guild.owner_id,
      admin: (perms & P.ManageGuild) === P.ManageGuild,
      roles: m.roles,
      permissions: perms.toString(),
      voice: guild.voice.get(id) ?? null,
      dm_channel: world.dmChannels.get(id) ?? null,
    };
  });
}

function roles(guild: Guild): RoleView[] {
  return [...guild.roles]
    .sort((a, b) => b.position - a.position)
    .map((r) => ({
      id: r.id,
      name: r.name,
      color: r.color,
      position: r.position,
      managed: r.managed,
      everyone: r.id === guild.id,
      permissions: permissionNames(r.permissions),
      members: r.id === guild.id ? guild.members.size : [...guild.members.values()].filter((m) => m.roles.includes(r.id)).length,
    }));
}

function events(guild: Guild): EventView[] {
  return [...guild.scheduled_events]
    .sort((a, b) => Date.parse(a.scheduled_start_time) - Date.parse(b.scheduled_start_time))
    .map((e) => ({
      id: e.id,
      name: e.name,
      description: e.description,
      start: e.scheduled_start_time,
      end: e.scheduled_end_time,
      status: e.status,
      location: e.entity_metadata?.location ?? null,
      creator_id: e.creator_id,
      users: [...e.users],
    }));
}

export interface ViewExtras {
  faults: Fault[];
  gateway: SandboxState["gateway"];
}

/** The whole page state for one guild, or null when the guild is gone. */
export function guildView(world: World, guildId: string, extras: ViewExtras): SandboxState | null {
  const guild = world.guilds.get(guildId);
  if (!guild) return null;
  const memberList = members(world, guild);
  const dmChannels = memberList.flatMap((m) => (m.dm_channel ? [m.dm_channel] : []));
  return {
    guild: { id: guild.id, name: guild.name, owner_id: guild.owner_id },
    bot_id: world.botUser.id,
    admin_role_id: guild.roles.find((r) => r.name === "Admin")?.id ?? null,
    members: memberList,
    roles: roles(guild),
    sections: sections(world, guild),
    events: events(guild),
    messages: messages(world, guild, [...world.guildChannels(guild.id).map((c) => c.id), ...dmChannels]),
    commands: [...(guild.commands as CommandDef[]), ...(world.globalCommands as CommandDef[])],
    faults: extras.faults.map((f) => ({ id: f.id, path: f.path, method: f.method, status: f.status, global: f.global, times: f.times, hits: f.hits })),
    gateway: extras.gateway,
  };
}
