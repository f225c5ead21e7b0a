/** The relay's durable dispatch queue, in its own SQLite storage: appended on receipt, deleted once handled. */
import type { InboxSize } from "./inbox-policy";
import { ensureColumn } from "./sql-columns";

/** A queued dispatch, or a connection change (connected, disconnected, fatal) kept in order with them. */
export interface InboxEntry {
  kind: "dispatch" | "lifecycle";
  /** The dispatch name, or the lifecycle change. */
  t: string;
  /** The gateway sequence number (null for lifecycle entries). */
  s: number | null;
  payload: string;
  /** The guild a dispatch concerns (null for lifecycle entries and guild-less dispatches). */
  guild_id?: string | null;
}

export interface InboxRow extends InboxEntry {
  id: number;
  received_at: number;
  attempts: number;
  /** Handlers that already succeeded for this dispatch; a retry runs only the others. */
  done: string[];
}

type Raw = Omit<InboxRow, "done"> & { done: string };

export class Inbox {
  private size: InboxSize | null = null;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS inbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, t TEXT NOT NULL, s INTEGER, payload TEXT NOT NULL,
      bytes INTEGER NOT NULL, received_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, done TEXT NOT NULL DEFAULT '[]', guild_id TEXT)`);
    // Queues stored before the column existed get it (their rows have none: they are handled as before).
    ensureColumn(sql, "inbox", "guild_id", "TEXT");
    sql.exec("CREATE INDEX IF NOT EXISTS inbox_guild ON inbox (guild_id, id)");
  }

  /** Synchronous, so the caller can write it in the same transaction as the resume seq. */
  append(e: InboxEntry, now: number): void {
    const bytes = e.payload.length;
    this.sql.exec(
      "INSERT INTO inbox (kind, t, s, payload, bytes, received_at, guild_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
      e.kind,
      e.t,
      e.s,
      e.payload,
      bytes,
      now,
      e.guild_id ?? null,
    );
    const size = this.stats();
    size.rows++;
    size.bytes += bytes;
  }

  /** The oldest entry: the queue is handled strictly in arrival order. */
  oldest(): InboxRow | null {
    const r = this.sql.exec<Raw>("SELECT id, kind, t, s, payload, received_at, attempts, done, guild_id FROM inbox ORDER BY id LIMIT 1").toArray()[0];
    return r ? { ...r, done: JSON.parse(r.done) as string[] } : null;
  }

  /** Whether an entry of the guild is still waiting (queued after `after`; of kind `t`). */
  hasGuildEntry(guildId: string, only: { after?: number; t?: string }): boolean {
    const rows = this.sql.exec("SELECT 1 FROM inbox WHERE guild_id = ? AND id > ? AND t = COALESCE(?, t) LIMIT 1", guildId, only.after ?? 0, only.t ?? null);
    return rows.toArray().length > 0;
  }

  /** The newest entry's id (0 when empty): every entry appended later has a higher one (AUTOINCREMENT). */
  newestId(): number {
    return this.sql.exec<{ id: number }>("SELECT COALESCE(MAX(id), 0) AS id FROM inbox").one().id;
  }

  /** When the oldest waiting entry arrived (null when empty): how far behind the handlers are. */
  oldestReceivedAt(): number | null {
    return this.sql.exec<{ at: number }>("SELECT received_at AS at FROM inbox ORDER BY id LIMIT 1").toArray()[0]?.at ?? null;
  }

  remove(id: number): void {
    const gone = this.sql.exec<{ bytes: number }>("DELETE FROM inbox WHERE id = ? RETURNING bytes", id).toArray()[0];
    if (!gone) return;
    const size = this.stats();
    size.rows = Math.max(0, size.rows - 1);
    size.bytes = Math.max(0, size.bytes - gone.bytes);
  }

  /** Records a failed attempt and the handlers that did succeed. */
  failed(id: number, attempts: number, done: readonly string[]): void {
    this.sql.exec("UPDATE inbox SET attempts = ?, done = ? WHERE id = ?", attempts, JSON.stringify(done), id);
  }

  /** Rows and bytes held; counted once per object lifetime, then kept in step with every write. */
  stats(): InboxSize {
    this.size ??= this.sql
      .exec<{ rows: number; bytes: number | null }>("SELECT COUNT(*) AS rows, SUM(bytes) AS bytes FROM inbox")
      .toArray()
      .map((r) => ({
        rows: r.rows,
        bytes: r.bytes ?? 0,
      }))[0] ?? { rows: 0, bytes: 0 };
    return this.size;
  }
}
