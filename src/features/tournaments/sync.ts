/** The match → event sync: one list call per guild, compared with every match in the next 168 h, writing only differences. */
import { type APIGuildScheduledEvent, GuildScheduledEventStatus } from "discord-api-types/v10";
import { CRON } from "../../cron-triggers";
import { gatedServices, slotSource } from "../../discord/gated";
import { BudgetDeferred } from "../../discord/rate-gate";
import { guildFanOut } from "../../fan-out";
import type { CronJob, TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { FIELD_NAMES, observedFields } from "./event-format";
import { markedMatch, ownEventsOf } from "./event-marker";
import { forgetMapping, type Mapping, mappingsOf, markDrift, storedFields } from "./mapping-storage";
import { type MatchView, matchesBetween, matchViews, purgeDeletedMatches } from "./match-storage";
import { type MirrorState, mirrorMatch, retryMirror } from "./mirror";
import { planGuildSync, SYNC_HORIZON_MS, type SyncEntry } from "./mirror-plan";
import { listTournaments } from "./storage";
import { recordSync, type SyncResult } from "./sync-status";
import { syncPayload } from "./timer-payloads";

const WRITES: readonly MirrorState[] = ["created", "updated", "deleted", "completed"];

/**
 * Writes one run may make; the rest continue in the guild's next timer run, so a first sync of a big
 * league stays inside one invocation's subrequest and CPU budget.
 */
export const SYNC_WRITES_PER_RUN = 200;
export async function syncGuild(base: Services, guildId: string, maxWrites = SYNC_WRITES_PER_RUN): Promise<SyncResult> {
  // Every call the sync makes (the list, each write when it becomes a call) takes a background slot of the REST
  // budget just before it is made, fair between the guilds whose syncs all run at the same hour.
  const slots = slotSource(base, { lane: "background", guild: guildId, maxWaitMs: 10_000 });
  const s = gatedServices(base, slots);
  const db = s.env.DB;
  const now = s.now();
  const result: SyncResult = { created: 0, updated: 0, deleted: 0, unchanged: 0, over_limit: 0, failed: 0, calls: 0 };
  const [tournaments, mappings, upcoming] = await Promise.all([
    listTournaments(db, guildId),
    mappingsOf(db, guildId),
    matchesBetween(db, guildId, now, now + SYNC_HORIZON_MS),
  ]);
  const byTournament = new Map(tournaments.map((t) => [t.id, t]));
  const enabled = (m: MatchView) => {
    const t = byTournament.get(m.tournament_id);
    return t !== undefined && t.create_scheduled_events === 1 && t.scheduled_events_enabled === 1;
  };
  const inWindow = upcoming.filter(enabled);
  if (inWindow.length === 0 && mappings.length === 0) {
    await recordSync(db, guildId, result, now);
    return result;
  }
  const listedAt = s.now();
  let events: APIGuildScheduledEvent[];
  try {
    events = await s.api.scheduledEvents.list(guildId);
    result.calls++;
  } catch (error) {
    if (error instanceof BudgetDeferred) return { ...result, remaining: 1, retry_at: error.retryAt };
    logger.error("tournaments.sync_list_failed", { guild_id: guildId, error });
    const failed = { ...result, calls: 1, error: error instanceof Error ? error.message : String(error) };
    await recordSync(db, guildId, failed, now);
    return failed;
  }
  const listed = new Map(events.map((e) => [e.id, e]));
  const mappingOf = new Map<number, Mapping>(mappings.map((m) => [m.match_id, m]));
  const ours = new Set(mappings.map((m) => m.scheduled_event_id));
  // The bot's own events (its creator, its marker) that nothing maps: a create whose answer was lost, or a duplicate.
  const strays = ownEventsOf(events, guildId, s.env.DISCORD_APPLICATION_ID).filter((e) => !ours.has(e.id));
  const strayMatches = new Set(strays.map((e) => markedMatch(e.description, guildId) as number));
  const seen = new Set(inWindow.map((m) => m.id));
  const ids = [...new Set([...seen, ...mappings.map((m) => m.match_id), ...strayMatches])];
  const outside = await matchViews(
    db,
    guildId,
    ids.filter((id) => !seen.has(id)),
  );
  const matches = new Map<number, MatchView>([...inWindow, ...outside].map((m) => [m.id, m]));
  const entries: SyncEntry[] = ids.map((id) => {
    const match = matches.get(id) ?? null;
    const mapping = mappingOf.get(id);
    const ev = mapping?.scheduled_event_id ? listed.get(mapping.scheduled_event_id) : undefined;
    return {
      matchId: id,
      match,
      tournament: match ? (byTournament.get(match.tournament_id) ?? null) : null,
      mappedEventId: mapping?.scheduled_event_id ?? null,
      eventStatus: mapping?.event_status ?? null,
      observed: ev ? observedFields(ev) : null,
      observedStatus: ev?.status ?? null,
    };
  });
  const strayIds = new Set(strays.map((e) => e.id));
  const othersActive = events.filter((e) => !ours.has(e.id) && !strayIds.has(e.id) && e.status <= GuildScheduledEventStatus.Active).length;
  const plan = planGuildSync(entries, othersActive, now);
  // A match whose only business is a stray event still gets its mirror run: it adopts the stray or removes it.
  for (const id of strayMatches) {
    if (plan.work.some((w) => w.matchId === id)) continue;
    plan.work.push({ matchId: id, action: "tidy" });
    plan.forget = plan.forget.filter((f) => f !== id);
  }
  result.unchanged = plan.unchanged;
  result.over_limit = plan.overLimit.length;
  for (const id of plan.forget) {
    if ((mappingOf.get(id)?.updated_at ?? 0) <= listedAt) await forgetMapping(db, guildId, id, s.now());
  }
  let writes = 0;
  for (const [index, { matchId, action }] of plan.work.entries()) {
    // The budget is full for a while (more urgent lanes, other guilds): the rest waits for the next run.
    if (writes >= maxWrites || slots.deferredUntil) {
      result.remaining = plan.work.length - index;
      if (slots.deferredUntil) result.retry_at = slots.deferredUntil;
      break;
    }
    const row = mappingOf.get(matchId);
    const ev = (row?.scheduled_event_id && listed.get(row.scheduled_event_id)) || null;
    let state = await mirrorMatch(s, guildId, matchId, { observed: { at: listedAt, event: ev }, evict: action === "evict", listed: events });
    if (state === "busy" && action === "patch" && row && ev) {
      // A live change holds the match and knows nothing of the drift: hand the drift over, then try once more.
      const stored = storedFields(row);
      const seen = observedFields(ev);
      await markDrift(db, guildId, matchId, stored ? FIELD_NAMES.filter((k) => stored[k] !== seen[k]) : FIELD_NAMES);
      state = await mirrorMatch(s, guildId, matchId);
    }
    // Held by an invocation that may have died with the lease (or Discord failed): the match's own timer tries
    // again once the lease has run out, rather than the next hourly run.
    if (state === "busy" || state === "failed") await retryMirror(s, guildId, matchId, state);
    if (WRITES.includes(state)) {
      result.calls++;
      writes++;
    }
    if (state === "created") result.created++;
    else if (state === "updated") result.updated++;
    else if (state === "deleted" || state === "completed") result.deleted++;
    else if (state === "failed") result.failed++;
    else if (state === "unchanged" || state === "busy") result.unchanged++;
  }
  await recordSync(db, guildId, result, s.now());
  logger.info("tournaments.synced", { guild_id: guildId, ...result });
  // A sync that changed nothing is not news; one that wrote or failed is.
  if (result.created + result.updated + result.deleted + result.failed > 0 || result.over_limit > 0) await s.bus.emit("tournament.synced", result, { guildId });
  return result;
}

/** Guilds with something to sync (a tournament that mirrors matches, or events still mapped) that the bot is still in, a page after `after`. */
async function guildsToSync(db: D1Database, after: string, limit: number): Promise<{ guild_id: string }[]> {
  // Each arm is cut at the page size before the union, so a page reads about a page of rows, not the rest of the table.
  const present = "NOT EXISTS (SELECT 1 FROM guilds g WHERE g.guild_id = x.guild_id AND g.left_at IS NOT NULL)";
  const rows = await db
    .prepare(
      `SELECT guild_id FROM (
         SELECT * FROM (SELECT DISTINCT guild_id FROM tournaments x WHERE create_scheduled_events = 1 AND guild_id > ?1 AND ${present} ORDER BY guild_id LIMIT ?2)
         UNION SELECT * FROM (SELECT DISTINCT guild_id FROM match_events x WHERE guild_id > ?1 AND ${present} ORDER BY guild_id LIMIT ?2)
       ) ORDER BY guild_id LIMIT ?2`,
    )
    .bind(after, limit)
    .all<{ guild_id: string }>();
  return rows.results;
}

export const syncTimerName = (guildId: string) => `tsync:${guildId}`;

/** Runs the guild's sync on its own timer (now), so each guild gets its own invocation and retries. */
export async function queueGuildSync(s: Services, guildId: string): Promise<void> {
  await s.timer(syncTimerName(guildId)).schedule("sync", s.now(), "tournaments.sync", { guild_id: guildId });
}

export const syncKind: TimerAction<"tournaments.sync"> = {
  kind: "tournaments.sync",
  payload: syncPayload,
  lane: "background",
  async run(item, { services: s, now }) {
    const { guild_id } = item.payload;
    const r = await syncGuild(s, guild_id);
    if (r.remaining) return { again: { dueAt: Math.max(now, r.retry_at ?? 0) } };
    return undefined;
  },
};

/** Hourly: each guild's sync is queued on its own timer, a page of guilds at a time. */
export const matchEventSync: CronJob = guildFanOut({
  name: "tournaments.match-event-sync",
  cron: CRON.hourly,
  page: (s, after, limit) => guildsToSync(s.env.DB, after, limit),
  enqueue: (s, { guild_id }, dueAt) => s.timer(syncTimerName(guild_id)).schedule("sync", dueAt, "tournaments.sync", { guild_id }),
  global: (s) => purgeDeletedMatches(s.env.DB, s.now() - 7 * 86_400_000),
});
