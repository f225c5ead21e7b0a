/** Per-guild reminder settings and reminder types (name + keywords matched against event names). */
import { hasLeague } from "../tournaments/league-query";

export interface ReminderSettings {
  allowed_offsets: number[];
  default_offsets: number[];
  interested_enabled: boolean;
  channel_id: string | null;
  channel_everyone: boolean;
}

export const DEFAULT_REMINDER_SETTINGS: ReminderSettings = {
  allowed_offsets: [86_400, 43_200, 14_400, 3_600, 900, 0],
  default_offsets: [3_600, 0],
  interested_enabled: true,
  channel_id: null,
  channel_everyone: false,
};

/** Offered when a guild has no types yet; nothing depends on them. */
export const STARTER_TYPES: { name: string; keywords: string[] }[] = [
  { name: "raids", keywords: ["raid"] },
  { name: "tournaments", keywords: ["tournament", "match", "cup"] },
  { name: "community", keywords: ["movie", "game night", "meetup"] },
];

type Row = { allowed_offsets: string; default_offsets: string; interested_enabled: number; channel_id: string | null; channel_everyone: number };

export async function readReminderSettings(db: D1Database, guildId: string): Promise<ReminderSettings> {
  const r = await db.prepare("SELECT * FROM reminder_settings WHERE guild_id = ?").bind(guildId).first<Row>();
  if (!r) return DEFAULT_REMINDER_SETTINGS;
  return {
    allowed_offsets: JSON.parse(r.allowed_offsets),
    default_offsets: JSON.parse(r.default_offsets),
    interested_enabled: r.interested_enabled === 1,
    channel_id: r.channel_id,
    channel_everyone: r.channel_everyone === 1,
  };
}

export async function writeReminderSettings(db: D1Database, guildId: string, s: ReminderSettings, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO reminder_settings (guild_id, allowed_offsets, default_offsets, interested_enabled, channel_id, channel_everyone, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET allowed_offsets = excluded.allowed_offsets,
       default_offsets = excluded.default_offsets, interested_enabled = excluded.interested_enabled, channel_id = excluded.channel_id,
       channel_everyone = excluded.channel_everyone, updated_at = excluded.updated_at`,
    )
    .bind(
      guildId,
      JSON.stringify(s.allowed_offsets),
      JSON.stringify(s.default_offsets),
      s.interested_enabled ? 1 : 0,
      s.channel_id,
      s.channel_everyone ? 1 : 0,
      now,
    )
    .run();
}

export interface ReminderType {
  name: string;
  keywords: string[];
}

export async function listTypes(db: D1Database, guildId: string): Promise<ReminderType[]> {
  const rows = await db
    .prepare("SELECT name, keywords FROM reminder_types WHERE guild_id = ? ORDER BY name")
    .bind(guildId)
    .all<{ name: string; keywords: string }>();
  return rows.results.map((r) => ({ name: r.name, keywords: JSON.parse(r.keywords) }));
}

export async function putType(db: D1Database, guildId: string, t: ReminderType): Promise<void> {
  await db
    .prepare("INSERT INTO reminder_types (guild_id, name, keywords) VALUES (?, ?, ?) ON CONFLICT (guild_id, name) DO UPDATE SET keywords = excluded.keywords")
    .bind(guildId, t.name, JSON.stringify(t.keywords))
    .run();
}

export async function deleteType(db: D1Database, guildId: string, name: string): Promise<boolean> {
  return (await db.prepare("DELETE FROM reminder_types WHERE guild_id = ? AND name = ?").bind(guildId, name).run()).meta.changes > 0;
}

/** Built in once the guild runs a tournament: the events that mirror its matches. */
export const MATCHES_TYPE = "matches";

/** The type names an event belongs to: `all`, `matches` for a match's event, and every type with a keyword in the lowercased name. */
export function matchingTypes(types: readonly ReminderType[], eventName: string, isMatch = false): string[] {
  const lower = eventName.toLowerCase();
  return [
    "all",
    ...(isMatch ? [MATCHES_TYPE] : []),
    ...types.filter((t) => t.name !== MATCHES_TYPE && t.keywords.some((k) => lower.includes(k.toLowerCase()))).map((t) => t.name),
  ];
}

/** The types members choose from: the guild's own, plus `matches` when it runs a tournament. */
export async function memberTypes(db: D1Database, guildId: string): Promise<ReminderType[]> {
  const [own, league] = await Promise.all([listTypes(db, guildId), hasLeague(db, guildId)]);
  return league ? [{ name: MATCHES_TYPE, keywords: [] }, ...own] : own;
}
