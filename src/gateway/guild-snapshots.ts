/**
 * GUILD_CREATEs waiting for their reconciliation, kept off the relay's dispatch path: a reconnect's thousands of
 * them are set aside here (the newest per guild) as their frames arrive, reconciled one at a time when no dispatch
 * waits, and a guild's own snapshot is always reconciled before any later dispatch of that guild, so each guild still
 * sees its dispatches in order while other guilds' dispatches no longer wait behind the storm.
 */
import { logger } from "../log";
import type { DispatchMeta } from "./handlers";
import type { Inbox, InboxRow } from "./inbox";
import { MAX_DISPATCH_ATTEMPTS, retryDelayMs } from "./inbox-policy";
import { DEFERRED_BY_GUILD } from "./protocol";
import { ensureColumn } from "./sql-columns";

/**
 * Guilds reconciled side by side while no dispatch waits. One: eight at once made the test runtime drop its outbound
 * connections under a 500-guild storm, and one at a time already keeps live dispatches within a reconcile's time.
 */
export const SNAPSHOT_BATCH = 1;

export interface Snapshot {
  guild_id: string;
  /**
   * Its place in the order of the queue: the newest inbox entry when its frame arrived (dispatches with a higher id
   * came after it). Snapshots set aside through the queue before this was so carry their own entry's id.
   */
  entry_id: number;
  /** Bumped whenever a newer GUILD_CREATE replaces it, so finishing an older one never removes the newer. */
  version: number;
  payload: string;
  received_at: number;
  attempts: number;
  /** Handlers that already succeeded for this snapshot. */
  done: string[];
}

type Raw = Omit<Snapshot, "done"> & { done: string };
const toSnapshot = (r: Raw | undefined): Snapshot | null => (r ? { ...r, done: JSON.parse(r.done) as string[] } : null);

type Outcome = { done: string[]; failed: string[] };
/** Runs the handlers of a stored dispatch except `skip`; reports which failed (the relay's handler runner). */
export type RunPayload = (payload: string, skip: ReadonlySet<string>, meta: DispatchMeta) => Promise<Outcome>;

