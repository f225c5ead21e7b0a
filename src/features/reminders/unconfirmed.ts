/**
 * Deliveries an earlier attempt may have sent (it crashed, or its answer was lost) once Discord's nonce no
 * longer dedups a retry: they are looked for in the member's DM channel and settled, never sent blindly.
 */
import { cachedDmChannel } from "../../discord/dm";
import { DiscordApiError } from "../../discord/errors";
import { findOwnMessage, NONCE_SAFE_MS } from "../../discord/sent-messages";
import { logger } from "../../log";
import type { Services } from "../../services";
import { isReminderEmbed } from "./offsets";
import type { DeliveryKey, Pending, Settled } from "./storage";

/**
 * Whether a delivery must be resolved before anything is sent: when sending, one first tried longer ago than
 * the nonce window; when the reminder is too late to send, any left by an earlier attempt (so the count says
 * what the member got).
 */
export function unconfirmed(r: Pending, now: number, mode: "send" | "skip"): boolean {
  return mode === "send" ? now - r.first_try_at >= NONCE_SAFE_MS : r.first_try_at < now;
}

/**
 * Found in the DM channel → sent. Not found → `notFound`: `failed` when sending (the reminder is late by then —
 * at least two minutes past its time, where the bot skips reminders over a minute late — and a send still in
 * flight could land after the read, so sending again could make the duplicate this prevents), `skipped` when
 * it was too late anyway. A channel that cannot be read now is retried later, up to `maxAttempts`.
 */
export async function resolveUnconfirmed(
  s: Services,
  key: DeliveryKey,
  rows: readonly Pending[],
  notFound: "failed" | "skipped",
  maxAttempts: number,
): Promise<Settled[]> {
  const out: Settled[] = [];
  for (const r of rows) out.push(await resolveOne(s, key, r, notFound, maxAttempts));
  if (out.length) {
    const count = (status: Settled["status"]) => out.filter((o) => o.status === status).length;
    logger.warn("reminders.unconfirmed_resolved", {
      guild_id: key.guild_id,
      event_id: key.event_id,
      offset: key.offset_s,
      found: count("sent"),
      not_found: count(notFound),
      unreadable: count("retry"),
    });
  }
  return out;
}

async function resolveOne(s: Services, key: DeliveryKey, r: Pending, notFound: "failed" | "skipped", maxAttempts: number): Promise<Settled> {
  const channel = await cachedDmChannel(s.env.DB, r.user_id);
  // A send opens (and caches) the member's DM channel before it posts: with no channel known, nothing went out.
  if (channel) {
    try {
      const { found } = await findOwnMessage(s, channel, (m) => isReminderEmbed(m.embeds?.[0], key), r.first_try_at);
      if (found) return { user_id: r.user_id, status: "sent", reason: null };
    } catch (error) {
      const transient = !(error instanceof DiscordApiError) || error.transient;
      const why = (error instanceof Error ? error.message : String(error)).slice(0, 120);
      if (transient && r.attempts + 1 < maxAttempts) return { user_id: r.user_id, status: "retry", reason: `unconfirmed: DM channel unreadable (${why})` };
      return { user_id: r.user_id, status: "failed", reason: `unconfirmed: DM channel unreadable (${why}); not re-sent` };
    }
  }
  const minutes = Math.round((s.now() - r.first_try_at) / 60_000);
  return {
    user_id: r.user_id,
    status: notFound,
    reason: `unconfirmed: not in the DM channel ${minutes} min after the first try; not re-sent (late)`,
  };
}
