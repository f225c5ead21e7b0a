/** The occurrence a reminder is about, for work planned before the guild-events core had listed the guild's events. */
import type { Lane } from "../../discord/budget";
import { gatedServices } from "../../discord/gated";
import { getScheduledEvent, reconcileFromDiscord } from "../../scheduled-events";
import type { Services } from "../../services";
import { occurrenceInfo } from "./storage";

/**
 * From the core's mirror; an event it has no record of (a reminder item planned before the mirror existed, whose
 * guild the core has not listed yet) has the core list the guild from Discord first, once (the core lists a guild at
 * most hourly whoever asks), with a slot of the REST budget in `lane`. A deferral is thrown (the timer re-arms).
 */
export async function findReminderOccurrence(s: Services, guildId: string, eventId: string, startAt: number, lane: Lane) {
  let ev = await getScheduledEvent(s.env.DB, guildId, eventId);
  if (!ev && (await reconcileFromDiscord(gatedServices(s, { lane, guild: guildId }), guildId))) ev = await getScheduledEvent(s.env.DB, guildId, eventId);
  return ev ? occurrenceInfo(ev, startAt, s.now()) : null;
}
