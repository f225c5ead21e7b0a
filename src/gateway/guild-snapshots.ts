/**
 * GUILD_CREATEs waiting for their reconciliation, kept off the relay's dispatch path: a reconnect's thousands of
 * them are set aside here (the newest per guild) in O(1) each, reconciled one at a time when no dispatch waits,
 * and a guild's own snapshot is always reconciled before any later dispatch of that guild, so each guild still
 * sees its dispatches in order while other guilds' dispatches no longer wait behind the storm.
 */
import { logger } from "../log";
import type { InboxRow } from "./inbox";
import { MAX_DISPATCH_ATTEMPTS, retryDelayMs } from "./inbox-policy";

/** Guilds reconciled side by side while no dispatch waits. */
export const SNAPSHOT_BATCH = 1;

export interface Snapshot {
  guild_id: string;
  /** The inbox entry it came from (its place in the order of the guild's dispatches). */
  entry_id: number;
  payload: string;
  received_at: number;
  attempts: number;
  /** Handlers that already succeeded for this snapshot. */
  done: string[];
}

type Raw = Omit<Snapshot, "done"> & { done: string };
const toSnapshot = (r: Raw | undefined): Snapshot | null => (r ? { ...r, done: JSON.parse(r.done) as string[] } : null);

/** Runs a snapshot's handlers except `skip`; reports which failed (the relay's handler runner). */
export type RunSnapshot = (snapshot: Snapshot, skip: ReadonlySet<string>) => Promise<{ done: string[]; failed: string[] }>;

export class GuildSnapshots {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS guild_snapshots (
      guild_id TEXT PRIMARY KEY, entry_id INTEGER NOT NULL, payload TEXT NOT NULL, received_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, done TEXT NOT NULL DEFAULT '[]', next_at INTEGER NOT NULL DEFAULT 0)`);
    sql.exec("CREATE INDEX IF NOT EXISTS guild_snapshots_next ON guild_snapshots (next_at, entry_id)");
  }

  /** Sets a GUILD_CREATE aside; a newer one of the same guild replaces it (each is the guild's whole state). */
  defer(guildId: string, row: InboxRow): void {
    this.sql.exec(
      `INSERT INTO guild_snapshots (guild_id, entry_id, payload, received_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (guild_id) DO UPDATE SET entry_id = excluded.entry_id, payload = excluded.payload, received_at = excluded.received_at,
         attempts = 0, done = '[]', next_at = 0 WHERE excluded.entry_id > guild_snapshots.entry_id`,
      guildId,
      row.id,
      row.payload,
      row.received_at,
    );
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM guild_snapshots").one().n;
  }

  /**
   * Before a dispatch of `guildId` that came after its GUILD_CREATE: reconciles that snapshot first. False when
   * it failed (the dispatch must wait, as it would have behind the GUILD_CREATE in the queue).
   */
  async before(guildId: string, entryId: number, run: RunSnapshot, now: number): Promise<boolean> {
    const snap = toSnapshot(this.sql.exec<Raw>("SELECT * FROM guild_snapshots WHERE guild_id = ?", guildId).toArray()[0]);
    if (!snap || snap.entry_id > entryId) return true;
    return this.reconcile(snap, run, now);
  }

  /**
   * Reconciles the oldest snapshots not waiting for a retry, a few guilds side by side (each guild's handlers wait
   * on D1 and timers, not CPU); false when there are none. A dispatch arriving meanwhile waits for this batch only.
   */
  async next(run: RunSnapshot, now: number, batch = SNAPSHOT_BATCH): Promise<boolean> {
    const raws = this.sql.exec<Raw>("SELECT * FROM guild_snapshots WHERE next_at <= ? ORDER BY entry_id LIMIT ?", now, batch).toArray();
    if (!raws.length) return false;
    await Promise.all(raws.map((r) => this.reconcile(toSnapshot(r) as Snapshot, run, now)));
    return true;
  }

  private async reconcile(snap: Snapshot, run: RunSnapshot, now: number): Promise<boolean> {
    const outcome = await run(snap, new Set(snap.done));
    // Only this snapshot: a newer GUILD_CREATE that arrived meanwhile stays for its own turn.
    const same = "guild_id = ? AND entry_id = ?";
    if (outcome.failed.length === 0) {
      this.sql.exec(`DELETE FROM guild_snapshots WHERE ${same}`, snap.guild_id, snap.entry_id);
      return true;
    }
    const attempts = snap.attempts + 1;
    if (attempts >= MAX_DISPATCH_ATTEMPTS) {
      logger.error("gateway.guild_reconcile_gave_up", { guild_id: snap.guild_id, attempts, handlers: outcome.failed });
      this.sql.exec(`DELETE FROM guild_snapshots WHERE ${same}`, snap.guild_id, snap.entry_id);
      return true;
    }
    this.sql.exec(
      `UPDATE guild_snapshots SET attempts = ?, done = ?, next_at = ? WHERE ${same}`,
      attempts,
      JSON.stringify(outcome.done),
      now + retryDelayMs(attempts),
      snap.guild_id,
      snap.entry_id,
    );
    logger.warn("gateway.guild_reconcile_retry", { guild_id: snap.guild_id, attempts, handlers: outcome.failed });
    return false;
  }
}
