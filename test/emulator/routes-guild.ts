/** Guild, role, member and channel routes of the emulator. */
import { assertBody, channelOf, guildOf, requireAboveRole, requireGuildPerm } from "./access.ts";
import { errors, json, noContent, type Route } from "./http.ts";
import { P, type PermOverwrite } from "./permissions.ts";
import type { Channel, Role, World } from "./state.ts";

/** The guild, once Discord's checks pass: Manage Roles, and the role below the actor's highest. */
function manageableRole(world: World, params: Record<string, string>, actor: string | null) {
  const g = guildOf(world, params.guild);
  requireGuildPerm(g, actor as string, P.ManageRoles);
  requireAboveRole(g, actor as string, params.role as string);
  return g;
}

/** The channel, once the actor may manage it (guild channels need Manage Channels). */
function manageableChannel(world: World, params: Record<string, string>, actor: string | null): Channel {
  const c = channelOf(world, params.channel);
  if (c.guild_id) requireGuildPerm(guildOf(world, c.guild_id), actor as string, P.ManageChannels);
  return c;
}

const publicGuild = (g: ReturnType<typeof guildOf>) => ({ id: g.id, name: g.name, owner_id: g.owner_id, roles: g.roles, features: [] });

export const guildRoutes: Route[] = [
  { method: "GET", pattern: "/guilds/:guild", handler: ({ world, params }) => json(publicGuild(guildOf(world, params.guild))) },
  { method: "GET", pattern: "/guilds/:guild/roles", handler: ({ world, params }) => json(guildOf(world, params.guild).roles) },
  {
    method: "POST",
    pattern: "/guilds/:guild/roles",
    handler: ({ world, params, body, actor }) => {
      const g = guildOf(world, params.guild);
      requireGuildPerm(g, actor as string, P.ManageRoles);
      if (g.roles.length >= 250) throw errors.max(30005, "Maximum number of guild roles reached (250)");
      const b = assertBody<Partial<Role>>(body);
      const role: Role = {
        id: world.ids.next(),
        name: b.name ?? "new role",
        permissions: String(b.permissions ?? g.roles.find((r) => r.id === g.id)?.permissions ?? "0"),
        position: 1,
        color: b.color ?? 0,
        hoist: b.hoist ?? false,
        mentionable: b.mentionable ?? false,
        managed: false,
      };
      // New roles go just above @everyone, pushing the others up, as Discord does.
      for (const r of g.roles) if (r.id !== g.id) r.position++;
      g.roles.push(role);
      world.dispatch("GUILD_ROLE_CREATE", { guild_id: g.id, role }, g.id);
      return json(role);
    },
  },
  {
    method: "PATCH",
    pattern: "/guilds/:guild/roles/:role",
    handler: ({ world, params, body, actor }) => {
      const g = manageableRole(world, params, actor);
      const role = g.roles.find((r) => r.id === params.role) as Role;
      Object.assign(role, assertBody<Partial<Role>>(body));
      return json(role);
    },
  },
  {
    method: "DELETE",
    pattern: "/guilds/:guild/roles/:role",
    handler: ({ world, params, actor }) => {
      const g = manageableRole(world, params, actor);
      g.roles = g.roles.filter((r) => r.id !== params.role);
      for (const m of g.members.values()) m.roles = m.roles.filter((r) => r !== params.role);
      world.dispatch("GUILD_ROLE_DELETE", { guild_id: g.id, role_id: params.role }, g.id);
      return noContent();
    },
  },
  {
    method: "GET",
    pattern: "/guilds/:guild/members/:user",
    handler: ({ world, params }) => {
      const g = guildOf(world, params.guild);
      const m = g.members.get(params.user as string);
      const user = world.users.get(params.user as string);
      if (!m || !user) throw errors.unknown("Member");
      return json({ user, roles: m.roles, joined_at: m.joined_at, nick: m.nick, deaf: false, mute: false, flags: 0 });
    },
  },
  {
    method: "PUT",
    pattern: "/guilds/:guild/members/:user/roles/:role",
    handler: ({ world, params, actor }) => {
      const g = manageableRole(world, params, actor);
      const m = g.members.get(params.user as string);
      if (!m) throw errors.unknown("Member");
      if (!m.roles.includes(params.role as string)) m.roles.push(params.role as string);
      return noContent();
    },
  },
  {
    method: "DELETE",
    pattern: "/guilds/:guild/members/:user/roles/:role",
    handler: ({ world, params, actor }) => {
      const g = manageableRole(world, params, actor);
      const m = g.members.get(params.user as string);
      if (!m) throw errors.unknown("Member");
      m.roles = m.roles.filter((r) => r !== params.role);
      return noContent();
    },
  },
  { method: "GET", pattern: "/guilds/:guild/channels", handler: ({ world, params }) => json(world.guildChannels(guildOf(world, params.guild).id)) },
  {
    method: "POST",
    pattern: "/guilds/:guild/channels",
    handler: ({ world, params, body, actor }) => {
      const g = guildOf(world, params.guild);
      requireGuildPerm(g, actor as string, P.ManageChannels);
      const b = assertBody<Partial<Channel> & { permission_overwrites?: PermOverwrite[] }>(body);
      const all = world.guildChannels(g.id);
      if (all.length >= 500) throw errors.max(30013, "Maximum number of guild channels reached (500)");
      if (b.parent_id) {
        const parent = world.channels.get(b.parent_id);
        if (!parent || parent.guild_id !== g.id || parent.type !== 4) throw errors.badRequest("parent_id is not a category in this guild");
        if (all.filter((c) => c.parent_id === b.parent_id).length >= 50) throw errors.badRequest("Maximum number of channels in category reached (50)");
      }
      // Overwrites that grant what the bot itself lacks are refused, as on Discord.
      const channel = world.addChannel({
        type: b.type ?? 0,
        guild_id: g.id,
        name: b.name as string,
        parent_id: b.parent_id ?? null,
        position: b.position ?? all.length,
        topic: b.topic ?? null,
        user_limit: b.user_limit,
        bitrate: b.bitrate,
        permission_overwrites: (b.permission_overwrites ?? []).map((o) => ({
          id: o.id,
          type: o.type,
          allow: String(o.allow ?? "0"),
          deny: String(o.deny ?? "0"),
        })),
      });
      world.dispatch("CHANNEL_CREATE", channel, g.id);
      return json(channel, 201);
    },
  },
  { method: "GET", pattern: "/channels/:channel", handler: ({ world, params }) => json(channelOf(world, params.channel)) },
  {
    method: "PATCH",
    pattern: "/channels/:channel",
    handler: ({ world, params, body, actor }) => {
      const c = manageableChannel(world, params, actor);
      Object.assign(c, assertBody<Partial<Channel>>(body));
      return json(c);
    },
  },
  {
    method: "DELETE",
    pattern: "/channels/:channel",
    handler: ({ world, params, actor }) => {
      const c = manageableChannel(world, params, actor);
      world.removeChannel(c.id);
      return json(c);
    },
  },
];
