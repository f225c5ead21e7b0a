/**
 * The hourly safety net: each set-up guild's scheduled events are listed (by the guild-events core, which tells this
 * feature) on the guild's own timer (`ecr:{guild}`); the cron itself only resumes stale steps and starts the fan-out.
 */
import type * as z from "zod";
import { CRON } from "../../cron-triggers";
import { guildFanOut } from "../../fan-out";
import type { CronJob, TimerAction } from "../../feature";
import { logger } from "../../log";
import { reconcileFromDiscord } from "../../scheduled-events";
import type { Services } from "../../services";
import { guildPayload } from "../../timers/payloads";
import { readSettings } from "./settings";
import { queueCleanup, ref, timerOf } from "./timeline";

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "ec.reconcile": z.infer<typeof guildPayload>;
  }
}

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

export const reconcileTimer = (guildId: string) => `ecr:${guildId}`;

/** One guild: the core lists its events (at most once an hour, whoever asks) and tells this feature what it missed. */
const reconcileGuild: TimerAction<"ec.reconcile"> = {
  kind: "ec.reconcile",
  payload: guildPayload,
  lane: "background",
  async run(item, { services: s }) {
    const { guild_id } = item.payload;
    if (!(await readSettings(s.env.DB, guild_id))?.category_id) return; // turned off since the fan-out
    await reconcileFromDiscord(s, guild_id);
  },
};

export const reconcileEvents: CronJob = guildFanOut({
  name: "event_channels.reconcile",
  cron: CRON.hourly,
  global: async (s) => {
    await resumeStale(s);
    await restoreLostRoles(s);
  },
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
