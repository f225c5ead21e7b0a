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

/** Records a new temporary channel; false when the match already has one (a concurrent request won). */
export async function addChannel(db: D1Database, c: TempChannel): Promise<boolean> {
  const r = await db
    .prepare(
      "INSERT INTO voice_channels (guild_id, channel_id, kind, name, owner_id, match_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(c.guild_id, c.channel_id, c.kind, c.name, c.owner_id, c.match_key, c.created_at)
    .run();
  return (r.meta.changes ?? 0) > 0;
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
 * changed: the one they left and the one they joined, if those are temporary.
 */
export async function moveMember(
  db: D1Database,
  guildId: string,
  userId: string,
  channelId: string | null,
): Promise<{ left: string | null; joined: string | null }> {
  const before = await db
    .prepare("SELECT channel_id FROM voice_members WHERE guild_id = ? AND user_id = ?")
    .bind(guildId, userId)
    .first<{ channel_id: string }>();
  const temp = channelId ? await getChannel(db, guildId, channelId) : null;
  if (before?.channel_id === channelId) return { left: null, joined: null };
  if (temp) {
    await db
      .prepare(
        "INSERT INTO voice_members (guild_id, channel_id, user_id) VALUES (?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET channel_id = excluded.channel_id",
      )
      .bind(guildId, channelId, userId)
      .run();
  } else if (before) {
    await db.prepare("DELETE FROM voice_members WHERE guild_id = ? AND user_id = ?").bind(guildId, userId).run();
  }
  return { left: before?.channel_id ?? null, joined: temp ? channelId : null };
}

/** After a reconnect: the gateway's full list of voice states replaces what we knew for this guild. */
export async function replaceMembers(db: D1Database, guildId: string, states: readonly { user_id: string; channel_id: string | null }[]): Promise<void> {
  const live = new Set((await liveChannels(db, guildId)).map((c) => c.channel_id));
  const inTemp = states.filter((s) => s.channel_id && live.has(s.channel_id));
  await db.batch([
    db.prepare("DELETE FROM voice_members WHERE guild_id = ?").bind(guildId),
    ...inTemp.map((s) =>
      db.prepare("INSERT OR REPLACE INTO voice_members (guild_id, channel_id, user_id) VALUES (?, ?, ?)").bind(guildId, s.channel_id, s.user_id),
    ),
  ]);
}
