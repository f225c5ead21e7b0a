/** Bounded deletes for retention: every statement removes at most `limit` rows (D1 statement limits), and says if more remain. */

export interface Pruned {
  deleted: number;
  /** Some statement hit its limit: run again. */
  more: boolean;
}

export const NOTHING: Pruned = { deleted: 0, more: false };

/** At most this many rows per statement. */
export const BATCH_ROWS = 500;

/**
 * `DELETE FROM table WHERE <where> LIMIT n`, written the way SQLite allows (by rowid). `table` and `where` are
 * constants of the calling feature; values go in `binds`.
 */
export async function deleteBatch(db: D1Database, table: string, where: string, binds: readonly unknown[], limit = BATCH_ROWS): Promise<Pruned> {
  const r = await db
    .prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ?)`)
    .bind(...binds, limit)
    .run();
  const deleted = r.meta.changes ?? 0;
  return { deleted, more: deleted >= limit };
}

/** Runs deletes one after another (order matters: children before parents) and adds them up. */
export async function inOrder(steps: readonly (() => Promise<Pruned>)[]): Promise<Pruned> {
  const total = { deleted: 0, more: false };
  for (const step of steps) {
    const r = await step();
    total.deleted += r.deleted;
    total.more ||= r.more;
  }
  return total;
}

/** A guild's rows in `tables`, in the given order (children first); stops at a table with more, so a parent never goes before its children. */
export async function purgeTables(db: D1Database, guildId: string, tables: readonly string[], limit = BATCH_ROWS): Promise<Pruned> {
  let deleted = 0;
  for (const t of tables) {
    const r = await deleteBatch(db, t, "guild_id = ?", [guildId], limit);
    deleted += r.deleted;
    if (r.more) return { deleted, more: true };
  }
  return { deleted, more: false };
}
