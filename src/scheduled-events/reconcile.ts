/** Full looks at a guild's scheduled events (GUILD_CREATE, the hourly list): follow each, and catch deletions missed. */
import type { APIGuildScheduledEvent } from "discord-api-types/v10";
import type * as z from "zod";
import { CRON } from "../cron-triggers";
import { DiscordApiError } from "../discord/errors";
import { guildFanOut } from "../fan-out";
import type { CronJob, TimerAction } from "../feature";
import { logger } from "../log";
import type { Services } from "../services";
import { guildPayload } from "../timers/payloads";
import { observeDeleted, observeEvent } from "./follow";
import { activeEventIds } from "./storage";

/** When the guild's events were last listed from Discord (the list's as-of time), or null. */
async function listedAsOf(db: D1Database, guildId: string): Promise<number | null> {
  const r = await db.prepare("SELECT reconciled_at FROM scheduled_event_guilds WHERE guild_id = ?").bind(guildId).first<{ reconciled_at: number }>();
  return r?.reconciled_at ?? null;
}

/**
 * `events` is every scheduled event the guild has (Discord's list, or GUILD_CREATE's) as of `asOf`: an event the
 * mirror recorded after that (a dispatch handled while the list was in flight) is not taken as deleted, nor taken
 * back to this older description. A look older than the guild's last full list is ignored whole: the list already
 * said everything it could, and it would bring back events deleted since (the mirror keeps no trace of an event it
 * never knew).
 */
export async function reconcileGuild(s: Services, guildId: string, events: readonly APIGuildScheduledEvent[], asOf = s.now()): Promise<void> {
  const listed = await listedAsOf(s.env.DB, guildId);
  if (listed !== null && listed > asOf) {
    logger.info("scheduled_events.older_look", { guild_id: guildId, as_of: asOf, listed_as_of: listed });
    return;
  }
  const seen = new Set(events.map((e) => e.id));
  // One event whose consumer fails must not stop the others (nor the deletion sweep): the first error is rethrown
  // at the end, so the whole look is retried (every step is idempotent).
  let failure: unknown = null;
  const each = async (step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      failure ??= error;
      logger.warn("scheduled_events.reconcile_step_failed", { guild_id: guildId, error });
    }
  };
  for (const ev of events) await each(() => observeEvent(s, ev, "reconcile", guildId, asOf));
  // Deleted while the bot was not listening: gone from the full list.
  for (const id of await activeEventIds(s.env.DB, guildId, asOf)) if (!seen.has(id)) await each(() => observeDeleted(s, guildId, id, asOf));
  if (failure !== null) throw failure;
}

/** A guild listed less than this long ago is not listed again by another hourly job. */
const FRESH_MS = 50 * 60_000;

/**
 * Lists the guild's events from Discord and reconciles them, at most once per hour whoever asks (the core's job
 * for the guilds the bot is in, a feature's job for the guilds it serves). False when Discord refused.
 */
export async function reconcileFromDiscord(s: Services, guildId: string): Promise<boolean> {
  const last = await listedAsOf(s.env.DB, guildId);
  if (last !== null && last > s.now() - FRESH_MS) return true;
  const asOf = s.now();
  try {
    const events = await s.api.scheduledEvents.list(guildId, { withUserCount: true });
    await reconcileGuild(s, guildId, events, asOf);
  } catch (error) {
    // A guild the bot left (or lost access to) is skipped; a transient failure is retried by the caller's timer.
    if (!(error instanceof DiscordApiError) || error.transient) throw error;
    logger.warn("scheduled_events.reconcile_failed", { guild_id: guildId, error });
    return false;
  }
  // The list's as-of time (not when it was done): a GUILD_CREATE received while it was in flight is not older than it.
  await s.env.DB.prepare(
    "INSERT INTO scheduled_event_guilds (guild_id, reconciled_at) VALUES (?, ?) ON CONFLICT (guild_id) DO UPDATE SET reconciled_at = MAX(reconciled_at, excluded.reconciled_at)",
  )
    .bind(guildId, asOf)
    .run();
  return true;
}

declare module "../timers/payloads" {
  interface TimerPayloads {
    "scheduled_events.reconcile": z.infer<typeof guildPayload>;
  }
}

export const reconcileTimer = (guildId: string) => `sec:${guildId}`;

/** One guild's hourly list, on its own timer, a background call of the REST budget. */
const reconcileKind: TimerAction<"scheduled_events.reconcile"> = {
  kind: "scheduled_events.reconcile",
  payload: guildPayload,
  lane: "background",
  async run(item, { services: s }) {
    await reconcileFromDiscord(s, item.payload.guild_id);
  },
};

/** The hourly safety net over every guild the bot is in: the cron arms the fan-out, each guild lists on its timer. */
export const reconcileCron: CronJob = guildFanOut({
  name: "scheduled_events.reconcile",
  cron: CRON.hourly,
  page: async (s, after, limit) =>
    (
      await s.env.DB.prepare("SELECT guild_id FROM guilds WHERE guild_id > ? AND joined_at IS NOT NULL AND left_at IS NULL ORDER BY guild_id LIMIT ?")
        .bind(after, limit)
        .all<{ guild_id: string }>()
    ).results,
  enqueue: (s, { guild_id }, dueAt) => s.timer(reconcileTimer(guild_id)).schedule("reconcile", dueAt, "scheduled_events.reconcile", { guild_id }),
  guildKinds: [reconcileKind],
});
