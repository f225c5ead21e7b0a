/** Cleanup as a resumable step: removes exactly what the event's record owns, recording each removal as it goes. */
import { DiscordApiError } from "../../discord/errors";
import type { TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { gone, recoverIntent, withMade } from "./actions";
import { queueDividerSync } from "./divider";
import { forgetHolders } from "./holders";
import { archivedOverwrites, channelNames } from "./plan";
import { readSettings, type Settings } from "./settings";
import { type EventRecord, getEvent, NO_INTENT, ownsAnything, transition, updateEvent } from "./storage";
import { type EventRef, timerOf } from "./timeline";
import { cleanupPayload, eventRefPayload } from "./timer-payloads";

/** Whether anyone but bots wrote in the channel (decides archive vs delete). */
async function hasMemberMessages(s: Services, channelId: string): Promise<boolean> {
  const msgs = await gone(s.api.channels.messages(channelId, 100));
  return !!msgs?.some((m) => !m.author.bot);
}

/** What a crashed step made but never recorded is found by its intent and removed with the rest. */
async function adoptDanglingIntent(s: Services, rec: EventRecord): Promise<void> {
  if (!rec.intent_kind) return;
  const patch: Partial<EventRecord> = { ...withMade(rec, await recoverIntent(s, rec, null)), ...NO_INTENT };
  await updateEvent(s.env.DB, rec.guild_id, rec.event_id, patch, s.now());
  Object.assign(rec, patch);
}

/**
 * Moves the text channel members wrote in to the archive category, read-only. If Discord refuses the move (the
 * archive category is full or gone), it is archived where it is: never left writable, never lost.
 */
async function archive(s: Services, rec: EventRecord, settings: Settings, textId: string): Promise<"archived" | "deleted"> {
  const name = `archived-${channelNames(settings, rec.name, 1).text}`.slice(0, 100);
  // No role in its overwrites: the event role is ours and deleted alongside (an overwrite naming it could be gone by
  // the edit); a role the bot did not make was never in them.
  const permission_overwrites = archivedOverwrites(rec.guild_id, null, s.env.DISCORD_APPLICATION_ID);
  const reason = "Event over: archived";
  try {
    return (await gone(s.api.channels.edit(textId, { name, parent_id: settings.archive_category_id, permission_overwrites }, { reason })))
      ? "archived"
      : "deleted";
  } catch (error) {
    if (!(error instanceof DiscordApiError) || error.transient) throw error;
    logger.warn("event_channels.archive_in_place", { guild_id: rec.guild_id, event_id: rec.event_id, error });
    return (await gone(s.api.channels.edit(textId, { name, permission_overwrites }, { reason }))) ? "archived" : "deleted";
  }
}

/** Voice channels and the role deleted, the text channel archived (members wrote in it) or deleted; each recorded as done. */
async function removeOwned(s: Services, rec: EventRecord, settings: Settings | null): Promise<"archived" | "deleted"> {
  const g = rec.guild_id;
  const save = (patch: Partial<EventRecord>) => updateEvent(s.env.DB, g, rec.event_id, patch, s.now());
  // Two rounds of calls, not one per object: each call of this critical step waits for its REST slot.
  const voices = [...rec.voice_ids];
  const [written, ...removed] = await Promise.allSettled([
    rec.text_id && settings?.archive_category_id ? hasMemberMessages(s, rec.text_id) : Promise.resolve(false),
    ...voices.map((id) => gone(s.api.channels.delete(id, { reason: "Event over" }))),
  ]);
  rec.voice_ids = voices.filter((_, i) => removed[i]?.status === "rejected");
  if (rec.voice_ids.length < voices.length) await save({ voice_ids: rec.voice_ids });
  const failed = [written, ...removed].find((r) => r?.status === "rejected");
  if (failed?.status === "rejected") throw failed.reason;
  let outcome: "archived" | "deleted" = "deleted";
  const textId = rec.text_id;
  // Only a role the bot made (or the Red cog's records named) is ever deleted.
  const roleId = rec.role_id && rec.role_created ? rec.role_id : null;
  const last = await Promise.allSettled([
    (async () => {
      if (!textId) return;
      if (settings?.archive_category_id && written.status === "fulfilled" && written.value) outcome = await archive(s, rec, settings, textId);
      else await gone(s.api.channels.delete(textId, { reason: "Event over" }));
      await save({ text_id: null });
    })(),
    (async () => {
      if (roleId) await gone(s.api.guilds.deleteRole(g, roleId, { reason: "Event over" }));
    })(),
  ]);
  const refused = last.find((r) => r.status === "rejected");
  if (refused) throw refused.reason;
  if (rec.role_id) await save({ role_id: null, role_created: false });
  return outcome;
}

/** Cleanup: at the deletion time, on cancellation, after a failed creation, or when every channel was deleted by hand. */
export async function cleanUp(s: Services, r: EventRef, reason: string, runningKey: string): Promise<void> {
  const rec = await getEvent(s.env.DB, r.guild_id, r.event_id);
  if (!rec || rec.state === "done" || rec.state === "cancelled") return; // cleaned up already (an archived channel is no longer ours to touch)
  const final = reason === "ended" ? "done" : "cancelled";
  const active = ["scheduled", "retrying", "creating", "live", "ending", "skipped"] as const;
  if (!ownsAnything(rec)) {
    await timerOf(s, rec).cancel("*");
    await forgetHolders(s.env.DB, rec.guild_id, rec.event_id);
    await transition(s.env.DB, rec.guild_id, rec.event_id, active, final, s.now());
    if (rec.state === "live" || rec.state === "ending") await queueDividerSync(s, rec.guild_id);
    return;
  }
  // "ending" first: the CHANNEL_DELETE / GUILD_ROLE_DELETE our own deletions cause must not look like manual ones.
  await transition(s.env.DB, rec.guild_id, rec.event_id, active, "ending", s.now());
  const timer = timerOf(s, rec);
  for (const key of ["create", "grant", "announce", "start", "warn", "member:*", "resync", "restore-role"]) await timer.cancel(key);
  const textId = rec.text_id;
  await adoptDanglingIntent(s, rec);
  const outcome = await removeOwned(s, rec, await readSettings(s.env.DB, rec.guild_id));
  // Only now: until here the pending deletion was the fallback should this cleanup fail for good.
  for (const item of await timer.list()) if (item.key !== runningKey && item.status === "pending") await timer.cancel(item.key);
  await forgetHolders(s.env.DB, rec.guild_id, rec.event_id);
  await transition(s.env.DB, rec.guild_id, rec.event_id, ["ending"], final, s.now());
  await queueDividerSync(s, rec.guild_id);
  await s.bus.emit(`event_channels.${outcome}`, { event_id: rec.event_id, name: rec.name, reason, text_id: textId }, { guildId: rec.guild_id });
}

/** Removal retries for about a day (backoff capped at an hour), and a stale `ending` row is picked up again hourly. */
const CLEANUP_ATTEMPTS = 30;

const remove: TimerAction<"ec.delete"> = {
  kind: "ec.delete",
  payload: eventRefPayload,
  // Channels disappearing at the announced time is what members see: not behind fan-outs or syncs.
  lane: "critical",
  maxAttempts: CLEANUP_ATTEMPTS,
  async run(item, { services: s }) {
    await cleanUp(s, item.payload, "ended", item.key);
  },
};

const cleanup: TimerAction<"ec.cleanup"> = {
  kind: "ec.cleanup",
  payload: cleanupPayload,
  lane: "critical",
  maxAttempts: CLEANUP_ATTEMPTS,
  async run(item, { services: s }) {
    const p = item.payload;
    await cleanUp(s, p, p.reason, item.key);
  },
};

export const cleanupKinds: TimerAction[] = [remove, cleanup];
