/**
 * The per-event timeline on its EventTimer: creation as resumable steps (scheduled → creating → live, compare-and-set),
 * the deletion planned before anything exists, then each later step its own idempotent agenda item.
 */
import { DiscordApiError } from "../../discord/errors";
import { postOnce } from "../../discord/post-once";
import { BudgetDeferred } from "../../discord/rate-gate";
import type { TimerAction } from "../../feature";
import { readGuildSettings } from "../../guild-settings";
import { cappedList } from "../../interactions/list-view";
import { logger } from "../../log";
import type { Services } from "../../services";
import type { TimerOutcome } from "../../timers/kinds";
import { channelsNeeded, createMissing, type GuildReading, interestedUsers, problemsBeforeCreating, readGuild } from "./actions";
import { queueDividerSync } from "./divider";
import { channelNames, creationTime, deletionTime, nextRetry, roleName, startMessageAt, voicePlan, WARNING_BEFORE_DELETE_MS } from "./plan";
import { configuredBy, readSettings, type Settings } from "./settings";
import { type EventRecord, getEvent, NO_INTENT, ownsAnything, transition, updateEvent } from "./storage";
import { eventRefPayload } from "./timer-payloads";

export interface EventRef {
  guild_id: string;
  event_id: string;
}

export const timerName = (guildId: string, eventId: string) => `ec:${guildId}:${eventId}`;
export const timerOf = (s: Services, r: EventRef) => s.timer(timerName(r.guild_id, r.event_id));
export const ref = (r: EventRef): EventRef => ({ guild_id: r.guild_id, event_id: r.event_id });

/** (Re)plans the creation step; a no-op when nothing changed (same key, time and payload). */
export async function planCreation(s: Services, rec: EventRecord, settings: Settings): Promise<void> {
  if (rec.state !== "scheduled" && rec.state !== "retrying") return;
  await timerOf(s, rec).schedule("create", creationTime(settings, rec.start_at, s.now()), "ec.create", ref(rec));
}

/**
 * After creation or a time change: the start message, the warning and the deletion. Channels made after the start
 * (`late`: creation ran late) still get the start message, at once, while the event has not ended.
 */
export async function planLiveSteps(s: Services, rec: EventRecord, settings: Settings, deleteAt: number, late = false): Promise<void> {
  const t = timerOf(s, rec);
  const startAt = startMessageAt(rec.start_at, rec.end_at, deleteAt, s.now(), late);
  if (settings.event_start_message && startAt !== null) await t.schedule("start", startAt, "ec.start", ref(rec));
  if (settings.deletion_warning_message) await t.schedule("warn", Math.max(s.now(), deleteAt - WARNING_BEFORE_DELETE_MS), "ec.warn", ref(rec));
  await t.schedule("delete", deleteAt, "ec.delete", ref(rec));
}

/** Cleanup at once, on the event's timer (after whatever step is running there now). */
export async function queueCleanup(s: Services, r: EventRef, reason: string): Promise<void> {
  await timerOf(s, r).schedule("cleanup", s.now(), "ec.cleanup", { ...ref(r), reason });
}

/** Tells the admins once, in the audit channel (or a DM to whoever configured the feature), instead of retrying. */
async function reportProblem(s: Services, rec: EventRecord, problems: string[]): Promise<void> {
  const text = cappedList(
    `⚠️ I could not create the channels for **${rec.name}**:`,
    problems.map((p) => `• ${p}`),
  );
  const key = `ec:${rec.guild_id}:${rec.event_id}:${rec.start_at}:problem`;
  // Under an id the step's re-run repeats (the report may be put off by the REST budget, below).
  await s.bus.emit("permission.missing", { event_id: rec.event_id, problems }, { guildId: rec.guild_id }, { id: key });
  const body = { content: text, allowed_mentions: { parse: [] } };
  try {
    const audit = (await readGuildSettings(s.env.DB, rec.guild_id)).audit_channel_id;
    if (audit) {
      await postOnce(s, { key, guildId: rec.guild_id, channelId: audit, body });
      return;
    }
    const admin = await configuredBy(s.env.DB, rec.guild_id);
    if (!admin) return;
    const dm = await s.api.users.openDm(admin);
    await postOnce(s, { key, guildId: rec.guild_id, channelId: dm.id, body });
  } catch (error) {
    // No slot for a while: the step runs again then (nothing was abandoned yet) and reports, rather than never.
    if (error instanceof BudgetDeferred) throw error;
    logger.warn("event_channels.report_failed", { guild_id: rec.guild_id, event_id: rec.event_id, error });
  }
}

