/** Gateway handlers and the guild-events core's consumer: they only record what happened and schedule work on the event's timer (REST runs in alarms). */
import { GatewayDispatchEvents, GuildScheduledEventStatus } from "discord-api-types/v10";
import { type GatewayHandler, gatewayHandler } from "../../feature";
import type { ScheduledEventConsumer, ScheduledEventRecord } from "../../scheduled-events";
import type { Services } from "../../services";
import { queueInterestResync } from "./grants";
import { moveToNextOccurrence } from "./occurrences";
import { deletionTime } from "./plan";
import { readSettings } from "./settings";
import {
  type EventRecord,
  type EventState,
  eventByChannel,
  eventByRole,
  forgetChannel,
  getDivider,
  getEvent,
  ownsAnything,
  setDivider,
  transition,
  updateEvent,
  upsertEvent,
} from "./storage";
import { planCreation, planLiveSteps, queueCleanup, timerOf } from "./timeline";

const ACTIVE = new Set<number>([GuildScheduledEventStatus.Scheduled, GuildScheduledEventStatus.Active]);

/**
 * One scheduled event as the guild-events core has it now: follow it, reschedule it, or clean it up. Dispatches are
 * handled at least once, so every path schedules before it records: a replay after a restart between the two
 * finds the old record and does both again (scheduling the same thing twice is a no-op).
 */
export async function followEvent(s: Services, ev: ScheduledEventRecord): Promise<void> {
  const settings = await readSettings(s.env.DB, ev.guild_id);
  if (!settings?.category_id) return; // the guild has not set up event channels
  const before = await getEvent(s.env.DB, ev.guild_id, ev.event_id);
  if (!ACTIVE.has(ev.status)) {
    if (ev.status === GuildScheduledEventStatus.Canceled && before) await dropEvent(s, ev.guild_id, ev.event_id, "cancelled");
    return;
  }
  const startAt = ev.start_at;
  const endAt = ev.end_at;
  const moved = !!before && (before.start_at !== startAt || before.end_at !== endAt);
  if (before && (before.state === "live" || before.state === "creating")) {
    const patch: Partial<EventRecord> = { name: ev.name, start_at: startAt, end_at: endAt };
    if (moved) {
      const deleteAt = deletionTime(settings, startAt, endAt);
      await planLiveSteps(s, { ...before, ...patch }, settings, deleteAt);
      patch.delete_at = deleteAt;
    }
    await updateEvent(s.env.DB, ev.guild_id, ev.event_id, patch, s.now());
    return;
  }
  // A new start time gives the minimum-attendance check a fresh chance (compare-and-set: a create step that
  // claimed the event meanwhile keeps it). Before the new time is recorded, so a replay still sees the move.
  if (before && before.start_at !== startAt && (before.state === "skipped" || before.state === "retrying"))
    await transition(s.env.DB, ev.guild_id, ev.event_id, ["skipped", "retrying"], "scheduled", s.now());
  const rec = await upsertEvent(s.env.DB, { guild_id: ev.guild_id, event_id: ev.event_id, name: ev.name, start_at: startAt, end_at: endAt }, s.now());
  // A scheduled event is (re)planned on every pass, so a replay plans what a cut-off first pass did not.
  await planCreation(s, rec, settings);
}

/**
 * Cancelled or deleted. Compare-and-set: nothing made yet → cancelled, and a creation that is under way sees it and
 * stops; otherwise the cleanup runs on the event's timer (after the step running there, if any), with retries. The
 * cleanup is queued before the state says `ending`, so a replay after a restart between the two queues it again.
 */
async function dropEvent(s: Services, guildId: string, eventId: string, reason: string): Promise<void> {
  const rec = await getEvent(s.env.DB, guildId, eventId);
  if (!rec) return;
  if (!ownsAnything(rec) && (await transition(s.env.DB, guildId, eventId, ["scheduled", "retrying", "skipped"], "cancelled", s.now()))) {
    await timerOf(s, rec).cancel("*");
    return;
  }
  // Anything that exists (whatever the state says) is removed by the cleanup.
  const active: EventState[] = ["scheduled", "retrying", "skipped", "creating", "live", "ending"];
  if (!active.includes(rec.state)) return;
  await queueCleanup(s, rec, reason);
  await transition(s.env.DB, guildId, eventId, active, "ending", s.now());
}

