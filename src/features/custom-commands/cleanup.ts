/**
 * The daily cleanup: warn creators of commands idle 60+ days (once per idle period), delete those idle 90+ days,
 * report. Each DM is recorded with the change it announces, so a rerun or a crash never sends one twice.
 */

import { TimestampStyles, time } from "@discordjs/formatters";
import * as z from "zod";
import { CRON } from "../../cron-triggers";
import { openDm } from "../../discord/dm";
import { LIMITS } from "../../discord/message-limits";
import { deliverKey, intentStatement, postOnce, unfinished } from "../../discord/post-once";
import { BudgetDeferred } from "../../discord/rate-gate";
import { guildFanOut } from "../../fan-out";
import type { CronJob, TimerAction } from "../../feature";
import { readGuildSettings } from "../../guild-settings";
import { cappedList } from "../../interactions/list-view";
import { logger } from "../../log";
import type { Services } from "../../services";
import { guildPayload } from "../../timers/payloads";
import { readSlashSettings, syncLater } from "./slash";
import { type CustomCommand, listCommands } from "./storage";

const DAY = 86_400_000;
export const WARN_AFTER_DAYS = 60;
export const DELETE_AFTER_DAYS = 90;

const idleDays = (c: CustomCommand, now: number) => Math.floor((now - (c.last_used_at ?? c.created_at)) / DAY);

/** The next 04:30 UTC after `now` (the cron's schedule), for the summary. */
function nextRun(now: number): number {
  const d = new Date(now);
  const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 4, 30);
  return next > now ? next : next + DAY;
}

function byCreator(list: CustomCommand[]): Map<string, CustomCommand[]> {
  const m = new Map<string, CustomCommand[]>();
  for (const c of list) m.set(c.creator_id, [...(m.get(c.creator_id) ?? []), c]);
  return m;
}

export interface CleanupReport {
  warned: number;
  deleted: number;
  dm_failed: number;
  remaining: number;
}

/** Notices of this cleanup: one key per guild, member (or summary) and day, so a second run that day sends none. */
const noticeKey = (kind: "warn" | "delete" | "summary", guildId: string, day: string, userId = "") => `cc-${kind}:${guildId}:${userId}:${day}`;

/**
 * Records the DM's intent in the same transaction as the change it announces (`change` reports rows
 * changed), then sends it. A run that finds the change already made (another run did it) sends nothing;
 * a crash after the transaction is finished by the next run. Returns whether this run made the change,
 * and whether the DM went out.
 */
async function announce(s: Services, guildId: string, userId: string, key: string, content: string, change: D1PreparedStatement[]) {
  const db = s.env.DB;
  let channelId: string | null = null;
  try {
    channelId = await openDm(s, userId);
  } catch (error) {
    // The REST budget is full for a while: the whole run waits for it (nothing changed yet), rather than warn unseen.
    if (error instanceof BudgetDeferred) throw error;
    logger.warn("custom_commands.dm_unavailable", { guild_id: guildId, user_id: userId, error });
  }
  const intent = channelId ? [intentStatement(db, { key, guildId, channelId, body: { content, allowed_mentions: { parse: [] } } }, s.now())] : [];
  const results = await db.batch([...intent, ...change]);
  const changed = results.slice(intent.length).reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  if (!changed) return { mine: false, dm: false };
  if (!channelId) return { mine: true, dm: false };
  return { mine: true, dm: await sendNotice(s, guildId, key) };
}

async function sendNotice(s: Services, guildId: string, key: string): Promise<boolean> {
  try {
    return (await deliverKey(s, key))?.messageId != null;
  } catch (error) {
    // Recorded with its change: the run that resumes after the budget's wait sends it first (`unfinished`).
    if (error instanceof BudgetDeferred) throw error;
    logger.warn("custom_commands.notice_failed", { guild_id: guildId, key, error });
    return false;
  }
}

