/** Application (commands, gateway, bot user) and guild scheduled-event routes of the emulator. */
import { assertBody, guildOf, memberPerms } from "./access.ts";
import { ApiError, errors, json, noContent, type Route } from "./http.ts";
import { P } from "./permissions.ts";
import { patchEvent, publicEvent, ruleFrom } from "./scheduled-events.ts";
import type { ScheduledEvent, World } from "./state.ts";

/** As on Discord, a bulk overwrite keeps the id of a command whose name was there before (an update, not a new command). */
function withIds(world: World, commands: unknown[], guildId?: string, before: unknown[] = []) {
  const idOf = (name: unknown) => (before as { id: string; name: string }[]).find((b) => b.name === name)?.id;
  return commands.map((c) => ({
    // Discord fills in the type (chat input unless given) and answers with it.
    type: 1,
    ...(c as object),
    id: idOf((c as { name?: unknown }).name) ?? world.ids.next(),
    application_id: world.applicationId,
    version: world.ids.next(),
    ...(guildId ? { guild_id: guildId } : {}),
  }));
}

function checkApp(world: World, app: string | undefined): void {
  if (app !== world.applicationId) throw new ApiError(403, 50001, "Missing Access");
}

function eventOf(world: World, guildId: string | undefined, eventId: string | undefined): ScheduledEvent {
  const ev = guildOf(world, guildId).scheduled_events.find((e) => e.id === eventId);
  if (!ev) throw errors.unknown("Guild Scheduled Event");
  return ev;
}

const ACTIVE = new Set([1, 2]);

export function appRoutes(gateway: () => { url: string; shards: number; max_concurrency: number }): Route[] {
  return [
    {
      method: "GET",
      pattern: "/gateway/bot",
      handler: () => {
        const { url, shards, max_concurrency } = gateway();
        return json({ url, shards, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency } });
      },
    },
    { method: "GET", pattern: "/users/@me", handler: ({ world }) => json(world.botUser) },
    {
      method: "GET",
      pattern: "/applications/:app/commands",
      handler: ({ world, params }) => {
        checkApp(world, params.app);
        return json(world.globalCommands);
      },
    },
    {
      method: "PUT",
      pattern: "/applications/:app/commands",
      handler: ({ world, params, body }) => {
        checkApp(world, params.app);
        world.globalCommands = withIds(world, body as unknown[], undefined, world.globalCommands);
        return json(world.globalCommands);
      },
    },
    {
      method: "GET",
      pattern: "/applications/:app/guilds/:guild/commands",
      handler: ({ world, params }) => {
        checkApp(world, params.app);
        return json(guildOf(world, params.guild).commands);
      },
    },
    {
      method: "PUT",
      pattern: "/applications/:app/guilds/:guild/commands",
      handler: ({ world, params, body }) => {
        checkApp(world, params.app);
        const g = guildOf(world, params.guild);
        if ((body as unknown[]).length > 100) throw errors.badRequest("A guild can have at most 100 chat input commands");
        g.commands = withIds(world, body as unknown[], g.id, g.commands);
        return json(g.commands);
      },
    },
    {
      method: "GET",
      pattern: "/guilds/:guild/scheduled-events",
      handler: ({ world, params, query }) => {
        const g = guildOf(world, params.guild);
        const withCounts = query.get("with_user_count") === "true";
        return json(g.scheduled_events.map((e) => (withCounts ? publicEvent(e) : { ...publicEvent(e), user_count: undefined })));
      },
    },
    {
      method: "POST",
      pattern: "/guilds/:guild/scheduled-events",
      handler: ({ world, params, body, actor }) => {
        const g = guildOf(world, params.guild);
        const perms = memberPerms(g, actor as string);
        if (!(perms & (P.CreateEvents | P.ManageEvents))) throw errors.missingPermissions();
        if (g.scheduled_events.filter((e) => ACTIVE.has(e.status)).length >= 100)
          throw errors.max(30038, "Maximum number of uncompleted guild scheduled events reached (100)");
        const b = assertBody<Partial<ScheduledEvent>>(body);
        if (Date.parse(b.scheduled_start_time as string) < Date.now()) throw errors.badRequest("Cannot schedule event in the past.");
        const rule = ruleFrom(b as Record<string, unknown>, b.scheduled_start_time as string) ?? null;
        const ev: ScheduledEvent = {
          id: world.ids.next(),
          guild_id: g.id,
          name: b.name as string,
          description: b.description ?? null,
          scheduled_start_time: b.scheduled_start_time as string,
          scheduled_end_time: b.scheduled_end_time ?? null,
          privacy_level: b.privacy_level ?? 2,
          status: 1,
          entity_type: b.entity_type as number,
          entity_id: null,
          channel_id: b.channel_id ?? null,
          entity_metadata: b.entity_metadata ?? null,
          creator_id: actor as string,
          user_count: 0,
          recurrence_rule: rule,
          guild_scheduled_event_exceptions: [],
          users: [],
        };
        g.scheduled_events.push(ev);
        world.dispatch("GUILD_SCHEDULED_EVENT_CREATE", publicEvent(ev), g.id);
        return json(publicEvent(ev));
      },
    },
    {
      method: "GET",
      pattern: "/guilds/:guild/scheduled-events/:event",
      handler: ({ world, params }) => json(publicEvent(eventOf(world, params.guild, params.event))),
    },
    {
      method: "PATCH",
      pattern: "/guilds/:guild/scheduled-events/:event",
      handler: ({ world, params, body, actor }) => {
        const g = guildOf(world, params.guild);
        const ev = eventOf(world, params.guild, params.event);
        const perms = memberPerms(g, actor as string);
        const own = ev.creator_id === actor && (perms & P.CreateEvents) !== 0n;
        if (!own && !(perms & P.ManageEvents)) throw errors.missingPermissions();
        patchEvent(world, ev, assertBody<Record<string, unknown>>(body));
        return json(publicEvent(ev));
      },
    },
    {
      method: "DELETE",
      pattern: "/guilds/:guild/scheduled-events/:event",
      handler: ({ world, params, actor }) => {
        const g = guildOf(world, params.guild);
        const ev = eventOf(world, params.guild, params.event);
        const perms = memberPerms(g, actor as string);
        if (!(ev.creator_id === actor && perms & P.CreateEvents) && !(perms & P.ManageEvents)) throw errors.missingPermissions();
        g.scheduled_events = g.scheduled_events.filter((e) => e.id !== ev.id);
        world.dispatch("GUILD_SCHEDULED_EVENT_DELETE", publicEvent(ev), g.id);
        return noContent();
      },
    },
    {
      method: "GET",
      pattern: "/guilds/:guild/scheduled-events/:event/users",
      handler: ({ world, params, query }) => {
        const ev = eventOf(world, params.guild, params.event);
        const limit = Math.min(100, Number(query.get("limit") ?? 100));
        const after = query.get("after");
        const ids = [...ev.users].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).filter((id) => !after || BigInt(id) > BigInt(after));
        return json(ids.slice(0, limit).map((id) => ({ guild_scheduled_event_id: ev.id, user: world.users.get(id) })));
      },
    },
  ];
}
