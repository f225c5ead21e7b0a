/** The match → Discord scheduled event mapping (seed's DiscordScheduledEvent), with a lease per match. */
import { type EventFields, FIELD_NAMES } from "./event-format";

export interface Mapping {
  match_id: number;
  guild_id: string;
  scheduled_event_id: string | null;
  event_slug: string | null;
  name: string | null;
  description: string | null;
  location: string | null;
  start_at: number | null;
  end_at: number | null;
  event_status: number | null;
  synced_revision: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  /** Set before a create's POST and cleared when its outcome is recorded: while set, the event may exist unmapped. */
  create_nonce: string | null;
  create_started_at: number | null;
  created_at: number;
  /** When the stored copy of the event last changed (0: never sent). */
  updated_at: number;
}

/** Long enough for a few REST calls with retries; a crashed holder blocks the match no longer than this. */
export const LEASE_MS = 30_000;

export function storedFields(m: Mapping): EventFields | null {
  if (m.name === null || m.start_at === null || m.end_at === null) return null;
  return { name: m.name, description: m.description ?? "", location: m.location ?? "", start_at: m.start_at, end_at: m.end_at };
}

/** Takes the match's lease (creating its row); null when another invocation holds it. */
export async function acquireLease(db: D1Database, guildId: string, matchId: number, owner: string, now: number): Promise<Mapping | null> {
  return db
    .prepare(
      `INSERT INTO match_events (match_id, guild_id, lease_owner, lease_until, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 0)
       ON CONFLICT (match_id) DO UPDATE SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
       WHERE match_events.guild_id = excluded.guild_id AND (match_events.lease_until IS NULL OR match_events.lease_until < ?5)
       RETURNING *`,
    )
    .bind(matchId, guildId, owner, now + LEASE_MS, now)
    .first<Mapping>();
}

export async function readMapping(db: D1Database, guildId: string, matchId: number): Promise<Mapping | null> {
  return db.prepare("SELECT * FROM match_events WHERE guild_id = ? AND match_id = ?").bind(guildId, matchId).first<Mapping>();
}

export async function mappingsOf(db: D1Database, guildId: string): Promise<Mapping[]> {
  return (await db.prepare("SELECT * FROM match_events WHERE guild_id = ?").bind(guildId).all<Mapping>()).results;
}

export async function mappingByEvent(db: D1Database, guildId: string, eventId: string): Promise<Mapping | null> {
  return db.prepare("SELECT * FROM match_events WHERE guild_id = ? AND scheduled_event_id = ?").bind(guildId, eventId).first<Mapping>();
}

export interface Outcome {
  eventId: string | null;
  fields: EventFields | null;
  slug: string | null;
  revision: number;
  error: string | null;
  status?: number | null;
}

const OUTCOME_SET = `scheduled_event_id = ?1, event_slug = ?2, name = ?3, description = ?4, location = ?5, start_at = ?6, end_at = ?7,
  event_status = CASE WHEN ?1 IS NULL THEN NULL WHEN ?8 IS NOT NULL THEN ?8 ELSE event_status END, synced_revision = ?9, last_error = ?10,
  updated_at = ?11, create_nonce = NULL, create_started_at = NULL`;

function outcomeValues(o: Outcome, now: number): unknown[] {
  const f = o.fields;
  return [
    o.eventId,
    o.slug,
    f?.name ?? null,
    f?.description ?? null,
    f?.location ?? null,
    f?.start_at ?? null,
    f?.end_at ?? null,
    o.status ?? null,
    o.revision,
    o.error,
    now,
  ];
}

/** Stores what Discord now has for the match (or that it has nothing), under the lease; false: the lease is lost. */
export async function recordOutcome(db: D1Database, owner: string, matchId: number, o: Outcome, now: number): Promise<boolean> {
  const r = await db
    .prepare(`UPDATE match_events SET ${OUTCOME_SET}, lease_until = ?12 WHERE match_id = ?13 AND lease_owner = ?14`)
    .bind(...outcomeValues(o, now), now + LEASE_MS, matchId, owner)
    .run();
  return r.meta.changes > 0;
}

/**
 * A create that lost its lease records its event anyway when nothing happened to the match since its intent
 * (the nonce is still its own, so no other create began and no outcome was recorded) and nobody holds it now.
 */
export async function recordOrphan(db: D1Database, nonce: string, matchId: number, o: Outcome, now: number): Promise<boolean> {
  const r = await db
    .prepare(`UPDATE match_events SET ${OUTCOME_SET} WHERE match_id = ?12 AND create_nonce = ?13 AND (lease_until IS NULL OR lease_until < ?11)`)
    .bind(...outcomeValues(o, now), matchId, nonce)
    .run();
  return r.meta.changes > 0;
}

/** The intent, written before the POST under the lease (renewing it); false: the lease is lost. */
export async function beginCreate(db: D1Database, owner: string, matchId: number, nonce: string, now: number): Promise<boolean> {
  const r = await db
    .prepare("UPDATE match_events SET create_nonce = ?, create_started_at = ?, lease_until = ? WHERE match_id = ? AND lease_owner = ?")
    .bind(nonce, now, now + LEASE_MS, matchId, owner)
    .run();
  return r.meta.changes > 0;
}

/** Extends the lease before a Discord call (compare-and-set on the holder's token); false: another invocation took it. */
export async function renewLease(db: D1Database, owner: string, matchId: number, now: number): Promise<boolean> {
  const r = await db
    .prepare("UPDATE match_events SET lease_until = ? WHERE match_id = ? AND lease_owner = ?")
    .bind(now + LEASE_MS, matchId, owner)
    .run();
  return r.meta.changes > 0;
}

