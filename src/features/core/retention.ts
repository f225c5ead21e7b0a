/**
 * Data retention on per-guild timers (`ret:{guild}`): a daily run that prunes every feature's old rows and
 * re-arms itself at the guild's slot, and a purge of everything 7 days after the bot was removed (cancelled if
 * it comes back). The daily cron trims rows of no guild and fans out to arm the timers that are missing.
 */
import { CRON } from "../../cron-triggers";
import { guildFanOut } from "../../fan-out";
import type { CronJob, TimerAction } from "../../feature";
import { markRetention } from "../../guild-settings";
import { logger } from "../../log";
import { BATCH_ROWS, deleteBatch, inOrder, type Pruned, purgeTables } from "../../retention/batch";
import { DAY_MS, type RetentionPolicy } from "../../retention/policy";
import { nextSlot, pruneGuild, purgeGuild } from "../../retention/run";
import type { Services } from "../../services";
import { guildPayload } from "../../timers/payloads";

export const retentionTimer = (guildId: string) => `ret:${guildId}`;
/** Days between the bot's removal and the purge of the guild's data. */
export const PURGE_AFTER_DAYS = 7;
export const EVENT_LOG_DAYS = 30;
const TIMER_ROWS_DAYS = 30;
/** A user's DM channel id not stored again for this long is dropped; the next DM re-opens it with one call. */
export const DM_CHANNEL_DAYS = 180;
/** A run that hit a batch limit continues this soon. */
const CONTINUE_MS = 1000;

export async function armRetention(s: Services, guildId: string): Promise<void> {
  await s.timer(retentionTimer(guildId)).schedule("daily", nextSlot(guildId, s.now()), "retention.daily", { guild_id: guildId });
}

export async function schedulePurge(s: Services, guildId: string, leftAt: number): Promise<void> {
  await s.timer(retentionTimer(guildId)).schedule("purge", leftAt + PURGE_AFTER_DAYS * DAY_MS, "retention.purge", { guild_id: guildId });
}

export async function cancelPurge(s: Services, guildId: string): Promise<void> {
  await s.timer(retentionTimer(guildId)).cancel("purge");
}

const guildRow = (db: D1Database, guildId: string) =>
  db.prepare("SELECT left_at FROM guilds WHERE guild_id = ?").bind(guildId).first<{ left_at: number | null }>();

const daily: TimerAction<"retention.daily"> = {
  kind: "retention.daily",
  payload: guildPayload,
  async run(item, { services: s, now }) {
    const { guild_id } = item.payload;
    const row = await guildRow(s.env.DB, guild_id);
    if (!row || row.left_at !== null) return; // gone, or left: the purge takes over (and a rejoin re-arms this)
    const r = await pruneGuild(s.retention, s.env.DB, guild_id, now);
    if (r.more) return { again: { dueAt: now + CONTINUE_MS } };
    await markRetention(s.env.DB, [guild_id], now);
    return { again: { dueAt: nextSlot(guild_id, now) } };
  },
};

const purge: TimerAction<"retention.purge"> = {
  kind: "retention.purge",
  payload: guildPayload,
  async run(item, { services: s, now }) {
    const { guild_id } = item.payload;
    const row = await guildRow(s.env.DB, guild_id);
    // Back in the guild (its cancel may have raced this run), or already purged: nothing to do.
    if (!row || row.left_at === null) return;
    const due = row.left_at + PURGE_AFTER_DAYS * DAY_MS;
    if (now < due) return { again: { dueAt: due } };
    const r = await purgeGuild(s.retention, s.env.DB, guild_id);
    if (r.more) return { again: { dueAt: now + CONTINUE_MS } };
    return undefined;
  },
};

export const retentionTimerKinds: TimerAction[] = [daily, purge];

/** The core's own rows: the event log (30 days), and on purge the guild's timer rows, settings and row. */
export const coreRetention: RetentionPolicy = {
  name: "core",
  last: true,
  retention: (db, guildId, now, limit) => deleteBatch(db, "event_log", "guild_id = ? AND occurred_at < ?", [guildId, now - EVENT_LOG_DAYS * DAY_MS], limit),
  purgeGuild: (db, guildId, limit) =>
    purgeTables(db, guildId, ["event_log", "timers", "audit_cursor", "webhooks", "calendar_tokens", "bot_guild_permissions", "guilds"], limit),
};

/** Rows that belong to no guild: bounded deletes, not per-guild work. */
async function trimGlobal(db: D1Database, now: number): Promise<Pruned> {
  return inOrder([
    () => deleteBatch(db, "event_log", "guild_id IS NULL AND occurred_at < ?", [now - EVENT_LOG_DAYS * DAY_MS], BATCH_ROWS * 10),
    // Rows of idle timers from before idle timers dropped their row.
    () => deleteBatch(db, "timers", "pending = 0 AND updated_at < ?", [now - TIMER_ROWS_DAYS * DAY_MS], BATCH_ROWS * 10),
    // Jobs that no longer exist, and relays of an old shard layout.
    () => deleteBatch(db, "cron_runs", "last_started_at < ?", [now - 30 * DAY_MS]),
    () => deleteBatch(db, "gateway_relays", "connected_at < ?", [now - 30 * DAY_MS]),
    // Users' DM channel ids (user-keyed, so no guild's prune or purge reaches them).
    () => deleteBatch(db, "dm_channels", "updated_at < ?", [now - DM_CHANNEL_DAYS * DAY_MS], BATCH_ROWS * 10),
  ]);
}

/** Daily: guilds whose timer never ran or went quiet (a new deployment, a lost timer) get it armed; the timers do the work. */
export const retentionCron: CronJob = guildFanOut({
  name: "retention.arm",
  cron: CRON.daily,
  global: async (s, round) => {
    const trimmed = await trimGlobal(s.env.DB, round);
    logger.info("retention.trimmed", { trimmed: trimmed.deleted });
  },
  page: async (s, after, limit, round) =>
    (
      await s.env.DB.prepare("SELECT guild_id, left_at FROM guilds WHERE guild_id > ? AND (retention_at IS NULL OR retention_at < ?) ORDER BY guild_id LIMIT ?")
        .bind(after, round - 2 * DAY_MS, limit)
        .all<{ guild_id: string; left_at: number | null }>()
    ).results,
  // The guild's own slot (or its purge date), not the fan-out's: the daily run keeps its time of day.
  enqueue: async (s, r, _dueAt, round) => {
    if (r.left_at !== null) await schedulePurge(s, r.guild_id, r.left_at);
    else await armRetention(s, r.guild_id);
    await markRetention(s.env.DB, [r.guild_id], round);
  },
});
