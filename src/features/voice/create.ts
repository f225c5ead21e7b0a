/**
 * Creating a temporary voice channel as a resumable step: the intent is in D1 (with its reconciliation planned)
 * before the POST, the channel carries the intent's mark, and the channel is tracked by id right after, so a
 * crash at any point leaves a channel the reconciliation adopts, never an orphan.
 */
import { type APIChannel, type RESTPostAPIGuildChannelJSONBody, Routes } from "discord-api-types/v10";
import type { Services } from "../../services";
import { recordIntent, trackFromIntent } from "./intents";
import { planReconcile } from "./lifecycle";
import { type Intent, markBitrate } from "./ownership";

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
  const ch = await s.discord.create<APIChannel>(Routes.guildChannels(want.guild_id), { body: { ...body, bitrate: markBitrate(intent.nonce) }, reason });
  const tracked = await trackFromIntent(s.env.DB, intent, ch.id, want.match_key);
  return { channelId: ch.id, tracked, intent };
}
