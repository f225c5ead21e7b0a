/** Runs the features' retention policies for one guild: pruning by age, or purging a guild the bot left. */
import { logger } from "../log";
import { stableId } from "../util/hash";
import { BATCH_ROWS, type Pruned } from "./batch";
import type { RetentionPolicy } from "./policy";

/** Every feature prunes once per run; any that hit a batch limit makes the run continue (re-armed at once). */
export async function pruneGuild(policies: readonly RetentionPolicy[], db: D1Database, guildId: string, now: number, limit = BATCH_ROWS): Promise<Pruned> {
  const total = { deleted: 0, more: false };
  for (const p of policies) {
    if (!p.retention) continue;
    const r = await p.retention(db, guildId, now, limit);
    total.deleted += r.deleted;
    total.more ||= r.more;
  }
  if (total.deleted) logger.info("retention.pruned", { guild_id: guildId, deleted: total.deleted, more: total.more });
  return total;
}

/**
 * Purges one feature at a time, the core (the guild's own row) last, stopping at the first that has more:
 * an interrupted purge leaves the guild's row, so it is found and finished later.
 */
export async function purgeGuild(policies: readonly RetentionPolicy[], db: D1Database, guildId: string, limit = BATCH_ROWS): Promise<Pruned> {
  const ordered = [...policies.filter((p) => !p.last), ...policies.filter((p) => p.last)];
  let deleted = 0;
  for (const p of ordered) {
    const r = await p.purgeGuild(db, guildId, limit);
    deleted += r.deleted;
    if (r.more) return { deleted, more: true };
  }
  logger.info("retention.purged", { guild_id: guildId, deleted });
  return { deleted, more: false };
}

/** The guild's daily slot: a fixed time of day from its id, so 10,000 guilds' runs spread over the day. */
export function nextSlot(guildId: string, now: number): number {
  const h = Number.parseInt(stableId(`retention|${guildId}`).slice(-7), 36) % 86_400_000;
  const dayStart = now - (now % 86_400_000);
  const slot = dayStart + h;
  return slot > now ? slot : slot + 86_400_000;
}
