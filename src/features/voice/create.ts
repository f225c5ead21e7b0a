/**
 * Creating a temporary voice channel as a resumable step: the intent is in D1 (with its reconciliation planned)
 * before the POST, the channel carries the intent's mark, and the channel is tracked by id right after, so a
 * crash at any point leaves a channel the reconciliation adopts, never an orphan.
 */
import type { RESTPostAPIGuildChannelJSONBody } from "discord-api-types/v10";
import type { Services } from "../../services";
import { recordIntent, trackFromIntent, unresolvedIntents } from "./intents";
import { adopt, planReconcile } from "./lifecycle";
import { adoptable, type Intent, markBitrate } from "./ownership";
import { liveChannels } from "./storage";

export interface Created {
  channelId: string;
  /** False when the match already had a channel (a concurrent request won); the caller removes this one. */
  tracked: boolean;
  intent: Intent;
}

export async function createTempChannel(
  s: Services,
  want: Pick<Intent, "guild_id" | "kind" | "name" | "parent_id" | "owner_id" | "match_key">,
  body: RESTPostAPIGuildChannelJSONBody,
  reason: string,
): Promise<Created> {
  const intent: Intent = { ...want, nonce: crypto.randomUUID(), created_at: s.now(), channel_id: null };
  await Promise.all([recordIntent(s.env.DB, intent), planReconcile(s, intent)]);
  // Never retried blindly: a lost answer is found by the nonce in its bitrate (the reconcile step planned above).
  const ch = await s.api.guilds.createChannel(want.guild_id, { ...body, bitrate: markBitrate(intent.nonce) }, { reason });
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
  const [channels, live] = await Promise.all([s.api.guilds.channels(guildId), liveChannels(s.env.DB, guildId)]);
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