async function interest(s: Services, d: { guild_id: string; guild_scheduled_event_id: string; user_id: string }, add: boolean): Promise<void> {
  const rec = await getEvent(s.env.DB, d.guild_id, d.guild_scheduled_event_id);
  if (rec?.state !== "live") return; // before creation, the count is read when the channels are made
  // One key per member: the latest of add/remove wins if both are pending.
  await timerOf(s, rec).schedule(`member:${d.user_id}`, s.now(), "ec.member", { guild_id: d.guild_id, event_id: rec.event_id, user_id: d.user_id, add });
}

/**
 * Told by the guild-events core of every change (and, on a reconciliation, of every event): a recurring event moving
 * on to its next occurrence hands the ended one's channels to their own record first; then the event is followed.
 */
export const eventChannelsConsumer: ScheduledEventConsumer = {
  name: "event_channels",
  async handle({ after, changes, source }, s) {
    if (!changes.length && source === "dispatch") return; // a replay: acted on already
    if (after.deleted_at !== null) return dropEvent(s, after.guild_id, after.event_id, "deleted");
    for (const c of changes) {
      if (c.kind === "occurrence_ended" && c.next_start_at !== null) await moveToNextOccurrence(s, after, c.start_at);
      // One occurrence cancelled (an exception) while the event showed it: its objects are removed at once.
      if (c.kind === "occurrence_cancelled") await moveToNextOccurrence(s, after, c.start_at, "cancelled");
    }
    await followEvent(s, after);
  },
};

export const gatewayHandlers: GatewayHandler[] = [
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUserAdd, "event_channels.interest", (d, s) => interest(s, d, true)),
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUserRemove, "event_channels.interest", (d, s) => interest(s, d, false)),
  gatewayHandler(GatewayDispatchEvents.GuildCreate, "event_channels.resync", async (guild, s) => {
    // The guild-events core follows the events themselves; interest changes of the old session may be lost, so
    // live events re-read their Interested lists.
    if (!(await readSettings(s.env.DB, guild.id))?.category_id) return;
    await queueInterestResync(s, guild.id);
  }),
  gatewayHandler(GatewayDispatchEvents.ChannelDelete, "event_channels.channel_deleted", async (ch, s) => {
    const guildId = "guild_id" in ch ? ch.guild_id : undefined;
    if (!guildId) return;
    const divider = await getDivider(s.env.DB, guildId);
    if (divider.channel_id === ch.id) {
      // Forgotten; the next event that needs it makes a new one.
      await setDivider(s.env.DB, guildId, { channel_id: null, role_ids: [] });
      return;
    }
    const found = await eventByChannel(s.env.DB, guildId, ch.id);
    if (!found) return;
    // The last of a live event's channels: the cleanup is queued before the channel is forgotten (a replay after
    // a restart in between would no longer find the event by the channel). Live, nothing adds channels meanwhile.
    const last = found.state === "live" && [found.text_id, ...found.voice_ids].every((id) => !id || id === ch.id);
    if (last) await queueCleanup(s, found, "channels deleted");
    // One statement: a create step recording another voice channel at the same moment is never overwritten.
    await forgetChannel(s.env.DB, guildId, found.event_id, ch.id, s.now());
  }),
  gatewayHandler(GatewayDispatchEvents.GuildRoleDelete, "event_channels.role_deleted", async (d, s) => {
    const rec = await eventByRole(s.env.DB, d.guild_id, d.role_id);
    if (!rec) return;
    // Recorded first (the restore step must see the role gone); a restart before the restore is scheduled leaves a
    // live record without its role (role_created kept: it was the bot's), which the next resync or the hourly
    // reconciliation restores.
    await updateEvent(s.env.DB, d.guild_id, rec.event_id, { role_id: null }, s.now());
    if (rec.state === "live" && (rec.text_id || rec.voice_ids.length))
      await timerOf(s, rec).schedule("restore-role", s.now(), "ec.restore_role", { guild_id: d.guild_id, event_id: rec.event_id });
  }),
];
