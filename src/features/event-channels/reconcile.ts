/** The hourly safety net: resume stale steps, and have the guild-events core list each set-up guild's events (it tells this feature). */
import { CRON } from "../../cron-triggers";
import type { CronJob } from "../../feature";
import { logger } from "../../log";
import { reconcileFromDiscord } from "../../scheduled-events";
import type { Services } from "../../services";
import { queueCleanup, ref, timerOf } from "./timeline";

/** A step left `creating` or `ending` for an hour gave up (a long outage, a permission fixed since): run it again. */
const STALE_MS = 60 * 60_000;
const STALE_PER_RUN = 200;

async function resumeStale(s: Services): Promise<void> {
  const rows = await s.env.DB.prepare(
    "SELECT guild_id, event_id, state FROM event_channel_events WHERE state IN ('creating', 'ending') AND updated_at < ? LIMIT ?",
  )
    .bind(s.now() - STALE_MS, STALE_PER_RUN)
    .all<{ guild_id: string; event_id: string; state: string }>();
  for (const r of rows.results) {
    if (r.state === "ending") await queueCleanup(s, r, "ended");
    else await timerOf(s, r).schedule("create", s.now(), "ec.create", ref(r));
    logger.info("event_channels.stale_resumed", { guild_id: r.guild_id, event_id: r.event_id, state: r.state });
  }
}

/** A live event whose role was deleted by hand, when the dispatch's handling stopped before the restore was planned. */
async function restoreLostRoles(s: Services): Promise<void> {
  const rows = await s.env.DB.prepare(
    "SELECT guild_id, event_id FROM event_channel_events WHERE state = 'live' AND role_id IS NULL AND role_created = 1 AND (text_id IS NOT NULL OR voice_ids != '[]') LIMIT ?",
  )
    .bind(STALE_PER_RUN)
    .all<{ guild_id: string; event_id: string }>();
  for (const r of rows.results) await timerOf(s, r).schedule("restore-role", s.now(), "ec.restore_role", ref(r));
}

export const reconcileEvents: CronJob = {
  name: "event_channels.reconcile",
  cron: CRON.hourly,
  async run(s) {
    await resumeStale(s);
    await restoreLostRoles(s);
    const guilds = await s.env.DB.prepare(
      "SELECT guild_id FROM event_channel_settings WHERE json_extract(settings, '$.category_id') IS NOT NULL ORDER BY guild_id",
    ).all<{ guild_id: string }>();
    // At most one list per guild per hour, whoever asks (the core also lists the guilds the bot is in).
    for (const { guild_id } of guilds.results) await reconcileFromDiscord(s, guild_id);
  },
};
