/** Decides what the Discord side of one match, or of a whole guild's sync, needs; pure, no I/O. */
import { GuildScheduledEventStatus } from "discord-api-types/v10";
import { changedFields, desiredEvent, type EventFields, type MatchForEvent, MIN_LEAD_MS, patchBody, type TournamentForEvent, wantsEvent } from "./event-format";

/** Discord's cap on a guild's SCHEDULED + ACTIVE events (error 30038). */
export const GUILD_EVENT_LIMIT = 100;
/** The sync looks this far ahead (seed: 168 h). */
export const SYNC_HORIZON_MS = 168 * 3_600_000;

export type MirrorAction =
  | { do: "none"; why: "disabled" | "too_soon" | "unchanged" }
  | { do: "create"; fields: EventFields }
  | { do: "patch"; fields: EventFields; changed: (keyof EventFields)[]; body: ReturnType<typeof patchBody> }
  | { do: "delete"; why: "finished" | "deleted" | "disabled" | "too_soon" }
  | { do: "complete" }
  | { do: "forget" };

export interface MirrorInput {
  tournament: TournamentForEvent | null;
  match: MatchForEvent | null;
  /** The mapped event exists on Discord (as far as the caller knows). */
  hasEvent: boolean;
  /** What the event says now: Discord's copy when the sync has just listed it, else what was last sent. */
  current: EventFields | null;
  eventStatus: number | null;
  now: number;
}

export function planMirror(i: MirrorInput): MirrorAction {
  const { match, tournament } = i;
  if (!match || !tournament || !wantsEvent(tournament, match)) {
    if (!i.hasEvent) return match && tournament && match.status === "scheduled" ? { do: "none", why: "disabled" } : { do: "forget" };
    if (match?.status === "finished" && i.eventStatus === GuildScheduledEventStatus.Active) return { do: "complete" };
    return { do: "delete", why: !match || match.status === "deleted" ? "deleted" : match.status === "finished" ? "finished" : "disabled" };
  }
  const want = desiredEvent(tournament, match);
  const soon = want.start_at <= i.now + MIN_LEAD_MS;
  if (!i.hasEvent) return soon ? { do: "none", why: "too_soon" } : { do: "create", fields: want };
  const changed = changedFields(want, i.current);
  const keys = Object.keys(changed) as (keyof EventFields)[];
  if (keys.length === 0) return { do: "none", why: "unchanged" };
  // Moved to (almost) now or the past: Discord refuses a past start, and an event for it would mislead.
  if (changed.start_at !== undefined && soon) return { do: "delete", why: "too_soon" };
  return { do: "patch", fields: want, changed: keys, body: patchBody(changed, want) };
}

/** One match as the sync sees it: its data, its mapping row, and Discord's copy from the one list call. */
export interface SyncEntry {
  matchId: number;
  tournament: TournamentForEvent | null;
  match: MatchForEvent | null;
  mappedEventId: string | null;
  eventStatus: number | null;
  /** Discord's copy of the mapped event, or null when the list no longer has it. */
  observed: EventFields | null;
  observedStatus: number | null;
}

export interface GuildSyncPlan {
  /** Matches whose event needs a write, soonest first, with the action the list implies. */
  work: { matchId: number; action: MirrorAction["do"] | "evict" | "tidy" }[];
  /** Mapping rows whose event is gone and that need no event any more (no REST call). */
  forget: number[];
  /** Matches that should have an event but do not fit under the guild's limit. */
  overLimit: number[];
  unchanged: number;
}

/**
 * Compares every match with Discord's list. `othersActive` counts SCHEDULED/ACTIVE events the bot does
 * not own. When the guild is at its limit the soonest matches win: a later match's event is removed to
 * make room for a sooner one.
 */
export function planGuildSync(entries: readonly SyncEntry[], othersActive: number, now: number): GuildSyncPlan {
  const plan: GuildSyncPlan = { work: [], forget: [], overLimit: [], unchanged: 0 };
  const wanted: { e: SyncEntry; action: MirrorAction }[] = [];
  for (const e of entries) {
    const live = e.mappedEventId !== null && e.observed !== null && (e.observedStatus === null || e.observedStatus <= GuildScheduledEventStatus.Active);
    const action = planMirror({
      tournament: e.tournament,
      match: e.match,
      hasEvent: live,
      current: live ? e.observed : null,
      eventStatus: e.observedStatus ?? e.eventStatus,
      now,
    });
    if (action.do === "forget" || (!live && e.mappedEventId !== null && action.do === "none")) {
      plan.forget.push(e.matchId);
      continue;
    }
    // Matches that hold an event, or should get one, compete for the guild's free slots below.
    if (action.do === "create" || (live && (action.do === "patch" || action.do === "none"))) {
      wanted.push({ e, action });
      continue;
    }
    if (action.do === "none") {
      plan.unchanged++;
      continue;
    }
    plan.work.push({ matchId: e.matchId, action: action.do });
  }
  // Everything that should hold an event competes for the free slots, soonest first.
  wanted.sort((x, y) => (x.e.match?.scheduled_at ?? 0) - (y.e.match?.scheduled_at ?? 0) || x.e.matchId - y.e.matchId);
  const slots = Math.max(0, GUILD_EVENT_LIMIT - othersActive);
  const evictions: GuildSyncPlan["work"] = [];
  const writes: GuildSyncPlan["work"] = [];
  wanted.forEach(({ e, action }, index) => {
    if (index < slots) {
      if (action.do === "none") plan.unchanged++;
      else writes.push({ matchId: e.matchId, action: action.do });
      return;
    }
    plan.overLimit.push(e.matchId);
    if (action.do !== "create") evictions.push({ matchId: e.matchId, action: "evict" });
  });
  // Removals first, so the slots they free are there when the creates run.
  plan.work.push(...evictions, ...writes);
  return plan;
}
