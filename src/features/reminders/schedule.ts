/** Plans an event's reminder items (one per offset in use) on its timer, and drops them when it goes away. */
import type { ScheduledEventConsumer } from "../../scheduled-events";
import type { Services } from "../../services";
import { stableId } from "../../util/hash";
import { LATE_MS } from "./fanout-start";
import type { EventInfo } from "./offsets";
import { readReminderSettings } from "./settings";
import { reminderInfo } from "./storage";

export const timerName = (guildId: string, eventId: string) => `rm:${guildId}:${eventId}`;
/** A recurring event's items carry their occurrence's start, so the next occurrence's never replace the last one's. */
const itemKey = (ev: EventInfo, kind: "dm" | "ch", offset: number) => (ev.recurring ? `${kind}:${ev.start_at}:${offset}` : `${kind}:${offset}`);
/** Channel reminders go out at these offsets. */
const CHANNEL_OFFSETS = [3_600, 0];

/**
 * Follows an event as the guild-events core reports it. A new start time replaces the whole plan; a recurring event
 * moving on to its next occurrence is not a reschedule: the ended occurrence's items (keyed by their start) are
 * left to finish and the next occurrence gets its own. No change (a replay, a reconnect's GUILD_CREATE) means the
 * plan is there: the core runs this before it records a change, so a failure here is retried with the same change.
 */
export const remindersConsumer: ScheduledEventConsumer = {
  name: "reminders",
  async handle({ after, changes }, s) {
    if (!changes.length) return;
    const info = reminderInfo(after);
    const timer = s.timer(timerName(info.guild_id, info.event_id));
    if (!info.active) {
      if (changes.length) await timer.cancel("*");
      return;
    }
    if (changes.some((c) => c.kind === "rescheduled")) await timer.cancel("*");
    // One occurrence cancelled (an exception): its items go; a fan-out already paging stops at its next chunk.
    for (const c of changes) if (c.kind === "occurrence_cancelled") for (const kind of ["dm", "ch"]) await timer.cancel(`${kind}:${c.start_at}:*`);
    await planReminders(s, info, { replaySafe: true });
  },
};

/**
 * Plans the event's items. `replaySafe`: `reminder.scheduled` is reported whenever items are due, under an id
 * fixed by the start time, so a plan finished after a crash (its items already there) still reports, and a
 * re-run or a rename never reports twice (the event log and webhook receivers deduplicate on the id).
 */
export async function planReminders(s: Services, ev: EventInfo, opts: { replaySafe?: boolean } = {}): Promise<number> {
  const settings = await readReminderSettings(s.env.DB, ev.guild_id);
  const timer = s.timer(timerName(ev.guild_id, ev.event_id));
  const offsets = [...new Set([...settings.allowed_offsets, ...settings.default_offsets])];
  let planned = 0;
  let due = 0;
  for (const offset of offsets) {
    const at = ev.start_at - offset * 1000;
    if (at < s.now() - LATE_MS) continue; // already past: nothing to send
    due++;
    const r = await timer.schedule(itemKey(ev, "dm", offset), at, "reminders.dm", {
      guild_id: ev.guild_id,
      event_id: ev.event_id,
      start_at: ev.start_at,
      offset_s: offset,
    });
    if (r.result !== "unchanged") planned++;
  }
  if (settings.channel_id) {
    for (const offset of CHANNEL_OFFSETS) {
      const at = ev.start_at - offset * 1000;
      if (at >= s.now() - LATE_MS)
        await timer.schedule(itemKey(ev, "ch", offset), at, "reminders.channel", {
          guild_id: ev.guild_id,
          event_id: ev.event_id,
          start_at: ev.start_at,
          offset_s: offset,
        });
    }
  }
  const report = opts.replaySafe ? due : planned;
  if (report) {
    const id = opts.replaySafe ? `reminder.scheduled:${stableId(`${ev.guild_id}|${ev.event_id}|${ev.start_at}`)}` : undefined;
    await s.bus.emit("reminder.scheduled", { event_id: ev.event_id, name: ev.name, start_at: ev.start_at, offsets: report }, { guildId: ev.guild_id }, { id });
  }
  return planned;
}
