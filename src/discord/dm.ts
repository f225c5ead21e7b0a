/** Sending one DM: the cached DM channel (one call), a nonce so a retry is never a second message, errors sorted. */
import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import type { Services } from "../services";
import { stableId } from "../util/hash";
import { DiscordApiError, DiscordErrorCode } from "./errors";
import { BudgetDeferred } from "./rate-gate";

/** The `dm_channels` table: a user's DM channel id, so a DM after the first is one call. */
export async function cachedDmChannel(db: D1Database, userId: string): Promise<string | null> {
  return (await db.prepare("SELECT channel_id FROM dm_channels WHERE user_id = ?").bind(userId).first<{ channel_id: string }>())?.channel_id ?? null;
}

export async function cacheDmChannel(db: D1Database, userId: string, channelId: string | null, now: number): Promise<void> {
  if (channelId === null) await db.prepare("DELETE FROM dm_channels WHERE user_id = ?").bind(userId).run();
  else
    await db
      .prepare(
        "INSERT INTO dm_channels (user_id, channel_id, updated_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET channel_id = excluded.channel_id, updated_at = excluded.updated_at",
      )
      .bind(userId, channelId, now)
      .run();
}

export type DmOutcome = { ok: true } | { ok: false; permanent: boolean; reason: string };

/** 50007 (DMs closed), 403 and 404 will not change on retry; 429, 5xx and timeouts may. */
function classify(err: unknown): DmOutcome {
  if (err instanceof DiscordApiError) {
    if (err.code === DiscordErrorCode.CannotDmUser) return { ok: false, permanent: true, reason: "DMs closed (50007)" };
    if (err.forbidden || err.notFound) return { ok: false, permanent: true, reason: `${err.status} ${err.message}`.slice(0, 200) };
    return { ok: false, permanent: false, reason: `${err.status} ${err.message}`.slice(0, 200) };
  }
  return { ok: false, permanent: false, reason: (err instanceof Error ? err.message : String(err)).slice(0, 200) };
}

export async function openDm(s: Services, userId: string, known?: string | null): Promise<string> {
  const cached = known === undefined ? await cachedDmChannel(s.env.DB, userId) : known;
  if (cached) return cached;
  const ch = await s.api.users.openDm(userId);
  await cacheDmChannel(s.env.DB, userId, ch.id, s.now());
  return ch.id;
}

/** `nonceKey` names this exact reminder; Discord drops a second message with the same nonce (enforce_nonce). */
export async function sendDm(
  s: Services,
  userId: string,
  body: RESTPostAPIChannelMessageJSONBody,
  nonceKey: string,
  known?: string | null,
): Promise<DmOutcome> {
  const message = { allowed_mentions: { parse: [] }, ...body, nonce: stableId(nonceKey), enforce_nonce: true };
  try {
    const channel = await openDm(s, userId, known);
    try {
      await s.api.channels.createMessage(channel, message);
    } catch (err) {
      // A cached channel Discord no longer knows: forget it and open a fresh one once.
      if (!(err instanceof DiscordApiError && err.code === DiscordErrorCode.UnknownChannel)) throw err;
      await cacheDmChannel(s.env.DB, userId, null, s.now());
      await s.api.channels.createMessage(await openDm(s, userId, null), message);
    }
    return { ok: true };
  } catch (err) {
    // No call was made: the caller decides (later, or skipped as late), it is not a failed send.
    if (err instanceof BudgetDeferred) throw err;
    return classify(err);
  }
}
