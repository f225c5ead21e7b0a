/** Control routes where the emulator acts as a guild's members: schedule events, mark interest, post, delete by hand. */
import { channelOf, guildOf } from "./access.ts";
import { errors, match } from "./http.ts";
import type { PermOverwrite } from "./permissions.ts";
import { addException, patchEvent, publicEvent, ruleFrom } from "./scheduled-events.ts";
import type { ScheduledEvent, World } from "./state.ts";

type Body = Record<string, unknown>;
type Action = (world: World, p: Record<string, string>, body: Body) => unknown;

function eventOf(world: World, guildId: string, eventId: string): ScheduledEvent {
  const ev = guildOf(world, guildId).scheduled_events.find((e) => e.id === eventId);
  if (!ev) throw errors.unknown("Guild Scheduled Event");
  return ev;
}

function addInterested(world: World, ev: ScheduledEvent, userId: string): void {
  if (ev.users.includes(userId)) return;
  ev.users.push(userId);
  ev.user_count = ev.users.length;
  world.dispatch("GUILD_SCHEDULED_EVENT_USER_ADD", { guild_scheduled_event_id: ev.id, user_id: userId, guild_id: ev.guild_id }, ev.guild_id);
}

const actions: [string, string, Action][] = [
  [
    "POST",
    "/_emulator/guilds/:guild/scheduled-events",
    (world, p, b) => {
      const g = guildOf(world, p.guild);
      const start = String(b.scheduled_start_time ?? "");
      if (Number.isNaN(Date.parse(start))) throw errors.badRequest("scheduled_start_time is required");
      const rule = ruleFrom(b, start) ?? null;
      const ev: ScheduledEvent = {
        id: world.ids.next(),
        guild_id: g.id,
        name: String(b.name ?? "Event"),
        description: (b.description as string | undefined) ?? null,
        scheduled_start_time: start,
        scheduled_end_time: (b.scheduled_end_time as string | undefined) ?? null,
        privacy_level: 2,
        status: 1,
        entity_type: Number(b.entity_type ?? 3),
        entity_id: null,
        channel_id: (b.channel_id as string | undefined) ?? null,
        entity_metadata: b.entity_type === 2 ? null : { location: String(b.location ?? "Somewhere") },
        creator_id: String(b.creator_id ?? g.owner_id),
        user_count: 0,
        recurrence_rule: rule,
        guild_scheduled_event_exceptions: [],
        users: [],
      };
      g.scheduled_events.push(ev);
      // `silent`: made while the bot's gateway connection was down, so no dispatch reaches it.
      if (!b.silent) world.dispatch("GUILD_SCHEDULED_EVENT_CREATE", publicEvent(ev), g.id);
      return publicEvent(ev);
    },
  ],
  [
    "PATCH",
    "/_emulator/guilds/:guild/scheduled-events/:event",
    (world, p, b) => {
      const ev = eventOf(world, p.guild as string, p.event as string);
      patchEvent(world, ev, b);
      return publicEvent(ev);
    },
  ],
  [
    // A member cancels (`is_canceled`) or moves one occurrence of a recurring event.
    "POST",
    "/_emulator/guilds/:guild/scheduled-events/:event/exceptions",
    (world, p, b) => addException(world, eventOf(world, p.guild as string, p.event as string), b),
  ],
  [
    "DELETE",
    "/_emulator/guilds/:guild/scheduled-events/:event",
    (world, p) => {
      const g = guildOf(world, p.guild);
      const ev = eventOf(world, g.id, p.event as string);
      g.scheduled_events = g.scheduled_events.filter((e) => e.id !== ev.id);
      world.dispatch("GUILD_SCHEDULED_EVENT_DELETE", publicEvent(ev), g.id);
      return { ok: true };
    },
  ],
  [
    // Marks members "Interested": existing ones (`user_ids`) or `count` new members who join for it.
    "POST",
    "/_emulator/guilds/:guild/scheduled-events/:event/users",
    (world, p, b) => {
      const g = guildOf(world, p.guild);
      const ev = eventOf(world, g.id, p.event as string);
      const ids = [...((b.user_ids as string[] | undefined) ?? [])];
      for (let i = 0; i < Number(b.count ?? 0); i++) {
        const u = world.addUser(`fan${i}`);
        g.members.set(u.id, { roles: [], joined_at: new Date().toISOString(), nick: null });
        ids.push(u.id);
      }
      // Interest changes are silent unless asked: a test can then stage a "missed while down" state.
      for (const id of ids) {
        if (b.silent) {
          if (!ev.users.includes(id)) ev.users.push(id);
          ev.user_count = ev.users.length;
        } else addInterested(world, ev, id);
      }
      return { user_ids: ids, user_count: ev.user_count };
    },
  ],
  [
    "DELETE",
    "/_emulator/guilds/:guild/scheduled-events/:event/users/:user",
    (world, p, b) => {
      const ev = eventOf(world, p.guild as string, p.event as string);
      ev.users = ev.users.filter((u) => u !== p.user);
      ev.user_count = ev.users.length;
      // `silent`: unmarked while the bot's gateway session was lost, so no dispatch reaches it.
      if (b.silent) return { user_count: ev.user_count };
      world.dispatch("GUILD_SCHEDULED_EVENT_USER_REMOVE", { guild_scheduled_event_id: ev.id, user_id: p.user, guild_id: ev.guild_id }, ev.guild_id);
      return { user_count: ev.user_count };
    },
  ],
  [
    // An admin makes channels by hand (`count` of them, e.g. to fill a category).
    "POST",
    "/_emulator/guilds/:guild/channels",
    (world, p, b) => {
      const g = guildOf(world, p.guild);
      const made = [];
      for (let i = 0; i < Number(b.count ?? 1); i++) {
        const c = world.addChannel({
          type: Number(b.type ?? 0),
          guild_id: g.id,
          name: `${String(b.name ?? "channel")}${b.count ? `-${i}` : ""}`,
          parent_id: (b.parent_id as string) ?? null,
          ...(Array.isArray(b.permission_overwrites) ? { permission_overwrites: b.permission_overwrites as PermOverwrite[] } : {}),
        });
        world.dispatch("CHANNEL_CREATE", c, g.id);
        made.push(c);
      }
      return made;
    },
  ],
  [
    // Discord only remembers a message nonce for a few minutes; this ends that window for a channel at once.
    "POST",
    "/_emulator/channels/:channel/forget-nonces",
    (world, p) => {
      const list = world.messages.get(channelOf(world, p.channel as string).id) ?? [];
      for (const m of list) m.nonce = undefined;
      return { forgotten: list.length };
    },
  ],
  [
    "DELETE",
    "/_emulator/channels/:channel",
    (world, p) => {
      const c = channelOf(world, p.channel);
      world.removeChannel(c.id);
      return c;
    },
  ],
  [
    // A member joins (channel_id), moves, or leaves (channel_id null) voice.
    "POST",
    "/_emulator/guilds/:guild/voice",
    (world, p, b) => {
      const g = guildOf(world, p.guild);
      const user = String(b.user_id);
      if (!g.members.has(user)) throw errors.unknown("Member");
      const channel = (b.channel_id as string | null) ?? null;
      if (channel && channelOf(world, channel).type !== 2) throw errors.badRequest("not a voice channel");
      // `silent`: the join happened while the bot's gateway connection was down.
      if (b.silent) {
        if (channel) g.voice.set(user, channel);
        else g.voice.delete(user);
      } else world.setVoice(g.id, user, channel);
      return { ok: true };
    },
  ],
  [
    // An admin makes a role by hand (e.g. a team's) and hands it to members.
    "POST",
    "/_emulator/guilds/:guild/roles",
    (world, p, b) => {
      const g = guildOf(world, p.guild);
      const role = {
        id: world.ids.next(),
        name: String(b.name ?? "role"),
        permissions: String(b.permissions ?? "0"),
        position: 1,
        color: 0,
        hoist: false,
        mentionable: false,
        managed: false,
      };
      for (const r of g.roles) if (r.id !== g.id) r.position++;
      g.roles.push(role);
      for (const id of (b.user_ids as string[] | undefined) ?? []) g.members.get(id)?.roles.push(role.id);
      world.dispatch("GUILD_ROLE_CREATE", { guild_id: g.id, role }, g.id);
      return role;
    },
  ],
  [
    // An admin edits a role by hand (e.g. grants the bot's role a permission).
    "PATCH",
    "/_emulator/guilds/:guild/roles/:role",
    (world, p, b) => {
      const g = guildOf(world, p.guild);
      const role = g.roles.find((r) => r.id === p.role);
      if (!role) throw errors.unknown("Role");
      if (b.permissions !== undefined) role.permissions = String(b.permissions);
      if (b.name !== undefined) role.name = String(b.name);
      world.dispatch("GUILD_ROLE_UPDATE", { guild_id: g.id, role }, g.id);
      return role;
    },
  ],
  [
    "DELETE",
    "/_emulator/guilds/:guild/roles/:role",
    (world, p) => {
      const g = guildOf(world, p.guild);
      if (!g.roles.some((r) => r.id === p.role)) throw errors.unknown("Role");
      g.roles = g.roles.filter((r) => r.id !== p.role);
      for (const m of g.members.values()) m.roles = m.roles.filter((r) => r !== p.role);
      world.dispatch("GUILD_ROLE_DELETE", { guild_id: g.id, role_id: p.role }, g.id);
      return { ok: true };
    },
  ],
  [
    // Time passes for a channel: its messages were sent `ms` earlier (past the nonce window, say).
    "POST",
    "/_emulator/channels/:channel/age",
    (world, p, b) => {
      const c = channelOf(world, p.channel);
      const ms = Number(b.ms ?? 0);
      for (const m of world.messages.get(c.id) ?? []) m.timestamp = new Date(Date.parse(m.timestamp) - ms).toISOString();
      return { ok: true };
    },
  ],
  [
    "POST",
    "/_emulator/channels/:channel/messages",
    (world, p, b) => {
      const c = channelOf(world, p.channel);
      const author = world.users.get(String(b.user_id));
      if (!author) throw errors.unknown("User");
      const msg = {
        id: world.ids.next(),
        channel_id: c.id,
        author,
        content: String(b.content ?? "hello"),
        embeds: [],
        components: [],
        flags: 0,
        timestamp: new Date().toISOString(),
        edited_timestamp: null,
      };
      world.messages.get(c.id)?.push(msg);
      return msg;
    },
  ],
];

/** Runs the acting route for `method path`, or returns undefined when none matches. */
export function act(world: World, method: string, path: string, body: Body): unknown {
  for (const [m, pattern, action] of actions) {
    if (m !== method) continue;
    const params = match(pattern, path);
    if (params) return action(world, params, body);
  }
  return undefined;
}
