/**
 * Posting a message exactly once across retries and restarts: the intent (the exact body, its nonce, what it
 * covers) is recorded before the POST; a retry within Discord's nonce window re-sends with the same nonce,
 * a later one first looks for the post in the channel.
 */
import type { APIMessage, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { logger } from "../log";
import type { Services } from "../services";
import { stableId } from "../util/hash";
import { DiscordApiError } from "./errors";
import { findOwnMessage, NONCE_SAFE_MS } from "./sent-messages";

const KEEP_MS = 30 * 86_400_000;

export interface Intent {
  /** Names the post: one key is posted at most once (the first intent's body and channel win). */
  key: string;
  guildId: string;
  channelId: string;
  body: RESTPostAPIChannelMessageJSONBody;
  /** The caller's record of what the post covers, handed back on every later attempt. */
  meta?: unknown;
}

export type Posted =
  | { status: "posted" | "already" | "found"; channelId: string; messageId: string; meta: unknown }
  | { status: "unknown"; channelId: string; messageId: null; meta: unknown };

interface Row {
  key: string;
  guild_id: string;
  channel_id: string;
  nonce: string;
  body: string;
  meta: string | null;
  state: "posting" | "posted" | "abandoned";
  message_id: string | null;
  started_at: number;
}

/**
 * The statement that records an intent unless one exists for the key (then that one stands), for a caller
 * that must record it in the same transaction as its own change (e.g. marking what the post announces).
 */
export function intentStatement(db: D1Database, i: Intent, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO posted_messages (key, guild_id, channel_id, nonce, body, meta, state, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'posting', ?, ?)
       ON CONFLICT (key) DO NOTHING`,
    )
    .bind(i.key, i.guildId, i.channelId, stableId(i.key), JSON.stringify(i.body), i.meta === undefined ? null : JSON.stringify(i.meta), now, now);
}

/** Records the intent unless one exists for the key (then that one stands); returns the stored intent. */
async function intend(db: D1Database, i: Intent, now: number): Promise<Row> {
  const [, , row] = await db.batch<Row>([
    db.prepare("DELETE FROM posted_messages WHERE guild_id = ? AND updated_at < ?").bind(i.guildId, now - KEEP_MS),
    intentStatement(db, i, now),
    db.prepare("SELECT * FROM posted_messages WHERE key = ?").bind(i.key),
  ]);
  return row?.results[0] as Row;
}

/** Whether an attempt already began this post (a retry then finishes it, whatever else has changed). */
export async function intentExists(db: D1Database, key: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 AS x FROM posted_messages WHERE key = ?").bind(key).first()) !== null;
}

/** Intents of a guild whose post is not known to have happened (a crash after `intend`), oldest first. */
export async function unfinished(db: D1Database, guildId: string, keyPrefix: string): Promise<string[]> {
  const rows = await db
    .prepare("SELECT key FROM posted_messages WHERE guild_id = ? AND state = 'posting' AND key LIKE ? ESCAPE '\\' ORDER BY started_at")
    .bind(guildId, `${keyPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    .all<{ key: string }>();
  return rows.results.map((r) => r.key);
}

/** Records the intent, then posts it once. */
export async function postOnce(s: Services, i: Intent): Promise<Posted> {
  return deliver(s, await intend(s.env.DB, i, s.now()));
}

/** Posts a recorded intent by key (e.g. one a crashed run left); null when there is none. */
export async function deliverKey(s: Services, key: string): Promise<Posted | null> {
  const row = await s.env.DB.prepare("SELECT * FROM posted_messages WHERE key = ?").bind(key).first<Row>();
  return row ? deliver(s, row) : null;
}

/**
 * For a post no longer worth making (its moment has passed): the post an earlier attempt may have made is looked
 * for in the channel and recorded when found; one that never went out is given up, never made now. Null when no
 * attempt began this post.
 */
export async function settleWithoutPosting(s: Services, key: string): Promise<Posted | null> {
  const row = await s.env.DB.prepare("SELECT * FROM posted_messages WHERE key = ?").bind(key).first<Row>();
  if (!row) return null;
  const meta = row.meta === null ? undefined : JSON.parse(row.meta);
  const base = { channelId: row.channel_id, meta };
  if (row.state === "posted") return { ...base, status: "already", messageId: row.message_id as string };
  if (row.state === "posting") {
    const { found } = await findOwnMessage(s, row.channel_id, sameAs(JSON.parse(row.body) as RESTPostAPIChannelMessageJSONBody), row.started_at);
    if (found) {
      await mark(s.env.DB, row.key, "posted", found.id, s.now());
      return { ...base, status: "found", messageId: found.id };
    }
    await mark(s.env.DB, row.key, "abandoned", null, s.now());
  }
  return { ...base, status: "unknown", messageId: null };
}

const sameAs = (body: RESTPostAPIChannelMessageJSONBody) => (m: APIMessage) =>
  m.content === (body.content ?? "") &&
  (m.embeds?.[0]?.title ?? null) === (body.embeds?.[0]?.title ?? null) &&
  (m.embeds?.[0]?.description ?? null) === (body.embeds?.[0]?.description ?? null);

async function deliver(s: Services, row: Row): Promise<Posted> {
  const db = s.env.DB;
  const meta = row.meta === null ? undefined : JSON.parse(row.meta);
  const base = { channelId: row.channel_id, meta };
  if (row.state === "posted") return { ...base, status: "already", messageId: row.message_id as string };
  if (row.state === "abandoned") return { ...base, status: "unknown", messageId: null };
  const body = JSON.parse(row.body) as RESTPostAPIChannelMessageJSONBody;
  if (s.now() - row.started_at >= NONCE_SAFE_MS) {
    // Discord no longer dedups the nonce: the channel says whether the first attempt got through.
    const { found, complete } = await findOwnMessage(s, row.channel_id, sameAs(body), row.started_at);
    if (found) {
      await mark(db, row.key, "posted", found.id, s.now());
      return { ...base, status: "found", messageId: found.id };
    }
    if (!complete) {
      // Too much was posted since to tell: better a missing post than a second one.
      await mark(db, row.key, "abandoned", null, s.now());
      logger.warn("post_once.unknown", { guild_id: row.guild_id, key: row.key, channel_id: row.channel_id });
      return { ...base, status: "unknown", messageId: null };
    }
    // It never went out: a fresh window starts now for this nonce.
    await db.prepare("UPDATE posted_messages SET started_at = ?, updated_at = ? WHERE key = ? AND state = 'posting'").bind(s.now(), s.now(), row.key).run();
  }
  try {
    const msg = await s.api.channels.createMessage(row.channel_id, { ...body, nonce: row.nonce, enforce_nonce: true });
    await mark(db, row.key, "posted", msg.id, s.now());
    return { ...base, status: "posted", messageId: msg.id };
  } catch (error) {
    // Refused outright (a deleted channel, lost access, DMs closed): nothing was posted and nothing will be.
    if (error instanceof DiscordApiError && !error.transient) await mark(db, row.key, "abandoned", null, s.now());
    throw error;
  }
}

async function mark(db: D1Database, key: string, state: "posted" | "abandoned", messageId: string | null, now: number): Promise<void> {
  await db
    .prepare("UPDATE posted_messages SET state = ?, message_id = ?, updated_at = ? WHERE key = ? AND state = 'posting'")
    .bind(state, messageId, now, key)
    .run();
}
