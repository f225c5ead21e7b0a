/** Brings one match's Discord scheduled event in line with the match, under the match's lease; never throws. */
import {
  type APIGuildScheduledEvent,
  GuildScheduledEventStatus,
  PermissionFlagsBits,
  type RESTPatchAPIGuildScheduledEventJSONBody,
  Routes,
} from "discord-api-types/v10";
import { DiscordApiError, DiscordErrorCode } from "../../discord/errors";
import { botGuildPermissions, forgetBotPermissions } from "../../discord/permission-cache";
import type { TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { createBody, type EventFields, observedFields } from "./event-format";
import {
  abandonLease,
  acquireLease,
  LEASE_MS,
  type Mapping,
  readMapping,
  recordOutcome,
  recordPatch,
  recordRevision,
  releaseLease,
  storedFields,
} from "./mapping-storage";
import { matchWithTournament } from "./match-storage";
import { type MirrorAction, planMirror } from "./mirror-plan";
import { setPermissionWarning } from "./sync-status";

/** Either permission lets the bot create events and manage its own. */
export const EVENT_PERMISSIONS = PermissionFlagsBits.CreateEvents | PermissionFlagsBits.ManageEvents;
/** Rounds before giving up to the hourly sync: each round exists only because the match changed meanwhile. */
const MAX_ROUNDS = 4;

export const MIRROR_ERRORS = { permission: "missing_permission", limit: "limit" } as const;

export type MirrorState = "created" | "updated" | "deleted" | "completed" | "unchanged" | "skipped" | "busy" | "failed";

export interface MirrorOptions {
  /** Discord's copy from the sync's list call and when it was read; trusted only if the mapping is older. */
  observed?: { at: number; event: APIGuildScheduledEvent | null };
  /** The sync needs the slot for a sooner match. */
  evict?: boolean;
}

interface Step {
  state: MirrorState;
  eventId: string | null;
  fields: EventFields | null;
  status?: number | null;
  error: string | null;
  /** Whether the stored copy changed (a REST write happened or Discord's copy was adopted). */
  store: boolean;
  /** For a PATCH: the fields sent. */
  changed?: (keyof EventFields)[];
}

export const mirrorTimerName = (guildId: string, matchId: number) => `tm:${guildId}:${matchId}`;
const RETRY_AFTER_FAILURE_MS = 30_000;

/**
 * A live change Discord did not take (5xx, timeout) or that found the match held: the match's own timer
 * tries again (with backoff), so nothing waits for the hourly sync, and a holder that died is covered.
 */
export async function retryMirror(s: Services, guildId: string, matchId: number, why: "failed" | "busy"): Promise<void> {
  const due = s.now() + (why === "busy" ? LEASE_MS + 1000 : RETRY_AFTER_FAILURE_MS);
  await s.timer(mirrorTimerName(guildId, matchId)).schedule("mirror", due, "tournaments.mirror", { guild_id: guildId, match_id: matchId });
}

export const mirrorKind: TimerAction = {
  kind: "tournaments.mirror",
  maxAttempts: 5,
  async run(item, { services: s, now }) {
    const { guild_id, match_id } = item.payload as { guild_id: string; match_id: number };
    const state = await mirrorMatch(s, guild_id, match_id);
    if (state === "busy") return { again: { dueAt: now + LEASE_MS + 1000 } };
    // Thrown so the agenda backs off and retries; after the last attempt the hourly sync still repairs it.
    if (state === "failed") throw new Error(`mirroring match ${match_id} failed`);
    return undefined;
  },
};

export async function mirrorMatch(s: Services, guildId: string, matchId: number, opts: MirrorOptions = {}): Promise<MirrorState> {
  const db = s.env.DB;
  const owner = crypto.randomUUID();
  let mapping = await acquireLease(db, guildId, matchId, owner, s.now());
  if (!mapping) {
    // Another invocation holds the match; it re-reads the revision we bumped before it lets go.
    logger.debug("tournaments.mirror_busy", { guild_id: guildId, match_id: matchId });
    return "busy";
  }
  let state: MirrorState = "unchanged";
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      state = (await run(s, guildId, matchId, mapping, round === 0 ? opts : {}, owner)).state;
      if (await releaseLease(db, owner, matchId)) return state;
      const again = await readMapping(db, guildId, matchId);
      if (!again) return state;
      mapping = again;
    }
    logger.warn("tournaments.mirror_rounds_exhausted", { guild_id: guildId, match_id: matchId });
  } catch (error) {
    logger.error("tournaments.mirror_failed", { guild_id: guildId, match_id: matchId, error });
    await abandonLease(db, owner, matchId, `error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300));
    return "failed";
  }
  await abandonLease(db, owner, matchId);
  return state;
}

async function run(s: Services, guildId: string, matchId: number, m: Mapping, o: MirrorOptions, owner: string): Promise<Step> {
  const db = s.env.DB;
  const { match, tournament } = await matchWithTournament(db, guildId, matchId);
  const revision = match?.revision ?? m.synced_revision;
  const adoptObserved = o.observed !== undefined && m.updated_at <= o.observed.at;
  const observed = adoptObserved && o.observed?.event && o.observed.event.status <= GuildScheduledEventStatus.Active ? o.observed.event : null;
  const eventId = adoptObserved ? (observed?.id ?? null) : m.scheduled_event_id;
  const current = adoptObserved ? (observed ? observedFields(observed) : null) : storedFields(m);
  const action: MirrorAction = o.evict
    ? eventId
      ? { do: "delete", why: "disabled" }
      : { do: "none", why: "unchanged" }
    : planMirror({ tournament, match, hasEvent: eventId !== null, current, eventStatus: observed?.status ?? m.event_status, now: s.now() });
  const step = await execute(s, guildId, action, eventId, current, o.evict === true).catch(async (error: unknown): Promise<Step> => {
    // The cache said yes but Discord said no: believe Discord, tell the admin once, retry nothing.
    if (!(error instanceof DiscordApiError && error.is(DiscordErrorCode.MissingPermissions))) throw error;
    await forgetBotPermissions(db, guildId);
    checked.get(s)?.set(guildId, false);
    await setPermissionWarning(s, guildId, "Discord refused to change the event: I need the **Create Events** permission (or **Manage Events**).");
    return { state: "skipped", eventId, fields: current, error: MIRROR_ERRORS.permission, store: false };
  });
  if (step.changed && !adoptObserved) {
    // Only what was sent is known to be on Discord; a drift the sync marked on another field must survive.
    await recordPatch(db, owner, matchId, step.changed, step.fields as EventFields, revision, step.status ?? null, s.now());
  } else if (step.store || adoptObserved) {
    await recordOutcome(
      db,
      owner,
      matchId,
      { eventId: step.eventId, fields: step.fields, slug: tournament?.slug ?? m.event_slug, revision, error: step.error, status: step.status },
      s.now(),
    );
  } else {
    await recordRevision(db, owner, matchId, revision, step.error);
  }
  if (step.state !== "skipped" && step.state !== "unchanged") {
    logger.info("tournaments.mirrored", { guild_id: guildId, match_id: matchId, action: step.state, scheduled_event_id: step.eventId });
  }
  return step;
}

/** One check per guild per invocation: a sync's hundred writes need not re-read the cache a hundred times. */
const checked = new WeakMap<Services, Map<string, boolean>>();

async function permitted(s: Services, guildId: string): Promise<boolean> {
  const memo = checked.get(s) ?? new Map<string, boolean>();
  checked.set(s, memo);
  const known = memo.get(guildId);
  if (known !== undefined) return known;
  const ok = ((await botGuildPermissions(s, guildId)) & EVENT_PERMISSIONS) !== 0n;
  memo.set(guildId, ok);
  await setPermissionWarning(s, guildId, ok ? null : "I need the **Create Events** permission (or **Manage Events**) to put matches in the Events tab.");
  return ok;
}

async function execute(s: Services, guildId: string, action: MirrorAction, eventId: string | null, current: EventFields | null, evict: boolean): Promise<Step> {
  const keep: Step = { state: "unchanged", eventId, fields: current, error: null, store: false };
  switch (action.do) {
    case "none":
      return { ...keep, state: action.why === "unchanged" ? "unchanged" : "skipped" };
    case "forget":
      return { state: "deleted", eventId: null, fields: null, error: null, store: true };
    case "create":
      if (!(await permitted(s, guildId))) return { ...keep, state: "skipped", error: MIRROR_ERRORS.permission };
      return create(s, guildId, action.fields);
    case "patch": {
      if (!(await permitted(s, guildId))) return { ...keep, state: "skipped", error: MIRROR_ERRORS.permission };
      try {
        const ev = await s.discord.patch<APIGuildScheduledEvent>(Routes.guildScheduledEvent(guildId, eventId as string), { body: action.body });
        return { state: "updated", eventId: ev.id, fields: action.fields, changed: action.changed, status: ev.status, error: null, store: true };
      } catch (error) {
        // Deleted behind our back: make a new one and re-map (seed: NotFound → clean up the record).
        if (isGone(error)) return create(s, guildId, action.fields);
        throw error;
      }
    }
    case "delete":
    case "complete": {
      if (!(await permitted(s, guildId))) return { ...keep, state: "skipped", error: MIRROR_ERRORS.permission };
      const route = Routes.guildScheduledEvent(guildId, eventId as string);
      try {
        if (action.do === "complete") {
          await s.discord.patch(route, { body: { status: GuildScheduledEventStatus.Completed } satisfies RESTPatchAPIGuildScheduledEventJSONBody });
        } else await s.discord.delete(route);
      } catch (error) {
        if (!isGone(error)) throw error;
      }
      return {
        state: action.do === "complete" ? "completed" : "deleted",
        eventId: null,
        fields: null,
        error: evict ? MIRROR_ERRORS.limit : null,
        store: true,
      };
    }
  }
}

async function create(s: Services, guildId: string, fields: EventFields): Promise<Step> {
  try {
    const ev = await s.discord.post<APIGuildScheduledEvent>(Routes.guildScheduledEvents(guildId), { body: createBody(fields) });
    return { state: "created", eventId: ev.id, fields, status: ev.status, error: null, store: true };
  } catch (error) {
    if (error instanceof DiscordApiError && error.is(DiscordErrorCode.MaxScheduledEvents)) {
      logger.warn("tournaments.event_limit", { guild_id: guildId });
      return { state: "skipped", eventId: null, fields: null, error: MIRROR_ERRORS.limit, store: true };
    }
    throw error;
  }
}

function isGone(error: unknown): boolean {
  return error instanceof DiscordApiError && (error.notFound || error.is(DiscordErrorCode.UnknownScheduledEvent));
}
