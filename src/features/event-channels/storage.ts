/** D1 storage for event channels: one record per followed scheduled event (the seed's text/voice/role) and the divider. */

export type EventState = "scheduled" | "retrying" | "creating" | "live" | "ending" | "done" | "skipped" | "cancelled";

/**
 * What a step is about to create; recorded before the call so a crash between the call and the write is found.
 * "channels": several text and voice channels asked for at once (listed in `intent_channels`).
 */
export type IntentKind = "role" | "text" | "voice" | "channels";

/** One channel of a "channels" intent. */
export interface ChannelIntent {
  kind: "text" | "voice";
  name: string;
}

export interface EventRecord {
  guild_id: string;
  event_id: string;
  name: string;
  start_at: number;
  end_at: number | null;
  state: EventState;
  text_id: string | null;
  voice_ids: string[];
  role_id: string | null;
  role_created: boolean;
  delete_at: number | null;
  warning_message_id: string | null;
  /** Voice channels decided when creation began, so a resumed creation makes the same layout. */
  planned_voices: number | null;
  intent_kind: IntentKind | null;
  intent_name: string | null;
  intent_at: number | null;
  intent_channels: ChannelIntent[] | null;
  /** Role grants resume after this user id (Discord lists Interested members in id order). */
  grant_cursor: string | null;
  extensions: number;
}

type Row = Omit<EventRecord, "voice_ids" | "role_created" | "intent_channels"> & { voice_ids: string; role_created: number; intent_channels: string | null };

/** No intent: what a record holds once what it asked for is recorded (or known not to exist). */
export const NO_INTENT = { intent_kind: null, intent_name: null, intent_at: null, intent_channels: null } as const satisfies Partial<EventRecord>;

/** The seed's stored shape, including the legacy one where `voice` was a single id. */
export function normaliseVoice(voice: unknown): string[] {
  if (voice === null || voice === undefined || voice === "") return [];
  if (Array.isArray(voice)) return voice.map(String);
  return [String(voice)];
}

function fromRow(r: Row): EventRecord {
  let voice: unknown = [];
  try {
    voice = JSON.parse(r.voice_ids);
  } catch {
    voice = r.voice_ids;
  }
  return { ...r, voice_ids: normaliseVoice(voice), role_created: r.role_created === 1, intent_channels: parseChannelIntents(r.intent_channels) };
}

/** A stored list of channel intents; anything unreadable is no list (nothing is then matched by it). */
function parseChannelIntents(raw: string | null): ChannelIntent[] | null {
  if (!raw) return null;
  try {
    const list: unknown = JSON.parse(raw);
    if (!Array.isArray(list)) return null;
    return list.filter(
      (x): x is ChannelIntent => typeof x === "object" && x !== null && (x.kind === "text" || x.kind === "voice") && typeof x.name === "string",
    );
  } catch {
    return null;
  }
}

export async function getEvent(db: D1Database, guildId: string, eventId: string): Promise<EventRecord | null> {
  const r = await db.prepare("SELECT * FROM event_channel_events WHERE guild_id = ? AND event_id = ?").bind(guildId, eventId).first<Row>();
  return r ? fromRow(r) : null;
}

/** Records (or refreshes) what the gateway says about an event, keeping the channels already made. */
export async function upsertEvent(
  db: D1Database,
  e: { guild_id: string; event_id: string; name: string; start_at: number; end_at: number | null },
  now: number,
): Promise<EventRecord> {
  await db
    .prepare(
      `INSERT INTO event_channel_events (guild_id, event_id, name, start_at, end_at, state, updated_at) VALUES (?, ?, ?, ?, ?, 'scheduled', ?)
       ON CONFLICT (guild_id, event_id) DO UPDATE SET name = excluded.name, start_at = excluded.start_at, end_at = excluded.end_at, updated_at = excluded.updated_at`,
    )
    .bind(e.guild_id, e.event_id, e.name, e.start_at, e.end_at, now)
    .run();
  return (await getEvent(db, e.guild_id, e.event_id)) as EventRecord;
}

