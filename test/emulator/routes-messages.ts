/** Message, DM, webhook (interaction followup) and interaction-callback routes of the emulator. */
import { assertBody, channelOf, guildOf, requireChannelPerm } from "./access.ts";
import { ApiError, errors, json, noContent, type Route } from "./http.ts";
import { P } from "./permissions.ts";
import type { InteractionRecord, Message, User, World } from "./state.ts";

/** Interaction tokens expire after 15 minutes. */
export const TOKEN_TTL_MS = 15 * 60_000;
/** `enforce_nonce` dedups only "in the past few minutes" (Discord's docs); a retry after that makes a second message. */
export const NONCE_WINDOW_MS = 3 * 60_000;

/** As Discord: the nonce comes back in the create response (and the gateway), not when messages are read later. */
const readBack = (m: Message) => ({ ...m, nonce: undefined });

/** GET …/messages: newest first, `limit` (1–100, default 50), and `before` / `after` a message id. */
function page(list: readonly Message[], query: URLSearchParams): Message[] {
  const limit = Math.max(1, Math.min(100, Number(query.get("limit") ?? 50) || 50));
  const before = query.get("before");
  const after = query.get("after");
  let out = [...list];
  if (before) out = out.filter((m) => BigInt(m.id) < BigInt(before));
  if (after)
    return out
      .filter((m) => BigInt(m.id) > BigInt(after))
      .slice(0, limit)
      .reverse();
  return out.reverse().slice(0, limit);
}

type MessageBody = { content?: string; embeds?: unknown[]; components?: unknown[]; flags?: number; nonce?: string | number; enforce_nonce?: boolean };

function newMessage(world: World, channelId: string, author: User, b: MessageBody): Message {
  return {
    id: world.ids.next(),
    channel_id: channelId,
    author,
    content: b.content ?? "",
    embeds: b.embeds ?? [],
    components: b.components ?? [],
    flags: b.flags ?? 0,
    nonce: b.nonce,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
  };
}

function interactionByToken(world: World, app: string | undefined, token: string | undefined): InteractionRecord {
  if (app !== world.applicationId) throw errors.unknown("Webhook");
  const rec = [...world.interactions.values()].find((i) => i.token === token);
  if (!rec) throw errors.unknown("Webhook");
  if (Date.now() - rec.created_at > TOKEN_TTL_MS) throw new ApiError(401, 50027, "Invalid Webhook Token");
  return rec;
}

/**
 * Discord has the bot's initial response (it is the HTTP answer) before the bot can edit it. Here whoever sent the
 * interaction hands the response over after reading it, on the same event loop as this route: an edit that
 * overtakes it waits for it, briefly, instead of failing as Unknown Message.
 */
