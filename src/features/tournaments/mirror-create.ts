/**
 * Creating a match's event exactly once: an event an earlier attempt made is adopted (found by the bot's
 * marker and creator), the intent is recorded before the POST, and a create that lost its lease settles.
 */
import type { APIGuildScheduledEvent } from "discord-api-types/v10";
import { withDeadline } from "../../discord/deadline";
import { DiscordApiError, DiscordErrorCode } from "../../discord/errors";
import { logger } from "../../log";
import type { Services } from "../../services";
import { createBody, type EventFields, observedFields } from "./event-format";
import { ownEventsOf } from "./event-marker";
import { CALL_BUDGET_MS, type Lease } from "./lease";
import { beginCreate, type Mapping, type Outcome, readMapping, recordOrphan } from "./mapping-storage";

export type CreateResult =
  | { kind: "created"; event: APIGuildScheduledEvent; fields: EventFields; nonce: string }
  | { kind: "adopted"; event: APIGuildScheduledEvent; fields: EventFields }
  | { kind: "limit" };

const gone = (error: unknown) => error instanceof DiscordApiError && (error.notFound || error.is(DiscordErrorCode.UnknownScheduledEvent));

/** Deletes an event the bot made itself (its marker and creator say so) that nothing maps; NotFound is fine. */
export async function deleteOwnEvent(s: Services, guildId: string, eventId: string, lease?: Lease): Promise<void> {
  const call = (signal: AbortSignal) => s.api.scheduledEvents.delete(guildId, eventId, { signal });
  try {
    await (lease ? lease.call(call) : withDeadline(CALL_BUDGET_MS, call));
  } catch (error) {
    if (!gone(error)) throw error;
  }
}

/**
 * The bot's unmapped events for this match: from the caller's list (the sync has one), or read now when an
 * earlier create may have made one (its intent is still set). No list and no intent: none, no call.
 */
export async function leftovers(s: Services, guildId: string, m: Mapping, lease: Lease, listed?: readonly APIGuildScheduledEvent[]) {
  if (!listed && m.create_nonce === null) return [];
  const events = listed ?? (await lease.call((signal) => s.api.scheduledEvents.list(guildId, { signal })));
  return ownEventsOf(events, guildId, s.env.DISCORD_APPLICATION_ID, m.match_id).filter((e) => e.id !== m.scheduled_event_id);
}

export async function createOnce(
  s: Services,
  guildId: string,
  m: Mapping,
  fields: EventFields,
  lease: Lease,
  listed?: readonly APIGuildScheduledEvent[],
): Promise<CreateResult> {
  const [first, ...extra] = await leftovers(s, guildId, m, lease, listed);
  if (first) {
    for (const e of extra) await deleteOwnEvent(s, guildId, e.id, lease);
    logger.info("tournaments.event_adopted", { guild_id: guildId, match_id: m.match_id, scheduled_event_id: first.id, duplicates_removed: extra.length });
    return { kind: "adopted", event: first, fields: observedFields(first) };
  }
  const nonce = crypto.randomUUID();
  const at = s.now();
  lease.held(await beginCreate(s.env.DB, lease.owner, m.match_id, nonce, at));
  lease.extended(at);
  try {
    const body = createBody(fields, { guildId, matchId: m.match_id });
    const event = await lease.call((signal) => s.api.scheduledEvents.create(guildId, body, { signal }));
    return { kind: "created", event, fields, nonce };
  } catch (error) {
    // Refused outright: nothing was made. A timeout or 5xx leaves the intent set, so the next attempt looks first.
    if (error instanceof DiscordApiError && error.is(DiscordErrorCode.MaxScheduledEvents)) return { kind: "limit" };
    throw error;
  }
}

/**
 * The POST succeeded but the lease was lost before its outcome was written. The event is recorded when
 * nothing happened to the match since the intent; kept when the mapping names it already or the holder
 * will find it (the intent is still ours, so it lists and adopts); removed when another create is committed,
 * another event is mapped, or the match needs none.
 */
export async function settleLostCreate(s: Services, guildId: string, matchId: number, nonce: string, outcome: Outcome & { eventId: string }): Promise<void> {
  const db = s.env.DB;
  if (await recordOrphan(db, nonce, matchId, outcome, s.now())) {
    logger.warn("tournaments.create_recorded_late", { guild_id: guildId, match_id: matchId, scheduled_event_id: outcome.eventId });
    return;
  }
  const row = await readMapping(db, guildId, matchId);
  if (row?.scheduled_event_id === outcome.eventId) return;
  if (row && row.scheduled_event_id === null && row.create_nonce === nonce) return;
  await deleteOwnEvent(s, guildId, outcome.eventId);
  logger.warn("tournaments.duplicate_removed", { guild_id: guildId, match_id: matchId, scheduled_event_id: outcome.eventId });
}