export async function cleanGuild(s: Services, guildId: string, now: number): Promise<CleanupReport> {
  const db = s.env.DB;
  // Notices a crashed run recorded (with their change) but did not send go out first.
  for (const key of await unfinished(db, guildId, "cc-")) await sendNotice(s, guildId, key);
  const all = await listCommands(db, guildId);
  const doomed = all.filter((c) => idleDays(c, now) >= DELETE_AFTER_DAYS);
  const warn = all.filter((c) => !c.warned_at && idleDays(c, now) >= WARN_AFTER_DAYS && idleDays(c, now) < DELETE_AFTER_DAYS);
  const report: CleanupReport = { warned: 0, deleted: 0, dm_failed: 0, remaining: all.length - doomed.length };
  const day = new Date(now).toISOString().slice(0, 10);

  for (const [creator, list] of byCreator(warn)) {
    const lines = list.map((c) => `• \`${c.name}\` — unused for ${idleDays(c, now)} days; deleted in ${DELETE_AFTER_DAYS - idleDays(c, now)} days`);
    const content = `${cappedList("Your custom commands in this server have not been used for a while:", lines, LIMITS.content - 60)}\nUse one once (\`/cc run\`) to keep it.`;
    // Warned once per idle period even when the DM bounced: the deletion stays on schedule either way.
    const marks = list.map((c) =>
      db.prepare("UPDATE custom_commands SET warned_at = ? WHERE guild_id = ? AND name = ? AND warned_at IS NULL").bind(now, guildId, c.name),
    );
    const { mine, dm } = await announce(s, guildId, creator, noticeKey("warn", guildId, day, creator), content, marks);
    if (!mine) continue;
    if (!dm) report.dm_failed++;
    for (const c of list) await s.bus.emit("custom_command.warned", { name: c.name, idle_days: idleDays(c, now), dm }, { guildId, userId: creator });
    report.warned += list.length;
  }

  // The deletions leave the server's slash commands by a sync planned before any is made, on this guild's timer (it
  // runs right after this step): a step cut after its deletions (the budget deferred a DM) finds nothing left to
  // delete when it runs again, and would otherwise never sync.
  if (doomed.length && (await readSlashSettings(db, guildId)).register_slash) await syncLater(s, guildId, s.now());
  for (const [creator, list] of byCreator(doomed)) {
    const lines = list.map(
      (c) => `• \`${c.name}\` — used ${c.uses} times, last ${c.last_used_at ? new Date(c.last_used_at).toISOString().slice(0, 10) : "never"}`,
    );
    const content = `${cappedList(`These custom commands were deleted after ${DELETE_AFTER_DAYS} days unused:`, lines, LIMITS.content - 60)}\nYou can make them again with \`/cc create\`.`;
    const deletes = list.map((c) => db.prepare("DELETE FROM custom_commands WHERE guild_id = ? AND name = ?").bind(guildId, c.name));
    const { mine, dm } = await announce(s, guildId, creator, noticeKey("delete", guildId, day, creator), content, deletes);
    if (!mine) continue;
    if (!dm) report.dm_failed++;
    for (const c of list) await s.bus.emit("custom_command.deleted", { name: c.name, reason: "unused", uses: c.uses }, { guildId, userId: creator });
    report.deleted += list.length;
  }

  if (report.warned || report.deleted) await postSummary(s, guildId, day, report, now);
  await s.bus.emit("cleanup.completed", { ...report, job: "custom_commands" }, { guildId });
  return report;
}

async function postSummary(s: Services, guildId: string, day: string, report: CleanupReport, now: number): Promise<void> {
  const audit = (await readGuildSettings(s.env.DB, guildId)).audit_channel_id;
  if (!audit) return;
  const content =
    `🧹 Custom command cleanup: ${report.warned} warned, ${report.deleted} deleted` +
    `${report.dm_failed ? ` (${report.dm_failed} DMs could not be delivered)` : ""}; ${report.remaining} commands remain. Next run ${time(new Date(nextRun(now)), TimestampStyles.RelativeTime)}.`;
  await postOnce(s, { key: noticeKey("summary", guildId, day), guildId, channelId: audit, body: { content, allowed_mentions: { parse: [] } } }).catch(
    (error) => {
      // No slot for a while: the step runs again then and posts the recorded summary first (`unfinished`).
      if (error instanceof BudgetDeferred) throw error;
      logger.warn("custom_commands.summary_failed", { guild_id: guildId, error });
    },
  );
}

export const cleanupTimer = (guildId: string) => `cc:${guildId}`;

const cleanupPayload = guildPayload.extend({ at: z.number().int() });

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "custom_commands.cleanup": z.infer<typeof cleanupPayload>;
  }
}

/** One guild's cleanup on its own timer; `at` is the cron's time, so a late run judges idleness as of then. */
const cleanupKind: TimerAction<"custom_commands.cleanup"> = {
  kind: "custom_commands.cleanup",
  payload: cleanupPayload,
  lane: "background",
  async run(item, { services: s }) {
    const { guild_id, at } = item.payload;
    await cleanGuild(s, guild_id, at);
  },
};

/** Daily: each guild with custom commands is cleaned on its own timer, a page of guilds at a time. */
export const customCommandCleanup: CronJob = guildFanOut({
  name: "custom_commands.cleanup",
  cron: CRON.daily,
  page: async (s, after, limit) =>
    (
      await s.env.DB.prepare("SELECT DISTINCT guild_id FROM custom_commands WHERE guild_id > ? ORDER BY guild_id LIMIT ?")
        .bind(after, limit)
        .all<{ guild_id: string }>()
    ).results,
  enqueue: (s, { guild_id }, dueAt, at) => s.timer(cleanupTimer(guild_id)).schedule("cleanup", dueAt, "custom_commands.cleanup", { guild_id, at }),
  guildKinds: [cleanupKind],
});
