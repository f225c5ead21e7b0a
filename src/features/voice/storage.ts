/** D1 storage for temporary voice channels: limits, live channels, and who is in them. */

export interface VoiceSettings {
  category_id: string | null;
  empty_minutes: number;
  max_live: number;
  max_per_member: number;
}

export const DEFAULT_VOICE_SETTINGS: VoiceSettings = { category_id: null, empty_minutes: 5, max_live: 25, max_per_member: 1 };

export async function readVoiceSettings(db: D1Database, guildId: string): Promise<VoiceSettings> {
  const r = await db
    .prepare("SELECT category_id, empty_minutes, max_live, max_per_member FROM voice_settings WHERE guild_id = ?")
    .bind(guildId)
    .first<VoiceSettings>();
  return r ?? DEFAULT_VOICE_SETTINGS;
}

export async function writeVoiceSettings(db: D1Database, guildId: string, s: VoiceSettings, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO voice_settings (guild_id, category_id, empty_minutes, max_live, max_per_member, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (guild_id) DO UPDATE SET category_id = excluded.category_id, empty_minutes = excluded.empty_minutes, max_live = excluded.max_live,
       max_per_member = excluded.max_per_member, updated_at = excluded.updated_at`,
    )
    .bind(guildId, s.category_id, s.empty_minutes, s.max_live, s.max_per_member, now)
    .run();
}

export interface TempChannel {
  guild_id: string;
  channel_id: string;
  kind: "public" | "private";
  name: string;
  owner_id: string;
  match_key: string | null;
  created_at: number;
}

export async function liveChannels(db: D1Database, guildId: string): Promise<TempChannel[]> {
  return (await db.prepare("SELECT * FROM voice_channels WHERE guild_id = ? ORDER BY created_at").bind(guildId).all<TempChannel>()).results;
}

export async function getChannel(db: D1Database, guildId: string, channelId: string): Promise<TempChannel | null> {
  return db.prepare("SELECT * FROM voice_channels WHERE guild_id = ? AND channel_id = ?").bind(guildId, channelId).first<TempChannel>();
}

/** The live private channel of a match, if any (one per match, by the unique match_key). */
export async function channelForMatch(db: D1Database, guildId: string, matchKey: string): Promise<TempChannel | null> {
  return db.prepare("SELECT * FROM voice_channels WHERE guild_id = ? AND match_key = ?").bind(guildId, matchKey).first<TempChannel>();
}

export async function forgetChannel(db: D1Database, guildId: string, channelId: string): Promise<boolean> {
  const r = await db.batch([
    db.prepare("DELETE FROM voice_channels WHERE guild_id = ? AND channel_id = ?").bind(guildId, channelId),
    db.prepare("DELETE FROM voice_members WHERE guild_id = ? AND channel_id = ?").bind(guildId, channelId),
  ]);
  return (r[0]?.meta.changes ?? 0) > 0;
}

export async function occupants(db: D1Database, guildId: string, channelId: string): Promise<number> {
  return (
    (await db.prepare("SELECT COUNT(*) AS n FROM voice_members WHERE guild_id = ? AND channel_id = ?").bind(guildId, channelId).first<{ n: number }>())?.n ?? 0
  );
}

/**
 * Records where a member now is (null = left voice) and returns the temporary channels whose occupancy
 * changed: the one they left and the one they joined, if those are temporary. In a guild that set a category
 * every voice channel is tracked, so a channel adopted after a crash (or a join racing its creation) has its
 * occupancy from the start; elsewhere only temporary channels are.
 */
export async function moveMember(
  db: D1Database,
  guildId: string,
  userId: string,
  channelId: string | null,
): Promise<{ left: string | null; joined: string | null }> {
  const now = await db
    .prepare(
      `SELECT m.channel_id AS before, (SELECT 1 FROM voice_channels c WHERE c.guild_id = ?1 AND c.channel_id = m.channel_id) AS before_temp,
         (SELECT 1 FROM voice_channels c WHERE c.guild_id = ?1 AND c.channel_id = ?3) AS temp,
         (SELECT category_id FROM voice_settings WHERE guild_id = ?1) AS category
       FROM (SELECT 1) LEFT JOIN voice_members m ON m.guild_id = ?1 AND m.user_id = ?2`,
    )
    .bind(guildId, userId, channelId)
    .first<{ before: string | null; before_temp: number | null; temp: number | null; category: string | null }>();
  const before = now?.before ?? null;
  if (before === channelId) return { left: null, joined: null };
  if (channelId && (now?.temp || now?.category)) {
    await db
      .prepare(
        "INSERT INTO voice_members (guild_id, channel_id, user_id) VALUES (?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET channel_id = excluded.channel_id",
      )
      .bind(guildId, channelId, userId)
      .run();
  } else if (before) {
    await db.prepare("DELETE FROM voice_members WHERE guild_id = ? AND user_id = ?").bind(guildId, userId).run();
  }
  return { left: now?.before_temp ? before : null, joined: now?.temp ? channelId : null };
}

/** After a fresh connection: the gateway's full list of voice states replaces what we knew for this guild. */
export async function replaceMembers(
  db: D1Database,
  guildId: string,
  states: readonly { user_id: string; channel_id: string | null }[],
  now: number,
): Promise<void> {
  const { category_id } = await readVoiceSettings(db, guildId);
  const live = new Set((await liveChannels(db, guildId)).map((c) => c.channel_id));
  const kept = states.filter((s) => s.channel_id && (category_id || live.has(s.channel_id)));
  const rows = JSON.stringify(kept.map((s) => ({ c: s.channel_id, u: s.user_id })));
  await db.batch([
    db.prepare("DELETE FROM voice_members WHERE guild_id = ?").bind(guildId),
    // One statement however many are in voice (a large server can have hundreds).
    db
      .prepare(
        "INSERT OR REPLACE INTO voice_members (guild_id, channel_id, user_id) SELECT ?, json_extract(value, '$.c'), json_extract(value, '$.u') FROM json_each(?)",
      )
      .bind(guildId, rows),
    // Occupancy is complete from now on (as far as the relay that sent this is current).
    db.prepare("UPDATE voice_settings SET occupancy_at = ? WHERE guild_id = ?").bind(now, guildId),
  ]);
}

/** When the guild's occupancy was last rebuilt from a GUILD_CREATE (null: never). */
export async function occupancyRebuiltAt(db: D1Database, guildId: string): Promise<number | null> {
  return (
    (await db.prepare("SELECT occupancy_at FROM voice_settings WHERE guild_id = ?").bind(guildId).first<{ occupancy_at: number | null }>())?.occupancy_at ??
    null
  );
}