type Patch = Partial<Omit<EventRecord, "guild_id" | "event_id">>;

export async function updateEvent(db: D1Database, guildId: string, eventId: string, patch: Patch, now: number): Promise<void> {
  const cols = Object.keys(patch) as (keyof Patch)[];
  if (!cols.length) return;
  const values = cols.map((c) => {
    const v = patch[c];
    if (c === "voice_ids") return JSON.stringify(v);
    if (c === "intent_channels") return v ? JSON.stringify(v) : null;
    if (c === "role_created") return v ? 1 : 0;
    return v ?? null;
  });
  await db
    .prepare(`UPDATE event_channel_events SET ${cols.map((c) => `${c} = ?`).join(", ")}, updated_at = ? WHERE guild_id = ? AND event_id = ?`)
    .bind(...values, now, guildId, eventId)
    .run();
}

/**
 * Compare-and-set on the state: moves to `to` only from one of `from`. False means another step or a gateway
 * dispatch got there first, and the caller must not act as if it had won.
 */
export async function transition(db: D1Database, guildId: string, eventId: string, from: readonly EventState[], to: EventState, now: number): Promise<boolean> {
  const res = await db
    .prepare(`UPDATE event_channel_events SET state = ?, updated_at = ? WHERE guild_id = ? AND event_id = ? AND state IN (${from.map(() => "?").join(", ")})`)
    .bind(to, now, guildId, eventId, ...from)
    .run();
  return res.meta.changes === 1;
}

/** Drops a channel deleted by hand from the event's record, atomically; returns the record after. */
export async function forgetChannel(db: D1Database, guildId: string, eventId: string, channelId: string, now: number): Promise<EventRecord | null> {
  await db
    .prepare(
      `UPDATE event_channel_events SET
         text_id = CASE WHEN text_id = ?1 THEN NULL ELSE text_id END,
         voice_ids = (SELECT json_group_array(value) FROM json_each(event_channel_events.voice_ids) WHERE value != ?1),
         updated_at = ?2
       WHERE guild_id = ?3 AND event_id = ?4`,
    )
    .bind(channelId, now, guildId, eventId)
    .run();
  return getEvent(db, guildId, eventId);
}

/** Every channel and role id the guild's event records own (an intent is never matched to one of them). */
export async function ownedChannelIds(db: D1Database, guildId: string): Promise<Set<string>> {
  const rows = await db
    .prepare("SELECT role_id, text_id, voice_ids FROM event_channel_events WHERE guild_id = ? AND state IN ('creating', 'live', 'ending')")
    .bind(guildId)
    .all<{ role_id: string | null; text_id: string | null; voice_ids: string }>();
  const ids = new Set<string>();
  for (const r of rows.results) for (const id of [r.role_id, r.text_id, ...(JSON.parse(r.voice_ids) as string[])]) if (id) ids.add(id);
  return ids;
}

/** Whether anything of the event exists (or may exist) on Discord: made objects, or one being made. */
export function ownsAnything(rec: EventRecord): boolean {
  return !!(rec.role_id || rec.text_id || rec.voice_ids.length || rec.intent_kind);
}

export async function deleteEvent(db: D1Database, guildId: string, eventId: string): Promise<void> {
  await db.prepare("DELETE FROM event_channel_events WHERE guild_id = ? AND event_id = ?").bind(guildId, eventId).run();
}

/** The live event that owns a channel (text or one of its voice channels), if any. */
export async function eventByChannel(db: D1Database, guildId: string, channelId: string): Promise<EventRecord | null> {
  const rows = await db
    .prepare("SELECT * FROM event_channel_events WHERE guild_id = ? AND state IN ('creating', 'live') AND (text_id = ? OR voice_ids LIKE ?)")
    .bind(guildId, channelId, `%"${channelId}"%`)
    .all<Row>();
  return rows.results.map(fromRow).find((r) => r.text_id === channelId || r.voice_ids.includes(channelId)) ?? null;
}

