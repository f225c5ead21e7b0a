/**
 * Recurring events: each occurrence gets its own role and channels. When Discord moves the event on to its next
 * occurrence, the ended one's objects are handed to a record of their own (`{event}@{start}`) that lives out the
 * usual lifecycle (warning, deletion at its end + deletion_hours) on its own timer; the event's record starts over,
 * so the next occurrence's channels are made at its own T−creation and never deleted by the last one's steps.
 */
import type { ScheduledEventRecord } from "../../scheduled-events";
import type { Services } from "../../services";
import { forgetHolders, moveHolders } from "./holders";
import { deletionTime } from "./plan";
import { readSettings } from "./settings";
import { copyAsOccurrence, type EventRecord, getEvent, ownsAnything, startNextOccurrence } from "./storage";
import { planLiveSteps, queueCleanup, timerOf } from "./timeline";

export const occurrenceKey = (eventId: string, startAt: number) => `${eventId}@${startAt}`;
/** An ended occurrence's record (`{event}@{start}`): Discord knows no such event; its members are the role's holders. */
export const isOccurrenceKey = (recordKey: string) => recordKey.includes("@");

const HOLDS_OBJECTS = new Set(["creating", "live", "ending"]);

/**
 * Replay-safe: every step is idempotent, and the event's own items go before its record is reset. `cancelled`: the
 * occurrence was cancelled (an exception), so whatever was made for it is removed at once instead of at its deletion.
 */
export async function moveToNextOccurrence(s: Services, ev: ScheduledEventRecord, endedStart: number, how: "ended" | "cancelled" = "ended"): Promise<void> {
  const rec = await getEvent(s.env.DB, ev.guild_id, ev.event_id);
  if (!rec || rec.start_at !== endedStart) return; // not followed, or already moved on
  const settings = await readSettings(s.env.DB, ev.guild_id);
  if (ownsAnything(rec) || HOLDS_OBJECTS.has(rec.state)) {
    const ended: EventRecord = { ...rec, event_id: occurrenceKey(rec.event_id, endedStart) };
    await copyAsOccurrence(s.env.DB, rec.guild_id, rec.event_id, ended.event_id);
    await moveHolders(s.env.DB, rec.guild_id, rec.event_id, ended.event_id);
    if (how === "cancelled") await queueCleanup(s, ended, "occurrence cancelled");
    else if (rec.state === "live" && settings) {
      // The warning already posted for it is not posted again under the new key.
      const deleteAt = rec.delete_at ?? deletionTime(settings, rec.start_at, rec.end_at);
      await planLiveSteps(s, ended, rec.warning_message_id ? { ...settings, deletion_warning_message: "" } : settings, deleteAt);
    } else await queueCleanup(s, ended, "ended");
  }
  // Holders of a role that never existed (nothing was made) are not the next occurrence's either.
  else await forgetHolders(s.env.DB, rec.guild_id, rec.event_id);
  // Everything left on the event's timer belongs to the ended occurrence (its copies are on their own timer now).
  await timerOf(s, rec).cancel("*");
  await startNextOccurrence(s.env.DB, { ...ev, guild_id: ev.guild_id, event_id: ev.event_id }, endedStart, s.now());
}
