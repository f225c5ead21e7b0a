/** D1 storage of creation intents: written before the POST, resolved after it, reconciled if the bot crashed between. */
import type { Intent } from "./ownership";

/**
 * Records the intent only while the guild has fewer than `limit` temporary channels, live or being made: one statement,
 * so two requests at once cannot both take the last place. False when there is no room.
 */
export async function reserveIntent(db: D1Database, i: Intent, limit: number): Promise<boolean> {
  const r = await db
    .prepare(
      `INSERT INTO voice_intents (guild_id, nonce, kind, name, parent_id, owner_id, match_key, created_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
       WHERE (SELECT COUNT(*) FROM voice_channels WHERE guild_id = ?1) + (SELECT COUNT(*) FROM voice_intents WHERE guild_id = ?1 AND channel_id IS NULL) < ?9`,
    )
    .bind(i.guild_id, i.nonce, i.kind, i.name, i.parent_id, i.owner_id, i.match_key, i.created_at, limit)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/** The ids of the guild's temporary channels the bot knows of: tracked ones and those an intent made. */
export async function ownChannelIds(db: D1Database, guildId: string): Promise<Set<string>> {
  const rows = await db
    .prepare(
      "SELECT channel_id FROM voice_channels WHERE guild_id = ?1 UNION SELECT channel_id FROM voice_intents WHERE guild_id = ?1 AND channel_id IS NOT NULL",
    )
    .bind(guildId)
    .all<{ channel_id: string }>();
  return new Set(rows.results.map((r) => r.channel_id));
}

/** The guild's intents whose channel is not recorded yet (being made, or made and its answer not yet handled). */
export async function pendingIntents(db: D1Database, guildId: string): Promise<Intent[]> {
  const rows = await db.prepare("SELECT * FROM voice_intents WHERE guild_id = ? AND channel_id IS NULL LIMIT 500").bind(guildId).all<Intent>();
  return rows.results;
}

export async function getIntent(db: D1Database, guildId: string, nonce: string): Promise<Intent | null> {
  return db.prepare("SELECT * FROM voice_intents WHERE guild_id = ? AND nonce = ?").bind(guildId, nonce).first<Intent>();
}

export async function dropIntent(db: D1Database, guildId: string, nonce: string): Promise<void> {
  await db.prepare("DELETE FROM voice_intents WHERE guild_id = ? AND nonce = ?").bind(guildId, nonce).run();
}

/**
 * Intents whose channel is not known yet (an earlier request whose answer was lost): a member's public ones, or
 * any of a match's. Their reconciliation drops them, so these are minutes old at most.
 */
export async function unresolvedIntents(
  db: D1Database,
  guildId: string,
  of: { kind: "public"; owner_id: string } | { kind: "private"; match_key: string },
): Promise<Intent[]> {
  const [column, value] = of.kind === "private" ? ["match_key", of.match_key] : ["owner_id", of.owner_id];
  const rows = await db
    .prepare(`SELECT * FROM voice_intents WHERE guild_id = ? AND kind = ? AND ${column} = ? AND channel_id IS NULL ORDER BY created_at LIMIT 10`)
    .bind(guildId, of.kind, value)
    .all<Intent>();
  return rows.results;
}

/** Records the channel an intent made; false when the match already has one (a concurrent request won). */
export async function trackFromIntent(db: D1Database, i: Intent, channelId: string, matchKey: string | null): Promise<boolean> {
  const [insert] = await db.batch([
    db
      .prepare(
        "INSERT INTO voice_channels (guild_id, channel_id, kind, name, owner_id, match_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      )
      // Created at the intent's time: the channel cannot have had anyone in it before then.
      .bind(i.guild_id, channelId, i.kind, i.name, i.owner_id, matchKey, i.created_at),
    db.prepare("UPDATE voice_intents SET channel_id = COALESCE(channel_id, ?) WHERE guild_id = ? AND nonce = ?").bind(channelId, i.guild_id, i.nonce),
  ]);
  return (insert?.meta.changes ?? 0) > 0;
}

/** Intents left behind (their reconcile item gave up or never ran), oldest first, for the retention job. */
export async function pruneIntents(db: D1Database, guildId: string, before: number, limit: number): Promise<number> {
  const r = await db
    .prepare("DELETE FROM voice_intents WHERE rowid IN (SELECT rowid FROM voice_intents WHERE guild_id = ? AND created_at < ? LIMIT ?)")
    .bind(guildId, before, limit)
    .run();
  return r.meta.changes ?? 0;
}
