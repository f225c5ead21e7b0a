/** D1 record of the members the bot gave an event's role to: the grant's intent before the PUT, confirmed after it. */

export interface Holder {
  user_id: string;
  /** Discord answered the PUT (0: the call was about to be made, or its answer was lost). */
  granted: boolean;
}

const MAX_BINDS = 90;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BINDS) out.push(items.slice(i, i + MAX_BINDS));
  return out;
}

/** Members about to be given the role (a member already recorded keeps what is known of them). */
export async function intendGrants(db: D1Database, guildId: string, eventId: string, userIds: readonly string[]): Promise<void> {
  const stmts = userIds.map((u) =>
    db.prepare("INSERT OR IGNORE INTO event_channel_holders (guild_id, event_id, user_id) VALUES (?, ?, ?)").bind(guildId, eventId, u),
  );
  for (const part of chunks(stmts)) await db.batch(part);
}

export async function confirmGrants(db: D1Database, guildId: string, eventId: string, userIds: readonly string[]): Promise<void> {
  for (const part of chunks(userIds)) {
    await db
      .prepare(`UPDATE event_channel_holders SET granted = 1 WHERE guild_id = ? AND event_id = ? AND user_id IN (${part.map(() => "?").join(", ")})`)
      .bind(guildId, eventId, ...part)
      .run();
  }
}

export async function forgetHolders(db: D1Database, guildId: string, eventId: string, userIds?: readonly string[]): Promise<void> {
  if (!userIds) {
    await db.prepare("DELETE FROM event_channel_holders WHERE guild_id = ? AND event_id = ?").bind(guildId, eventId).run();
    return;
  }
  for (const part of chunks(userIds)) {
    await db
      .prepare(`DELETE FROM event_channel_holders WHERE guild_id = ? AND event_id = ? AND user_id IN (${part.map(() => "?").join(", ")})`)
      .bind(guildId, eventId, ...part)
      .run();
  }
}

/** The record's role was made again: every recorded holder is to be given it again (an ended occurrence's members). */
export async function ungrantAll(db: D1Database, guildId: string, eventId: string): Promise<void> {
  await db.prepare("UPDATE event_channel_holders SET granted = 0 WHERE guild_id = ? AND event_id = ?").bind(guildId, eventId).run();
}

/** A page of the record's holders after `after` (by user id), for grants that follow the holders instead of Interested. */
export async function holdersPage(db: D1Database, guildId: string, eventId: string, after: string | null, limit = 100): Promise<string[]> {
  const rows = await db
    .prepare("SELECT user_id FROM event_channel_holders WHERE guild_id = ? AND event_id = ? AND user_id > ? ORDER BY user_id LIMIT ?")
    .bind(guildId, eventId, after ?? "", limit)
    .all<{ user_id: string }>();
  return rows.results.map((r) => r.user_id);
}

export async function listHolders(db: D1Database, guildId: string, eventId: string): Promise<Holder[]> {
  const rows = await db
    .prepare("SELECT user_id, granted FROM event_channel_holders WHERE guild_id = ? AND event_id = ? ORDER BY user_id")
    .bind(guildId, eventId)
    .all<{ user_id: string; granted: number }>();
  return rows.results.map((r) => ({ user_id: r.user_id, granted: r.granted === 1 }));
}

/** Which of `userIds` hold the role for sure (Discord answered their grant). */
export async function grantedAmong(db: D1Database, guildId: string, eventId: string, userIds: readonly string[]): Promise<Set<string>> {
  const held = new Set<string>();
  for (const part of chunks(userIds)) {
    const rows = await db
      .prepare(
        `SELECT user_id FROM event_channel_holders WHERE guild_id = ? AND event_id = ? AND granted = 1 AND user_id IN (${part.map(() => "?").join(", ")})`,
      )
      .bind(guildId, eventId, ...part)
      .all<{ user_id: string }>();
    for (const r of rows.results) held.add(r.user_id);
  }
  return held;
}

/** An ended occurrence's holders go with its role to the occurrence's own record; the next occurrence starts with none. */
export async function moveHolders(db: D1Database, guildId: string, fromEventId: string, toEventId: string): Promise<void> {
  await db.prepare("UPDATE OR REPLACE event_channel_holders SET event_id = ? WHERE guild_id = ? AND event_id = ?").bind(toEventId, guildId, fromEventId).run();
}