export async function eventByRole(db: D1Database, guildId: string, roleId: string): Promise<EventRecord | null> {
  const r = await db
    .prepare("SELECT * FROM event_channel_events WHERE guild_id = ? AND role_id = ? AND state IN ('creating', 'live')")
    .bind(guildId, roleId)
    .first<Row>();
  return r ? fromRow(r) : null;
}

export async function liveEvents(db: D1Database, guildId: string): Promise<EventRecord[]> {
  const rows = await db.prepare("SELECT * FROM event_channel_events WHERE guild_id = ? AND state = 'live' ORDER BY start_at").bind(guildId).all<Row>();
  return rows.results.map(fromRow);
}

export interface Divider {
  channel_id: string | null;
  role_ids: string[];
  intent_name?: string | null;
  intent_at?: number | null;
}

export async function getDivider(db: D1Database, guildId: string): Promise<Divider> {
  const r = await db
    .prepare("SELECT channel_id, role_ids, intent_name, intent_at FROM event_channel_dividers WHERE guild_id = ?")
    .bind(guildId)
    .first<{ channel_id: string | null; role_ids: string; intent_name: string | null; intent_at: number | null }>();
  return r
    ? { channel_id: r.channel_id, role_ids: JSON.parse(r.role_ids), intent_name: r.intent_name, intent_at: r.intent_at }
    : { channel_id: null, role_ids: [], intent_name: null, intent_at: null };
}

export async function setDivider(db: D1Database, guildId: string, d: Divider): Promise<void> {
  await db
    .prepare(
      "INSERT INTO event_channel_dividers (guild_id, channel_id, role_ids, intent_name, intent_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, role_ids = excluded.role_ids, intent_name = excluded.intent_name, intent_at = excluded.intent_at",
    )
    .bind(guildId, d.channel_id, JSON.stringify(d.role_ids), d.intent_name ?? null, d.intent_at ?? null)
    .run();
}

/**
 * A recurring event's ended occurrence keeps its channels under its own key (`{event}@{start}`), so their cleanup
 * runs on their own timer while the event's record starts over for the next occurrence. Copies every column there
 * is (whatever migrations added); a second copy is a no-op.
 */
export async function copyAsOccurrence(db: D1Database, guildId: string, eventId: string, key: string): Promise<void> {
  const row = await db
    .prepare("SELECT * FROM event_channel_events WHERE guild_id = ? AND event_id = ?")
    .bind(guildId, eventId)
    .first<Record<string, unknown>>();
  if (!row) return;
  const cols = Object.keys(row);
  await db
    .prepare(`INSERT INTO event_channel_events (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")}) ON CONFLICT (guild_id, event_id) DO NOTHING`)
    .bind(...cols.map((c) => (c === "event_id" ? key : (row[c] ?? null))))
    .run();
}

/** The event's record begins again for its next occurrence (nothing made yet); compare-and-set on the ended one's start. */
export async function startNextOccurrence(
  db: D1Database,
  e: { guild_id: string; event_id: string; name: string; start_at: number; end_at: number | null },
  endedStart: number,
  now: number,
): Promise<boolean> {
  const r = await db
    .prepare(
      `UPDATE event_channel_events SET name = ?, start_at = ?, end_at = ?, state = 'scheduled', text_id = NULL, voice_ids = '[]', role_id = NULL,
       role_created = 0, delete_at = NULL, warning_message_id = NULL, planned_voices = NULL, intent_kind = NULL, intent_name = NULL, intent_at = NULL,
       intent_channels = NULL, grant_cursor = NULL, extensions = 0, updated_at = ? WHERE guild_id = ? AND event_id = ? AND start_at = ?`,
    )
    .bind(e.name, e.start_at, e.end_at, now, e.guild_id, e.event_id, endedStart)
    .run();
  return (r.meta.changes ?? 0) > 0;
}
