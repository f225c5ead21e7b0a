/**
 * Posting a message from a timer step exactly once, across retries, restarts and Discord's short nonce window:
 * a claim with a nonce is written before the POST and the message id after it; a retry inside the window re-sends
 * the same nonce (Discord answers with the first message), a retry after it looks in the channel first.
 */
import type { APIMessage, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { Routes } from "discord-api-types/v10";
import { logger } from "../log";
import type { Discord } from "./rest";
import { snowflakeTime } from "./snowflake";

/** Discord keeps enforce_nonce for "a few minutes"; a claim older than this is checked in the channel instead. */
export const NONCE_WINDOW_MS = 2 * 60_000;
/** Clocks of Workers and Discord may differ by this much. */
const SKEW_MS = 10_000;

export interface PostOnceDeps {
  db: D1Database;
  discord: Discord;
  botId: string;
  now(): number;
}

type Claim = { channel_id: string; nonce: string; claimed_at: number; claimed_wall: number; message_id: string | null };

const newNonce = () => crypto.randomUUID().replace(/-/g, "").slice(0, 25);

/** The same message as far as a member can tell: author, text and the components' custom ids. */
function sameMessage(m: APIMessage, botId: string, body: RESTPostAPIChannelMessageJSONBody): boolean {
  const ids = (c: unknown) => JSON.stringify(JSON.stringify(c ?? []).match(/"custom_id":"[^"]*"/g) ?? []);
  return m.author.id === botId && (m.content ?? "") === (body.content ?? "") && ids(m.components) === ids(body.components);
}

/** Whether a message from an earlier, unconfirmed attempt is already in the channel (its id, or null). */
async function findEarlier(d: PostOnceDeps, claim: Claim, body: RESTPostAPIChannelMessageJSONBody): Promise<string | null> {
  const recent = await d.discord.get<APIMessage[]>(Routes.channelMessages(claim.channel_id), { query: new URLSearchParams({ limit: "50" }) });
  const found = recent.find((m) => snowflakeTime(m.id) >= claim.claimed_wall - SKEW_MS && sameMessage(m, d.botId, body));
  return found?.id ?? null;
}

/**
 * Posts `body` to `channelId` once for `key` (scoped to the guild) and returns the message id. A second call for
 * the same key returns the first message's id without posting.
 */
export async function postOnce(d: PostOnceDeps, guildId: string, key: string, channelId: string, body: RESTPostAPIChannelMessageJSONBody): Promise<string> {
  const read = () =>
    d.db
      .prepare("SELECT channel_id, nonce, claimed_at, claimed_wall, message_id FROM posted_messages WHERE guild_id = ? AND post_key = ?")
      .bind(guildId, key)
      .first<Claim>();
  let claim = await read();
  if (claim?.message_id) return claim.message_id;
  const now = d.now();
  if (!claim || claim.channel_id !== channelId) {
    await d.db
      .prepare(
        "INSERT INTO posted_messages (guild_id, post_key, channel_id, nonce, claimed_at, claimed_wall) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, post_key) DO UPDATE SET channel_id = excluded.channel_id, nonce = excluded.nonce, claimed_at = excluded.claimed_at, claimed_wall = excluded.claimed_wall WHERE message_id IS NULL",
      )
      .bind(guildId, key, channelId, newNonce(), now, Date.now())
      .run();
    claim = await read();
    if (!claim) throw new Error("posted_messages claim vanished");
    if (claim.message_id) return claim.message_id;
  } else if (now - claim.claimed_at > NONCE_WINDOW_MS) {
    const earlier = await findEarlier(d, claim, body);
    if (earlier) {
      await record(d, guildId, key, earlier);
      logger.info("post_once.recovered", { guild_id: guildId, key, message_id: earlier });
      return earlier;
    }
    await d.db
      .prepare("UPDATE posted_messages SET claimed_at = ?, claimed_wall = ? WHERE guild_id = ? AND post_key = ? AND message_id IS NULL")
      .bind(now, Date.now(), guildId, key)
      .run();
  }
  const msg = await d.discord.post<{ id: string }>(Routes.channelMessages(channelId), { body: { ...body, nonce: claim.nonce, enforce_nonce: true } });
  await record(d, guildId, key, msg.id);
  return msg.id;
}

async function record(d: PostOnceDeps, guildId: string, key: string, messageId: string): Promise<void> {
  await d.db.prepare("UPDATE posted_messages SET message_id = ? WHERE guild_id = ? AND post_key = ?").bind(messageId, guildId, key).run();
}

/** Forgets a guild's posts under a key prefix (an event's, when it is over), so the table stays bounded. */
export async function forgetPosts(db: D1Database, guildId: string, keyPrefix: string): Promise<void> {
  await db.prepare("DELETE FROM posted_messages WHERE guild_id = ? AND substr(post_key, 1, ?) = ?").bind(guildId, keyPrefix.length, keyPrefix).run();
}