export class GuildSnapshots {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS guild_snapshots (
      guild_id TEXT PRIMARY KEY, entry_id INTEGER NOT NULL, payload TEXT NOT NULL, received_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, done TEXT NOT NULL DEFAULT '[]', next_at INTEGER NOT NULL DEFAULT 0)`);
    sql.exec("CREATE INDEX IF NOT EXISTS guild_snapshots_next ON guild_snapshots (next_at, entry_id)");
    ensureColumn(sql, "guild_snapshots", "version", "INTEGER NOT NULL DEFAULT 0");
  }

  /**
   * Whether a GUILD_CREATE of the guild must go through the queue after all: an older one must still be reconciled
   * before dispatches of the guild that are waiting (set aside, this one would replace it first), or is itself
   * still queued.
   */
  mustQueue(guildId: string, inbox: Pick<Inbox, "hasGuildEntry">): boolean {
    const older = this.sql.exec<{ entry_id: number }>("SELECT entry_id FROM guild_snapshots WHERE guild_id = ?", guildId).toArray()[0]?.entry_id;
    return (older !== undefined && inbox.hasGuildEntry(guildId, { after: older })) || inbox.hasGuildEntry(guildId, { t: DEFERRED_BY_GUILD });
  }

  /**
   * Sets a GUILD_CREATE aside as its frame arrives, in the relay's transaction with the resume seq: the dispatch
   * path never sees it. `after` is the newest inbox entry's id at that moment. It replaces the guild's older
   * snapshot, if any: each GUILD_CREATE is the guild's whole state, and frames arrive in order.
   */
  setAside(guildId: string, payload: string, after: number, receivedAt: number): void {
    this.upsert(guildId, after, payload, receivedAt, "");
  }

  /** A GUILD_CREATE queued in the inbox before frames were set aside on arrival: replaces only an older snapshot. */
  private defer(guildId: string, row: InboxRow): void {
    this.upsert(guildId, row.id, row.payload, row.received_at, "WHERE excluded.entry_id > guild_snapshots.entry_id");
  }

  private upsert(guildId: string, entryId: number, payload: string, receivedAt: number, when: string): void {
    this.sql.exec(
      `INSERT INTO guild_snapshots (guild_id, entry_id, payload, received_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (guild_id) DO UPDATE SET entry_id = excluded.entry_id, payload = excluded.payload, received_at = excluded.received_at,
         attempts = 0, done = '[]', next_at = 0, version = guild_snapshots.version + 1 ${when}`,
      guildId,
      entryId,
      payload,
      receivedAt,
    );
  }

  /**
   * A queued dispatch on the dispatch path: a GUILD_CREATE is set aside (O(1)); any other dispatch of a guild first
   * has that guild's earlier snapshot reconciled, so the guild's dispatches stay in order (a failure there holds
   * this one, as it would have waited behind the GUILD_CREATE in the queue).
   */
  async dispatch(row: InboxRow, run: RunPayload, now: number): Promise<Outcome> {
    const guild = row.guild_id ?? null;
    if (guild && row.t === DEFERRED_BY_GUILD) {
      this.defer(guild, row);
      return { done: [], failed: [] };
    }
    if (guild && !(await this.before(guild, row.id, run, now))) return { done: row.done, failed: [DEFERRED_BY_GUILD] };
    return run(row.payload, new Set(row.done), { received_at: row.received_at });
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM guild_snapshots").one().n;
  }

  /**
   * Before a dispatch of `guildId` that came after its GUILD_CREATE: reconciles that snapshot first. False when
   * it failed (the dispatch must wait, as it would have behind the GUILD_CREATE in the queue).
   */
  private async before(guildId: string, entryId: number, run: RunPayload, now: number): Promise<boolean> {
    const snap = toSnapshot(this.sql.exec<Raw>("SELECT * FROM guild_snapshots WHERE guild_id = ?", guildId).toArray()[0]);
    // A snapshot whose place is at or after this entry arrived after it (the entry was queued already).
    if (!snap || snap.entry_id >= entryId) return true;
    return this.reconcile(snap, run, now);
  }

  /**
   * Reconciles the oldest snapshots not waiting for a retry (`batch` guilds side by side); false when there are
   * none. A dispatch arriving meanwhile waits for this batch only.
   */
  async next(run: RunPayload, now: number, batch = SNAPSHOT_BATCH): Promise<boolean> {
    const raws = this.sql.exec<Raw>("SELECT * FROM guild_snapshots WHERE next_at <= ? ORDER BY entry_id, received_at LIMIT ?", now, batch).toArray();
    if (!raws.length) return false;
    await Promise.all(raws.map((r) => this.reconcile(toSnapshot(r) as Snapshot, run, now)));
    return true;
  }

  private async reconcile(snap: Snapshot, run: RunPayload, now: number): Promise<boolean> {
    // Its received time goes with it: reconciled later, it must not undo what newer dispatches or lists recorded.
    const outcome = await run(snap.payload, new Set(snap.done), { received_at: snap.received_at });
    // Only this snapshot: a newer GUILD_CREATE that arrived meanwhile stays for its own turn.
    const same = "guild_id = ? AND entry_id = ? AND version = ?";
    if (outcome.failed.length === 0) {
      this.sql.exec(`DELETE FROM guild_snapshots WHERE ${same}`, snap.guild_id, snap.entry_id, snap.version);
      return true;
    }
    const attempts = snap.attempts + 1;
    if (attempts >= MAX_DISPATCH_ATTEMPTS) {
      logger.error("gateway.guild_reconcile_gave_up", { guild_id: snap.guild_id, attempts, handlers: outcome.failed });
      this.sql.exec(`DELETE FROM guild_snapshots WHERE ${same}`, snap.guild_id, snap.entry_id, snap.version);
      return true;
    }
    this.sql.exec(
      `UPDATE guild_snapshots SET attempts = ?, done = ?, next_at = ? WHERE ${same}`,
      attempts,
      JSON.stringify(outcome.done),
      now + retryDelayMs(attempts),
      snap.guild_id,
      snap.entry_id,
      snap.version,
    );
    logger.warn("gateway.guild_reconcile_retry", { guild_id: snap.guild_id, attempts, handlers: outcome.failed });
    return false;
  }
}
