/** Reminder delivery on the event's timer: one item per offset fans out in paced chunks, exactly once per member. */

import { roleMention, TimestampStyles, time } from "@discordjs/formatters";
import { AllowedMentionsTypes } from "discord-api-types/v10";
import { everyoneCanView } from "../../discord/channel-access";
import { type Intent, postOnce, settleWithoutPosting } from "../../discord/post-once";
import { BudgetDeferred } from "../../discord/rate-gate";
import type { TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { backoffMs } from "../../timers/agenda";
import { liveEventRole } from "../event-channels/role-query";
import { isMatchEvent } from "../tournaments/league-query";
import { findReminderOccurrence } from "./event-lookup";
import { CHUNK, deliver, type Fan, type FanoutPayload, sendChunks, settleUnconfirmed } from "./fanout-send";
import { onTime, startFanout } from "./fanout-start";
import { type EventInfo, formatOffset, reminderEmbed } from "./offsets";
import { listTypes, matchingTypes, type ReminderSettings, readReminderSettings } from "./settings";
import { type DeliveryKey, pendingRetries, recipients } from "./storage";
import { deliveryKeyPayload, fanoutPayload, retryPayload } from "./timer-payloads";

async function finish(s: Services, key: DeliveryKey, totals: NonNullable<FanoutPayload["totals"]>, name: string): Promise<void> {
  const ctx = { guildId: key.guild_id };
  await s.bus.emit("reminder.sent", { event_id: key.event_id, name, offset: formatOffset(key.offset_s), ...totals }, ctx);
  const attempted = totals.sent + totals.failed + totals.retry;
  if (attempted >= 4 && totals.retry + totals.failed > attempted / 2) {
    // Most sends failing is not about members' DM settings: Discord or the bot is in trouble.
    await s.bus.emit("reminder.failed", { event_id: key.event_id, name, offset: formatOffset(key.offset_s), ...totals }, ctx);
  }
}

/**
 * Members left to retry get their retry item once the fan-out is done. Asked of D1 as well as the run's counts: a run
 * cut after recording outcomes but before the agenda stored its counts left them uncounted.
 */
async function retryLater(s: Services, key: DeliveryKey, totals: NonNullable<FanoutPayload["totals"]>, timerName: string): Promise<void> {
  if (totals.retry === 0 && !(await pendingRetries(s.env.DB, key, 1)).length) return;
  await s.timer(timerName).schedule(`dm:${key.offset_s}:retry`, s.now() + backoffMs(1), "reminders.retry", { ...key, round: 1 });
}

const fanout: TimerAction<"reminders.dm"> = {
  kind: "reminders.dm",
  payload: fanoutPayload,
  // Every call of a fan-out (the channel's visibility, an unconfirmed send's check, each DM) is bulk work.
  lane: "bulk",
  async run(item, { services: s, timerName }) {
    const p = item.payload;
    // Its occurrence rescheduled or cancelled since: the new plan has its own items. A recurring event moving on to
    // its next occurrence mid fan-out is neither: the occurrence this fan-out belongs to took place.
    const ev = await findReminderOccurrence(s, p.guild_id, p.event_id, p.start_at, "bulk");
    if (!ev) return;
    const key: DeliveryKey = { guild_id: p.guild_id, event_id: p.event_id, start_at: p.start_at, offset_s: p.offset_s };
    const due = p.start_at - p.offset_s * 1000;
    // Judged once, when the fan-out begins: a chunk cut by a restart and retried later, or the next chunk, is not
    // judged again against a clock that has moved on (it would drop members of a fan-out that began on time).
    const started = await startFanout(s.env.DB, key, "dm", s.now(), p.mode ? p.mode === "send" : onTime(due, s.now()));
    const mode = started.onTime ? "send" : "skip";
    const [settings, types, isMatch] = await Promise.all([
      readReminderSettings(s.env.DB, p.guild_id),
      listTypes(s.env.DB, p.guild_id),
      isMatchEvent(s.env.DB, p.guild_id, p.event_id),
    ]);
    // Read once per fan-out: a subscription by type never reveals an event in a channel the member may not see.
    const hidden = p.hidden ?? (ev.channel_id ? !(await everyoneCanView(s.discord, p.guild_id, ev.channel_id, s.now())) : false);
    const page = (cursor: string) =>
      recipients(s.env.DB, {
        guildId: p.guild_id,
        eventId: p.event_id,
        types: hidden ? [] : matchingTypes(types, ev.name, isMatch),
        offset: p.offset_s,
        defaultsInclude: settings.default_offsets.includes(p.offset_s),
        interested: settings.interested_enabled,
        cursor,
        limit: CHUNK,
      });
    const fan: Fan = { s, key, ev, mode, due, hidden, page, totals: { sent: 0, failed: 0, skipped: 0, retry: 0, ...p.totals } };
    const outcome = await sendChunks(fan, p.cursor ?? "", p.slot_deadline);
    if (outcome) return outcome;
    const { totals } = fan;
    // The retry first: a failure after the bus events would post them again when the item is retried.
    await retryLater(s, key, totals, timerName);
    if (totals.sent + totals.failed + totals.skipped + totals.retry > 0) await finish(s, key, totals, ev.name);
    if (mode === "skip" && totals.skipped)
      logger.warn("reminders.skipped_late", { guild_id: p.guild_id, event_id: p.event_id, offset: p.offset_s, skipped: totals.skipped });
  },
};

/** Members whose DM hit a 429/5xx/timeout get it again with backoff, up to three attempts in all. */
const retry: TimerAction<"reminders.retry"> = {
  kind: "reminders.retry",
  payload: retryPayload,
  lane: "bulk",
  async run(item, { services: s, timerName }) {
    const p = item.payload;
    const ev = await findReminderOccurrence(s, p.guild_id, p.event_id, p.start_at, "bulk");
    if (!ev) return;
    const key: DeliveryKey = { guild_id: p.guild_id, event_id: p.event_id, start_at: p.start_at, offset_s: p.offset_s };
    const users = await pendingRetries(s.env.DB, key, CHUNK);
    const doubtful = { sent: 0, failed: 0, skipped: 0, retry: 0 };
    const rest = await settleUnconfirmed(s, key, users, s.now(), "send", doubtful);
    // A retry is late by design (backoff): its deadline is the retry window, not the reminder's offset.
    const c = await deliver(s, key, rest, reminderEmbed(ev, p.offset_s), Number.POSITIVE_INFINITY);
    if (c.deferredUntil) return { again: { dueAt: c.deferredUntil, payload: p } };
    if (users.length === CHUNK) return { again: { dueAt: s.now(), payload: p } };
    if (c.retry + doubtful.retry > 0)
      await s.timer(timerName).schedule(`dm:${p.offset_s}:retry`, s.now() + backoffMs(p.round + 1), "reminders.retry", { ...key, round: p.round + 1 });
  },
};

/** The channel post of a reminder: mentions the event role when the event-channels feature made one. */
async function channelIntent(s: Services, key: string, p: DeliveryKey, ev: EventInfo, settings: ReminderSettings & { channel_id: string }): Promise<Intent> {
  const role = { role_id: await liveEventRole(s.env.DB, p.guild_id, p.event_id, p.start_at).catch(() => null) };
  const mention = role?.role_id ? `${roleMention(role.role_id)} ` : settings.channel_everyone ? "@everyone " : "";
  const t = Math.floor(ev.start_at / 1000);
  const content =
    p.offset_s === 0
      ? `${mention}**${ev.name}** is starting now!`
      : `${mention}**${ev.name}** starts ${time(t, TimestampStyles.RelativeTime)} (${time(t, TimestampStyles.ShortTime)}).`;
  return {
    key,
    guildId: p.guild_id,
    channelId: settings.channel_id,
    body: {
      content,
      embeds: [reminderEmbed(ev, p.offset_s)],
      allowed_mentions: role?.role_id ? { roles: [role.role_id] } : settings.channel_everyone ? { parse: [AllowedMentionsTypes.Everyone] } : { parse: [] },
    },
  };
}

/** How much later than a first attempt a channel post's retry after a failure may still go out. */
const RETRY_GRACE_MS = 4 * 60_000;

/** The optional channel post at T−1h and T−0, replacing the previous one for the event; posted once across retries. */
const channelPost: TimerAction<"reminders.channel"> = {
  kind: "reminders.channel",
  payload: deliveryKeyPayload,
  // One post at the reminder's offset: time-critical, ahead of bulk and background work.
  lane: "critical",
  async run(item, { services: s }) {
    const p = item.payload;
    const due = p.start_at - p.offset_s * 1000;
    const [ev, settings] = await Promise.all([
      findReminderOccurrence(s, p.guild_id, p.event_id, p.start_at, "critical"),
      readReminderSettings(s.env.DB, p.guild_id),
    ]);
    if (!ev || !settings.channel_id) return;
    const key = `rm-channel:${p.guild_id}:${p.event_id}:${p.start_at}:${p.offset_s}`;
    // Judged on every run against the reminder's own time, not once: a run the REST budget put off more than a minute
    // past it posts nothing new. A retry after a failed attempt (backoff 30 s, 60 s, …) has a few minutes' grace, so
    // two 5xx in a row do not lose the post. A post an earlier attempt may have made is looked for and finished.
    const late = !onTime(due, s.now() - (item.attempts > 0 ? RETRY_GRACE_MS : 0));
    const previous = await s.env.DB.prepare("SELECT channel_id, message_id FROM reminder_channel_posts WHERE guild_id = ? AND event_id = ?")
      .bind(p.guild_id, p.event_id)
      .first<{ channel_id: string; message_id: string }>();
    const posted = late
      ? await settleWithoutPosting(s, key)
      : await postOnce(s, await channelIntent(s, key, p, ev, { ...settings, channel_id: settings.channel_id }));
    if (!posted?.messageId) {
      if (late) logger.warn("reminders.channel_skipped_late", { guild_id: p.guild_id, event_id: p.event_id, offset: p.offset_s, late_ms: s.now() - due });
      return;
    }
    if (!posted.messageId || previous?.message_id === posted.messageId) return;
    // The previous post goes before the record moves on, so a crash in between leaves it findable, not forgotten.
    if (previous)
      await s.api.channels.deleteMessage(previous.channel_id, previous.message_id).catch((error: unknown) => {
        // No slot yet: the item runs again when the budget has room (the post is found, the old one deleted then).
        if (error instanceof BudgetDeferred) throw error;
      });
    await s.env.DB.prepare(
      "INSERT INTO reminder_channel_posts (guild_id, event_id, channel_id, message_id) VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, event_id) DO UPDATE SET channel_id = excluded.channel_id, message_id = excluded.message_id",
    )
      .bind(p.guild_id, p.event_id, posted.channelId, posted.messageId)
      .run();
  },
};

export const timerKinds: TimerAction[] = [fanout, retry, channelPost];
