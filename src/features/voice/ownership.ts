/**
 * Which temporary voice channels are the bot's: pure rules. A channel is adopted from an intent only if it
 * carries the intent's mark (set in the create request), has the intent's name and category, and was created
 * (by its snowflake time) in the intent's window; anything found by name alone is never touched.
 */
import { type APIChannel, ChannelType } from "discord-api-types/v10";
import { stableId } from "../../util/hash";

/**
 * The mark a create request carries: a bitrate of 64,001–64,999 bit/s derived from the intent's nonce. Voice
 * channels have no topic, and overwrites would stop the channel inheriting its category's permissions; a
 * bitrate a hair above the 64 kbps default is inaudible, shown as 64 kbps, and nobody sets it by hand.
 */
export function markBitrate(nonce: string): number {
  return 64_001 + (Number.parseInt(stableId(nonce).slice(-6), 36) % 999);
}

/** How long after the intent a POST's channel can appear (a slow create, a client retry). */
export const INTENT_WINDOW_MS = 2 * 60_000;
/** Clock skew allowed between our clock and Discord's snowflakes. */
const SKEW_MS = 10_000;
const DISCORD_EPOCH = 1_420_070_400_000n;

export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

export interface Intent {
  guild_id: string;
  nonce: string;
  kind: "public" | "private";
  name: string;
  parent_id: string | null;
  owner_id: string;
  match_key: string | null;
  created_at: number;
  channel_id: string | null;
}

/** The guild's channels that this intent's POST created and nobody tracks yet. */
export function adoptable(channels: readonly APIChannel[], intent: Intent, tracked: ReadonlySet<string>): APIChannel[] {
  return channels.filter((ch) => {
    if (ch.type !== ChannelType.GuildVoice || tracked.has(ch.id) || ch.name !== intent.name) return false;
    if (("parent_id" in ch ? (ch.parent_id ?? null) : null) !== intent.parent_id) return false;
    const at = snowflakeTime(ch.id);
    if (at < intent.created_at - SKEW_MS || at > intent.created_at + INTENT_WINDOW_MS + SKEW_MS) return false;
    return "bitrate" in ch && ch.bitrate === markBitrate(intent.nonce);
  });
}
