/** Plans an event's reminder items (one per offset in use) on its timer, and drops them when it goes away. */
import type { APIGuildScheduledEvent } from "discord-api-types/v10";
import { GuildScheduledEventStatus } from "discord-api-types/v10";
import type { Services } from "../../services";
import { stableId } from "../../util/hash";
import { LATE_MS } from "./fanout-start";
import type { EventInfo } from "./offsets";
import { markPlanned, planState } from "./plan-state";
import { readReminderSettings } from "./settings";
import { upsertReminderEvent } from "./storage";

export const timerName = (guildId: string, eventId: string) => `rm:${guildId}:${eventId}`;
/** Channel reminders go out at these offsets. */
const CHANNEL_OFFSETS = [3_600, 0];

export function eventInfo(ev: APIGuildScheduledEvent): EventInfo {
  return {
    guild_id: ev.guild_id,
    event_id: ev.id,
    name: ev.name,
    start_at: Date.parse(ev.scheduled_start_time),
    end_at: ev.scheduled_end_time ? Date.parse(ev.scheduled_end_time) : null,
    location: ev.entity_metadata?.location ?? null,
    channel_id: ev.channel_id ?? null,
  };
}

/**
 * Follows an event as Discord describes it now; a new start time replaces the whole plan. Replay-safe: the same
 * dispatch handled again (at-least-once gateway) finishes a plan a crash interrupted and changes nothing else.
 */
export async function followForReminders(s: Services, ev: APIGuildScheduledEvent): Promise<void> {
  const info = eventInfo(ev);
  if (Number.isNaN(info.start_at)) return;
  const active = ev.status === GuildScheduledEventStatus.Scheduled || ev.status === GuildScheduledEventStatus.Active;
  const before = await upsertReminderEvent(s.env.DB, { ...info, active }, s.now());
  const state = await planState(s.env.DB, info.guild_id, info.event_id);
  const unchanged = before && before.active === active && before.start_at === info.start_at && before.name === info.name;
  // Unchanged and fully planned (e.g. replayed by GUILD_CREATE after a reconnect): its reminders are on its timer.
  if (unchanged && state && state.planned_revision === state.revision) return;
  const timer = s.timer(timerName(info.guild_id, info.event_id));
  if (!active) {
    if (before?.active) await timer.cancel("*");
  } else {
    if (before && before.start_at !== info.start_at) await timer.cancel("*");
    await planReminders(s, info, { replaySafe: true });
  }
  if (state) await markPlanned(s.env.DB, info.guild_id, info.event_id, state.revision);
}

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
    const r = await timer.schedule(`dm:${offset}`, at, "reminders.dm", {
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
        await timer.schedule(`ch:${offset}`, at, "reminders.channel", {
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

export async function dropReminders(s: Services, guildId: string, eventId: string): Promise<void> {
  await s.env.DB.prepare("UPDATE reminder_events SET active = 0, updated_at = ? WHERE guild_id = ? AND event_id = ?").bind(s.now(), guildId, eventId).run();
  await s.timer(timerName(guildId, eventId)).cancel("*");
}