export async function load(s: Services, r: EventRef): Promise<{ rec: EventRecord; settings: Settings } | null> {
  const [rec, settings] = await Promise.all([getEvent(s.env.DB, r.guild_id, r.event_id), readSettings(s.env.DB, r.guild_id)]);
  return rec && settings ? { rec, settings } : null;
}

/** Before anything is made: minimum attendance (retry or skip), then the claim `creating` and the deletion planned. */
async function begin(s: Services, rec: EventRecord, settings: Settings): Promise<TimerOutcome | { interested: number } | "stop"> {
  const users = await interestedUsers(s, rec.guild_id, rec.event_id);
  const plan = voicePlan(settings, rec.name, users.length);
  const g = rec.guild_id;
  if (plan.minimum !== null && users.length < plan.minimum) {
    const retryAt = nextRetry(settings, rec.start_at, s.now());
    const counts = { event_id: rec.event_id, name: rec.name, interested: users.length, minimum: plan.minimum, keyword: plan.keyword };
    if (retryAt !== null) {
      if (!(await transition(s.env.DB, g, rec.event_id, ["scheduled", "retrying"], "retrying", s.now()))) return "stop";
      await s.bus.emit("event_channels.retry_scheduled", { ...counts, retry_at: retryAt }, { guildId: g });
      return { again: { dueAt: retryAt } };
    }
    if (await transition(s.env.DB, g, rec.event_id, ["scheduled", "retrying"], "skipped", s.now()))
      await s.bus.emit("event_channels.skipped", counts, { guildId: g });
    return "stop";
  }
  if (!(await transition(s.env.DB, g, rec.event_id, ["scheduled", "retrying"], "creating", s.now()))) return "stop";
  // The deletion is planned before anything exists: whatever a later failure leaves is removed by then at the latest.
  const deleteAt = deletionTime(settings, rec.start_at, rec.end_at);
  await updateEvent(s.env.DB, g, rec.event_id, { planned_voices: plan.count, delete_at: deleteAt }, s.now());
  await timerOf(s, rec).schedule("delete", deleteAt, "ec.delete", ref(rec));
  Object.assign(rec, { state: "creating", planned_voices: plan.count, delete_at: deleteAt });
  return { interested: users.length };
}

/** Something stops creation for good: tell the admins once, and undo what exists (or mark the event skipped). */
async function abandon(s: Services, rec: EventRecord, problems: string[]): Promise<void> {
  await reportProblem(s, rec, problems);
  if (ownsAnything(rec)) {
    if (await transition(s.env.DB, rec.guild_id, rec.event_id, ["creating"], "ending", s.now())) await queueCleanup(s, rec, "failed");
  } else if (await transition(s.env.DB, rec.guild_id, rec.event_id, ["creating"], "skipped", s.now())) await timerOf(s, rec).cancel("delete");
}

/** What follows once the channels are live: the grants, the announcement, the divider, the start, warning and deletion (each idempotent). */
async function planFollowUps(s: Services, rec: EventRecord, settings: Settings): Promise<void> {
  const t = timerOf(s, rec);
  await t.schedule("grant", s.now(), "ec.grant", { ...ref(rec), role_id: rec.role_id });
  if (settings.announcement_message) await t.schedule("announce", s.now(), "ec.announce", ref(rec));
  await queueDividerSync(s, rec.guild_id);
  await planLiveSteps(s, rec, settings, rec.delete_at ?? deletionTime(settings, rec.start_at, rec.end_at), true);
}

/**
 * Past its deletion time (the bot was away that long, or faults held creation up): whatever were made now would be
 * removed at once, after pinging members. Nothing more is made: an event not begun is skipped (a later move of the
 * event plans it again); one under way has its deletion step, due already, remove what an earlier attempt made.
 */
