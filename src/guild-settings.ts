/** The `guilds` table: per-guild settings every feature may read (timezone, event level, audit channel). */

export interface GuildSettings {
  guild_id: string;
  timezone: string;
  event_level: string | null;
  audit_channel_id: string | null;
}

export const DEFAULT_TIMEZONE = "UTC";

export async function readGuildSettings(db: D1Database, guildId: string): Promise<GuildSettings> {
  const row = await db.prepare("SELECT guild_id, timezone, event_level, audit_channel_id FROM guilds WHERE guild_id = ?").bind(guildId).first<GuildSettings>();
  return row ?? { guild_id: guildId, timezone: DEFAULT_TIMEZONE, event_level: null, audit_channel_id: null };
}

type Patch = Partial<Omit<GuildSettings, "guild_id">>;

/** Upserts only the given columns; other settings keep their stored values. */
export async function updateGuildSettings(db: D1Database, guildId: string, patch: Patch, now = Date.now()): Promise<GuildSettings> {
  const cols = Object.keys(patch).filter((k) => ["timezone", "event_level", "audit_channel_id"].includes(k)) as (keyof Patch)[];
  if (cols.length === 0) return readGuildSettings(db, guildId);
  const values = cols.map((c) => patch[c] ?? null);
  const sql = `INSERT INTO guilds (guild_id, ${cols.join(", ")}, created_at, updated_at) VALUES (?, ${cols.map(() => "?").join(", ")}, ?, ?)
    ON CONFLICT (guild_id) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(", ")}, updated_at = excluded.updated_at`;
  await db
    .prepare(sql)
    .bind(guildId, ...values, now, now)
    .run();
  return readGuildSettings(db, guildId);
}

/** A valid IANA zone name as the runtime's ICU knows it, normalised to its canonical spelling. */
export { canonicalTimeZone as normaliseTimezone } from "./util/zoned-time";

/** What a GUILD_CREATE changed: whether the bot had been removed (a purge may be pending). */
export interface Presence {
  wasLeft: boolean;
}

/** GUILD_CREATE: the bot is (again) in this guild. Settings, if any, are kept. */
export async function markGuildPresent(db: D1Database, guildId: string, now = Date.now()): Promise<Presence> {
  // One round trip: the row as it was, then the upsert (a reconnect sends thousands of these).
  const [before] = await db.batch<{ left_at: number | null }>([
    db.prepare("SELECT left_at FROM guilds WHERE guild_id = ?").bind(guildId),
    db
      .prepare(
        `INSERT INTO guilds (guild_id, joined_at, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (guild_id) DO UPDATE SET joined_at = COALESCE(guilds.joined_at, excluded.joined_at), left_at = NULL`,
      )
      .bind(guildId, now, now, now),
  ]);
  return { wasLeft: before?.results[0]?.left_at != null };
}

/**
 * GUILD_DELETE without `unavailable`: the bot was removed (an outage sends `unavailable: true` instead). The
 * first removal's time stands: a replayed dispatch does not move the purge that counts from it.
 */
export async function markGuildLeft(db: D1Database, guildId: string, now = Date.now()): Promise<number> {
  const row = await db
    .prepare(
      `INSERT INTO guilds (guild_id, left_at, created_at, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (guild_id) DO UPDATE SET left_at = COALESCE(guilds.left_at, excluded.left_at), joined_at = NULL RETURNING left_at`,
    )
    .bind(guildId, now, now, now)
    .first<{ left_at: number }>();
  return row?.left_at ?? now;
}

/** The retention timer of the guild ran or was armed now. */
export async function markRetention(db: D1Database, guildIds: readonly string[], now: number): Promise<void> {
  if (!guildIds.length) return;
  await db.prepare(`UPDATE guilds SET retention_at = ? WHERE guild_id IN (SELECT value FROM json_each(?))`).bind(now, JSON.stringify(guildIds)).run();
}

/** Guilds the bot is in, as last told by the gateway. */
export async function presentGuilds(db: D1Database): Promise<string[]> {
  const rows = await db.prepare("SELECT guild_id FROM guilds WHERE joined_at IS NOT NULL AND left_at IS NULL ORDER BY guild_id").all<{ guild_id: string }>();
  return rows.results.map((r) => r.guild_id);
}
