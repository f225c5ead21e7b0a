/** Each guild's last match → event sync and any standing permission warning, as `/tournament status` shows them. */
import { logger } from "../../log";
import type { Services } from "../../services";

export interface SyncResult {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  over_limit: number;
  failed: number;
  /** REST calls the sync made (list included). */
  calls: number;
  /** Writes left for the next run (a run's write budget was spent). */
  remaining?: number;
  /** The REST budget was full: the next run is at this time (epoch ms). */
  retry_at?: number;
  error?: string;
}

export interface SyncStatus {
  last_sync_at: number | null;
  result: SyncResult | null;
  permission_warning: string | null;
}

export async function readSyncStatus(db: D1Database, guildId: string): Promise<SyncStatus> {
  const r = await db
    .prepare("SELECT last_sync_at, result, permission_warning FROM tournament_sync WHERE guild_id = ?")
    .bind(guildId)
    .first<{ last_sync_at: number | null; result: string | null; permission_warning: string | null }>();
  return {
    last_sync_at: r?.last_sync_at ?? null,
    result: r?.result ? (JSON.parse(r.result) as SyncResult) : null,
    permission_warning: r?.permission_warning ?? null,
  };
}

export async function recordSync(db: D1Database, guildId: string, result: SyncResult, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO tournament_sync (guild_id, last_sync_at, result, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (guild_id) DO UPDATE SET last_sync_at = excluded.last_sync_at, result = excluded.result, updated_at = excluded.updated_at`,
    )
    .bind(guildId, now, JSON.stringify(result), now)
    .run();
}

/**
 * Sets or clears the guild's permission warning. Only a change of state is written, logged and
 * emitted, so a missing permission produces one message however many matches hit it.
 */
export async function setPermissionWarning(s: Services, guildId: string, warning: string | null): Promise<void> {
  const db = s.env.DB;
  const now = s.now();
  if (warning === null) {
    const cleared = await db
      .prepare("UPDATE tournament_sync SET permission_warning = NULL, updated_at = ? WHERE guild_id = ? AND permission_warning IS NOT NULL RETURNING guild_id")
      .bind(now, guildId)
      .first();
    if (cleared) logger.info("tournaments.permission_restored", { guild_id: guildId });
    return;
  }
  const changed = await db
    .prepare(
      `INSERT INTO tournament_sync (guild_id, permission_warning, updated_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (guild_id) DO UPDATE SET permission_warning = ?2, updated_at = ?3 WHERE permission_warning IS NULL RETURNING guild_id`,
    )
    .bind(guildId, warning, now)
    .first();
  if (!changed) return;
  logger.warn("tournaments.permission_missing", { guild_id: guildId, warning });
  await s.bus.emit("tournament.permission_missing", { warning }, { guildId });
}