async function pastDeletion(s: Services, rec: EventRecord, settings: Settings): Promise<boolean> {
  const deleteAt = rec.delete_at ?? deletionTime(settings, rec.start_at, rec.end_at);
  if (s.now() < deleteAt) return false;
  logger.warn("event_channels.too_late", { guild_id: rec.guild_id, event_id: rec.event_id, state: rec.state, late_ms: s.now() - deleteAt });
  if (rec.state === "creating") await timerOf(s, rec).schedule("delete", deleteAt, "ec.delete", ref(rec));
  else await transition(s.env.DB, rec.guild_id, rec.event_id, ["scheduled", "retrying"], "skipped", s.now());
  return true;
}

/**
 * Looks, then makes what is missing. False when creation stopped (abandoned with the admins told, or a cancel won);
 * a transient failure is thrown for the agenda's retry.
 */
async function makeChannels(s: Services, rec: EventRecord, settings: Settings, reading: GuildReading): Promise<boolean> {
  const voices = rec.planned_voices ?? 1;
  const view = problemsBeforeCreating(rec, settings, await channelsNeeded(s, rec, settings, voices), reading);
  if (view.problems.length) {
    await abandon(s, rec, view.problems);
    return false;
  }
  const names = channelNames(settings, rec.name, voices);
  try {
    return await createMissing(s, rec, settings, view, names, roleName(settings, rec.name, rec.start_at), voicePlan(settings, rec.name, 0).userLimit);
  } catch (error) {
    // A refusal (full category after a race, a permission taken away mid-way) will not pass on a retry.
    if (!(error instanceof DiscordApiError) || error.transient) throw error;
    // A definite refusal made nothing: the intent is not to be matched against anything.
    await updateEvent(s.env.DB, rec.guild_id, rec.event_id, NO_INTENT, s.now());
    Object.assign(rec, NO_INTENT);
    await abandon(s, rec, [`Discord refused: ${error.message} (${error.status}).`]);
    return false;
  }
}

const create: TimerAction<"ec.create"> = {
  kind: "ec.create",
  payload: eventRefPayload,
  // Channels due at T−x must exist at T−x, whatever fan-out or sync is running.
  lane: "critical",
  async run(item, { services: s }) {
    const loaded = await load(s, item.payload);
    if (!loaded) return;
    const { rec, settings } = loaded;
    // Live already: an attempt that made it live was cut off (a restart) before it planned what follows.
    if (rec.state === "live") return void (await planFollowUps(s, rec, settings));
    if (!["scheduled", "retrying", "creating"].includes(rec.state)) return; // over
    if (!settings.category_id) {
      logger.info("event_channels.not_configured", { guild_id: rec.guild_id, event_id: rec.event_id });
      return;
    }
    if (await pastDeletion(s, rec, settings)) return;
    // When attendance cannot put creation off, the guild is read in the same round as the Interested list: every
    // round of calls waits for its REST slots behind whatever else saturates the budget.
    const early = rec.state === "creating" || voicePlan(settings, rec.name, 0).minimum === null ? readGuild(s, rec.guild_id) : null;
    early?.catch(() => undefined); // awaited below; a step that stops first leaves its failure unread
    let interested: number | null = null;
    if (rec.state !== "creating") {
      const begun = await begin(s, rec, settings);
      if (begun === "stop") return;
      if (begun && "again" in begun) return begun;
      interested = begun?.interested ?? null;
    } else {
      // Resumed: the attempt that claimed the event may have stopped before it planned the deletion (a no-op if it did).
      await timerOf(s, rec).schedule("delete", rec.delete_at ?? deletionTime(settings, rec.start_at, rec.end_at), "ec.delete", ref(rec));
    }
    if (!(await makeChannels(s, rec, settings, await (early ?? readGuild(s, rec.guild_id))))) return;
    if (!(await transition(s.env.DB, rec.guild_id, rec.event_id, ["creating"], "live", s.now()))) return; // a cancel won: its cleanup runs next
    await planFollowUps(s, { ...rec, state: "live" }, settings);
    await s.bus.emit(
      "event_channels.created",
      { event_id: rec.event_id, name: rec.name, role_id: rec.role_id, text_id: rec.text_id, voice_ids: rec.voice_ids, interested },
      { guildId: rec.guild_id },
    );
  },
};

export const creationKinds: TimerAction[] = [create];
