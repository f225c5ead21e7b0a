/**
 * Creating a temporary voice channel as a resumable step: the intent is in D1 (with its reconciliation planned)
 * before the POST, the channel carries the intent's mark, and the channel is tracked by id right after, so a
 * crash at any point leaves a channel the reconciliation adopts, never an orphan.
 */
import { channelMention } from "@discordjs/formatters";
import type { APIChannel, RESTPostAPIGuildChannelJSONBody } from "discord-api-types/v10";
import { DiscordApiError } from "../../discord/errors";
import { UserError } from "../../interactions/types";
import { logger } from "../../log";
import type { Services } from "../../services";
import { type Binding, CATEGORY_CHANNEL_LIMIT, capacity, GUILD_CHANNEL_LIMIT } from "./capacity";
import { dropIntent, ownChannelIds, pendingIntents, reserveIntent, trackFromIntent, unresolvedIntents } from "./intents";
import { adopt, guildTimerName, planReconcile } from "./lifecycle";
import { adoptable, type Intent, markBitrate } from "./ownership";
import { liveChannels } from "./storage";

export interface Created {
  channelId: string;
  /** False when the match already had a channel (a concurrent request won); the caller removes this one. */
  tracked: boolean;
  intent: Intent;
}

function fullReply(binding: Binding, categoryId: string, maxLive: number): string {
  if (binding === "max_live")
    return `This server already has its ${maxLive} temporary voice channels at once (the limit is ${maxLive}); try again when one is gone.`;
  if (binding === "category")
    return `The category ${channelMention(categoryId)} is full (Discord allows ${CATEGORY_CHANNEL_LIMIT} channels in a category); an admin can pick another with \`/voice-config set category:\`.`;
  return `This server has Discord's maximum of ${GUILD_CHANNEL_LIMIT} channels; a channel has to go before a temporary one can be made.`;
}

/**
 * Takes a place for one more temporary channel, atomically (D1 counts the live ones and those being made in the same
 * statement that records the intent), within the guild's limit and the room Discord leaves in the category and the
 * guild (read now). No room: a UserError saying which cap is reached.
 */
async function reserve(s: Services, intent: Intent, maxLive: number): Promise<void> {
  const categoryId = intent.parent_id ?? "";
  const channels = await s.api.guilds.channels(intent.guild_id);
  // The bot's own records are read after Discord's list (which waits for its REST slot): a channel in the list that
  // another request of ours made then has its row or its intent. Read first, they missed a channel made meanwhile,
  // and counted it as someone else's on top of its intent: two members asking at once for the category's last two
  // places got one.
  const [ours, pending] = await Promise.all([ownChannelIds(s.env.DB, intent.guild_id), pendingIntents(s.env.DB, intent.guild_id)]);
  // Made but not yet recorded: its intent is counted with the live ones (below), so it is not counted here too.
  for (const pend of pending) for (const ch of adoptable(channels, pend, ours)) ours.add(ch.id);
  const room = capacity(channels, ours, categoryId, maxLive);
  if (room.limit > 0 && (await reserveIntent(s.env.DB, intent, room.limit))) return;
  throw new UserError(fullReply(room.binding, categoryId, maxLive));
}

export async function createTempChannel(
  s: Services,
  want: Pick<Intent, "guild_id" | "kind" | "name" | "parent_id" | "owner_id" | "match_key">,
  body: RESTPostAPIGuildChannelJSONBody,
  reason: string,
  maxLive: number,
): Promise<Created> {
  const intent: Intent = { ...want, nonce: crypto.randomUUID(), created_at: s.now(), channel_id: null };
  // The reconcile step first: a place once reserved is given back by it whatever fails after (a timer call failing
  // after the reservation kept the place taken until the intents' retention, a day). Refused: nothing to reconcile.
  await planReconcile(s, intent);
  try {
    await reserve(s, intent, maxLive);
  } catch (error) {
    if (error instanceof UserError) await s.timer(guildTimerName(want.guild_id)).cancel(`intent:${intent.nonce}`);
    throw error;
  }
  let ch: APIChannel;
  try {
    // Never retried blindly: a lost answer is found by the nonce in its bitrate (the reconcile step planned above).
    ch = await s.api.guilds.createChannel(want.guild_id, { ...body, bitrate: markBitrate(intent.nonce) }, { reason });
  } catch (error) {
    if (!(error instanceof DiscordApiError) || error.transient) throw error;
    // A definite refusal made nothing: its place is given back at once, and the member is told why.
    await dropIntent(s.env.DB, want.guild_id, intent.nonce);
    await s.timer(guildTimerName(want.guild_id)).cancel(`intent:${intent.nonce}`);
    logger.warn("voice.create_refused", { guild_id: want.guild_id, status: error.status, code: error.code, error });
    throw new UserError(`Discord refused to make the channel: ${error.message.slice(0, 300)}`);
  }
  const tracked = await trackFromIntent(s.env.DB, intent, ch.id, want.match_key);
  return { channelId: ch.id, tracked, intent };
}

/**
 * Before a request makes a channel: what an earlier request (the member's, or for a match channel the match's)
 * made while its answer was lost is found by its intent's mark and adopted, so asking again never makes a
 * second channel. Costs one channel list, and only when such an intent exists.
 */
export async function adoptLostCreates(
  s: Services,
  guildId: string,
  of: { kind: "public"; owner_id: string } | { kind: "private"; match_key: string },
): Promise<{ channelId: string; intent: Intent }[]> {
  const intents = await unresolvedIntents(s.env.DB, guildId, of);
  if (!intents.length) return [];
  // The bot's records after Discord's list (which waits for its REST slot), never older: a channel tracked meanwhile
  // by the request that made it is not adopted a second time.
  const channels = await s.api.guilds.channels(guildId);
  const live = await liveChannels(s.env.DB, guildId);
  const tracked = new Set(live.map((c) => c.channel_id));
  const found: { channelId: string; intent: Intent }[] = [];
  for (const intent of intents) {
    for (const ch of adoptable(channels, intent, tracked)) {
      await adopt(s, intent, ch.id);
      tracked.add(ch.id);
      found.push({ channelId: ch.id, intent });
    }
  }
  return found;
}
