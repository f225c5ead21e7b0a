/**
 * The hourly safety net: each set-up guild's scheduled events are listed on the guild's own timer (`ecr:{guild}`)
 * and any the gateway did not deliver are followed; the cron itself only resumes stale steps and starts the fan-out.
 */
import type { APIGuildScheduledEvent } from "discord-api-types/v10";
import { Routes } from "discord-api-types/v10";
import { DiscordApiError } from "../../discord/errors";
import { guildFanOut } from "../../fan-out";
import type { CronJob, TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { followEvent } from "./gateway";
import { readSettings } from "./settings";
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

export const reconcileTimer = (guildId: string) => `ecr:${guildId}`;

/** One guild: its scheduled events as Discord lists them now, each followed (a background call of the REST budget). */
const reconcileGuild: TimerAction = {
  kind: "ec.reconcile",
  lane: "background",
  async run(item, { services: s }) {
    const { guild_id } = item.payload as { guild_id: string };
    if (!(await readSettings(s.env.DB, guild_id))?.category_id) return; // turned off since the fan-out
    try {
      const events = await s.discord.get<APIGuildScheduledEvent[]>(Routes.guildScheduledEvents(guild_id));
      for (const ev of events) await followEvent(s, ev);
    } catch (error) {
      // A guild the bot left (or lost access to): nothing to reconcile until it is back.
      if (!(error instanceof DiscordApiError) || error.transient) throw error;
      logger.warn("event_channels.reconcile_failed", { guild_id, error });
    }
  },
};

export const reconcileEvents: CronJob = guildFanOut({
  name: "event_channels.reconcile",
  cron: "0 * * * *",
  global: (s) => resumeStale(s),
  page: async (s, after, limit) =>
    (
      await s.env.DB.prepare(
        "SELECT guild_id FROM event_channel_settings WHERE guild_id > ? AND json_extract(settings, '$.category_id') IS NOT NULL ORDER BY guild_id LIMIT ?",
      )
        .bind(after, limit)
        .all<{ guild_id: string }>()
    ).results,
  enqueue: (s, { guild_id }, dueAt) => s.timer(reconcileTimer(guild_id)).schedule("reconcile", dueAt, "ec.reconcile", { guild_id }),
  guildKinds: [reconcileGuild],
});