/** After a PATCH: stores the fields sent (and only those) and the revision handled. */
export async function recordPatch(
  db: D1Database,
  owner: string,
  matchId: number,
  changed: readonly (keyof EventFields)[],
  fields: EventFields,
  revision: number,
  status: number | null,
  now: number,
): Promise<boolean> {
  const cols = changed.filter((k) => FIELD_NAMES.includes(k));
  const r = await db
    .prepare(
      `UPDATE match_events SET ${cols.map((c) => `${c} = ?, `).join("")}event_status = COALESCE(?, event_status), synced_revision = ?, last_error = NULL,
       updated_at = ?, lease_until = ? WHERE match_id = ? AND lease_owner = ?`,
    )
    .bind(...cols.map((c) => fields[c]), status, revision, now, now + LEASE_MS, matchId, owner)
    .run();
  return r.meta.changes > 0;
}

/**
 * The sync saw Discord differ from the stored copy while a live change held the match: the drifted
 * fields are marked unknown and the revision bumped, so the holder's next round sends them too.
 */
export async function markDrift(db: D1Database, guildId: string, matchId: number, fields: readonly (keyof EventFields)[]): Promise<void> {
  const cols = fields.filter((k) => FIELD_NAMES.includes(k));
  if (cols.length === 0) return;
  const unknown = (c: keyof EventFields) => (c === "start_at" || c === "end_at" ? `${c} = -1` : `${c} = char(0)`);
  await db.batch([
    db.prepare(`UPDATE match_events SET ${cols.map(unknown).join(", ")} WHERE guild_id = ? AND match_id = ?`).bind(guildId, matchId),
    db.prepare("UPDATE matches SET revision = revision + 1 WHERE guild_id = ? AND id = ?").bind(guildId, matchId),
  ]);
}

/** Marks the revision handled without touching the stored copy (nothing needed sending). */
export async function recordRevision(db: D1Database, owner: string, matchId: number, revision: number, error: string | null): Promise<boolean> {
  const r = await db
    .prepare("UPDATE match_events SET synced_revision = ?, last_error = ? WHERE match_id = ? AND lease_owner = ?")
    .bind(revision, error, matchId, owner)
    .run();
  return r.meta.changes > 0;
}

/**
 * Gives the lease back only if no change arrived meanwhile (the match's revision is the one handled);
 * a row with neither an event, an error nor a create in flight goes away. "again": the caller must run
 * again; "lost": another invocation holds the match now, so the caller stops.
 */
export async function releaseLease(db: D1Database, owner: string, matchId: number): Promise<"released" | "again" | "lost"> {
  const current = "synced_revision >= COALESCE((SELECT revision FROM matches WHERE id = ?1), 0)";
  const [removed, released, held] = await db.batch<{ held: number }>([
    db
      .prepare(
        `DELETE FROM match_events WHERE match_id = ?1 AND lease_owner = ?2 AND scheduled_event_id IS NULL AND last_error IS NULL AND create_nonce IS NULL AND ${current}`,
      )
      .bind(matchId, owner),
    db.prepare(`UPDATE match_events SET lease_owner = NULL, lease_until = NULL WHERE match_id = ?1 AND lease_owner = ?2 AND ${current}`).bind(matchId, owner),
    db.prepare("SELECT COUNT(*) AS held FROM match_events WHERE match_id = ?1 AND lease_owner = ?2").bind(matchId, owner),
  ]);
  if ((removed?.meta.changes ?? 0) + (released?.meta.changes ?? 0) > 0) return "released";
  return (held?.results[0]?.held ?? 0) > 0 ? "again" : "lost";
}

/** Lets go regardless (after an error or too many rounds); the hourly sync picks up whatever is left. */
export async function abandonLease(db: D1Database, owner: string, matchId: number, error?: string): Promise<void> {
  await db
    .prepare("UPDATE match_events SET lease_owner = NULL, lease_until = NULL, last_error = COALESCE(?, last_error) WHERE match_id = ? AND lease_owner = ?")
    .bind(error ?? null, matchId, owner)
    .run();
}

/** The gateway saw the event change status or vanish; ignored while a mirror holds the lease (it knows better). */
export async function noteEventState(db: D1Database, guildId: string, eventId: string, status: number | null, now: number): Promise<Mapping | null> {
  const gone = status === null || status > 2;
  return db
    .prepare(
      `UPDATE match_events SET event_status = ?1, scheduled_event_id = CASE WHEN ?2 THEN NULL ELSE scheduled_event_id END,
       name = CASE WHEN ?2 THEN NULL ELSE name END, start_at = CASE WHEN ?2 THEN NULL ELSE start_at END,
       updated_at = CASE WHEN ?2 THEN ?3 ELSE updated_at END
       WHERE guild_id = ?4 AND scheduled_event_id = ?5 AND (lease_until IS NULL OR lease_until < ?3) RETURNING *`,
    )
    .bind(status, gone ? 1 : 0, now, guildId, eventId)
    .first<Mapping>();
}

/** Drops a mapping whose event is gone and that needs none (sync), unless a mirror holds it. */
export async function forgetMapping(db: D1Database, guildId: string, matchId: number, now: number): Promise<void> {
  await db
    .prepare("DELETE FROM match_events WHERE guild_id = ? AND match_id = ? AND (lease_until IS NULL OR lease_until < ?)")
    .bind(guildId, matchId, now)
    .run();
}