async function responded(rec: InteractionRecord, maxMs = 5_000): Promise<void> {
  const until = Date.now() + maxMs;
  while (!rec.original && !rec.response && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

function edit(msg: Message, b: MessageBody): Message {
  if (b.content !== undefined) msg.content = b.content ?? "";
  if (b.embeds !== undefined) msg.embeds = b.embeds ?? [];
  if (b.components !== undefined) msg.components = b.components ?? [];
  msg.edited_timestamp = new Date().toISOString();
  return msg;
}

export const messageRoutes: Route[] = [
  {
    method: "POST",
    pattern: "/users/@me/channels",
    handler: ({ world, body }) => {
      const { recipient_id } = assertBody<{ recipient_id: string }>(body);
      const user = world.users.get(recipient_id);
      if (!user) throw errors.unknown("User");
      let id = world.dmChannels.get(recipient_id);
      if (!id) {
        id = world.addChannel({ type: 1, recipients: [user] }).id;
        world.dmChannels.set(recipient_id, id);
      }
      return json(world.channels.get(id));
    },
  },
  {
    method: "POST",
    pattern: "/channels/:channel/messages",
    handler: ({ world, params, body, actor }) => {
      const c = channelOf(world, params.channel);
      const b = assertBody<MessageBody>(body);
      if (!b.content && !b.embeds?.length && !b.components?.length) throw new ApiError(400, 50006, "Cannot send an empty message");
      if (c.type === 1) {
        if (c.recipients?.some((r) => r.dms_closed)) throw errors.cannotDm();
      } else if (c.guild_id) {
        requireChannelPerm(world, guildOf(world, c.guild_id), actor as string, c, P.SendMessages);
      }
      const list = world.messages.get(c.id) ?? [];
      if (b.enforce_nonce && b.nonce !== undefined) {
        const since = Date.now() - world.nonceWindowMs;
        const same = list.find((m) => m.nonce === b.nonce && m.author.id === actor && Date.parse(m.timestamp) >= since);
        if (same) return json(same);
      }
      const msg = newMessage(world, c.id, world.users.get(actor as string) as User, b);
      list.push(msg);
      world.messages.set(c.id, list);
      return json(msg);
    },
  },
  {
    method: "GET",
    pattern: "/channels/:channel/messages",
    handler: ({ world, params, query }) => json(page(world.messages.get(channelOf(world, params.channel).id) ?? [], query).map(readBack)),
  },
  {
    method: "PATCH",
    pattern: "/channels/:channel/messages/:message",
    handler: ({ world, params, body, actor }) => {
      const c = channelOf(world, params.channel);
      const msg = world.messages.get(c.id)?.find((m) => m.id === params.message);
      if (!msg) throw errors.unknown("Message");
      if (msg.author.id !== actor) throw new ApiError(403, 50005, "Cannot edit a message authored by another user");
      return json(edit(msg, assertBody<MessageBody>(body)));
    },
  },
  {
    method: "DELETE",
    pattern: "/channels/:channel/messages/:message",
    handler: ({ world, params, actor }) => {
      const c = channelOf(world, params.channel);
      const list = world.messages.get(c.id) ?? [];
      const msg = list.find((m) => m.id === params.message);
      if (!msg) throw errors.unknown("Message");
      if (msg.author.id !== actor && c.guild_id) requireChannelPerm(world, guildOf(world, c.guild_id), actor as string, c, P.ManageMessages);
      world.messages.set(
        c.id,
        list.filter((m) => m.id !== msg.id),
      );
      return noContent();
    },
  },
  {
    method: "PATCH",
    pattern: "/webhooks/:app/:token/messages/@original",
    noAuth: true,
    handler: async ({ world, params, body }) => {
      const rec = interactionByToken(world, params.app, params.token);
      const b = assertBody<MessageBody>(body);
      await responded(rec);
      if (!rec.original) {
        // A deferred response has no message yet; the first edit creates it.
        if (!rec.response) throw errors.unknown("Message");
        const flags = (rec.response as { data?: { flags?: number } }).data?.flags ?? 0;
        rec.original = newMessage(world, rec.channel_id ?? "0", world.botUser, { ...b, flags });
        rec.original.interaction_id = rec.id;
        return json(rec.original);
      }
      return json(edit(rec.original, b));
    },
  },
  {
    method: "GET",
    pattern: "/webhooks/:app/:token/messages/@original",
    noAuth: true,
    handler: async ({ world, params }) => {
      const rec = interactionByToken(world, params.app, params.token);
      await responded(rec);
      if (!rec.original) throw errors.unknown("Message");
      return json(rec.original);
    },
  },
  {
    method: "POST",
    pattern: "/webhooks/:app/:token",
    noAuth: true,
    handler: ({ world, params, body }) => {
      const rec = interactionByToken(world, params.app, params.token);
      const msg = newMessage(world, rec.channel_id ?? "0", world.botUser, assertBody<MessageBody>(body));
      msg.interaction_id = rec.id;
      rec.followups.push(msg);
      return json(msg);
    },
  },
  {
    method: "POST",
    pattern: "/interactions/:id/:token/callback",
    noAuth: true,
    handler: ({ world, params, body }) => {
      const rec = world.interactions.get(params.id as string);
      if (!rec || rec.token !== params.token) throw errors.unknown("Interaction");
      if (rec.response) throw new ApiError(400, 40060, "Interaction has already been acknowledged.");
      rec.response = body;
      return noContent();
    },
  },
];
