/** Brings one match's Discord scheduled event in line with the match, under the match's lease; never throws. */
import {
  type APIGuildScheduledEvent,
  GuildScheduledEventStatus,
  PermissionFlagsBits,
  type RESTPatchAPIGuildScheduledEventJSONBody,
} from "discord-api-types/v10";
import { DiscordApiError, DiscordErrorCode } from "../../discord/errors";
import { gatedServices, slotSource } from "../../discord/gated";
import { botGuildPermissions, forgetBotPermissions } from "../../discord/permission-cache";
import type { TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { type EventFields, markPatch, observedFields } from "./event-format";
import { Lease, LeaseLost } from "./lease";
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
import { createOnce, deleteOwnEvent, leftovers, settleLostCreate } from "./mirror-create";
import { type MirrorAction, planMirror } from "./mirror-plan";
import { setPermissionWarning } from "./sync-status";
import { mirrorPayload } from "./timer-payloads";

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
  /** The sync's list of the guild's events: the bot's own unmapped events for the match are adopted or removed. */
  listed?: readonly APIGuildScheduledEvent[];
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
  /** For a create: its intent's nonce (a create that loses its lease settles with it). */
  nonce?: string;
  /** An earlier attempt's event was adopted as it is: plan again against it before letting go. */
  again?: boolean;
  /** The create already dealt with the bot's unmapped events for the match. */
  tidied?: boolean;
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

/**
 * A live change's Discord work (a command's listener, a team rename, a dispatch). The match's timer is armed
 * first, for when the lease a dying invocation holds has run out: an invocation that dies holding the lease (a
 * restart, the 30 s Cloudflare gives an interaction's `waitUntil`) can no longer write or release anything, and
 * without this nothing would look at the match again before the hourly sync. A run that finishes leaves the
 * timer nothing to do.
 */
export async function mirrorLive(s: Services, guildId: string, matchId: number): Promise<MirrorState> {
  await s
    .timer(mirrorTimerName(guildId, matchId))
    .schedule("mirror", s.now() + LEASE_MS + 1000, "tournaments.mirror", { guild_id: guildId, match_id: matchId })
    // Not armed (the timer is unreachable just now): the change still goes to Discord now, as before.
    .catch((error: unknown) => logger.warn("tournaments.mirror_guard_failed", { guild_id: guildId, match_id: matchId, error }));
  const state = await mirrorMatch(s, guildId, matchId);
  if (state === "failed" || state === "busy") await retryMirror(s, guildId, matchId, state);
  return state;
}

export const mirrorKind: TimerAction<"tournaments.mirror"> = {
  kind: "tournaments.mirror",
  payload: mirrorPayload,
  maxAttempts: 5,
  lane: "background",
  async run(item, { services: base, now }) {
    const { guild_id, match_id } = item.payload;
    // A retried mirror is background work of the REST budget; a budget full for a while is not a failure.
    const slots = slotSource(base, { lane: "background", guild: guild_id });
    const state = await mirrorMatch(gatedServices(base, slots), guild_id, match_id);
    if (state === "busy") return { again: { dueAt: now + LEASE_MS + 1000 } };
    if (state === "failed" && slots.deferredUntil) return { again: { dueAt: slots.deferredUntil } };
    // Thrown so the agenda backs off and retries; after the last attempt the hourly sync still repairs it.
    if (state === "failed") throw new Error(`mirroring match ${match_id} failed`);
    return undefined;
  },
};

export async function mirrorMatch(s: Services, guildId: string, matchId: number, opts: MirrorOptions = {}): Promise<MirrorState> {
  const db = s.env.DB;
  const owner = crypto.randomUUID();
  const acquiredAt = s.now();
  let mapping = await acquireLease(db, guildId, matchId, owner, acquiredAt);
  if (!mapping) {
    // Another invocation holds the match; it re-reads the revision we bumped before it lets go.
    logger.debug("tournaments.mirror_busy", { guild_id: guildId, match_id: matchId });
    return "busy";
  }
  const lease = new Lease(db, matchId, owner, () => s.now(), acquiredAt);
  let state: MirrorState = "unchanged";
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const step = await run(s, guildId, matchId, mapping, round === 0 ? opts : {}, lease);
      state = step.state;
      if (!step.again) {
        const released = await releaseLease(db, owner, matchId);
        if (released === "released") return state;
        if (released === "lost") throw new LeaseLost(matchId);
      }
      const again = await readMapping(db, guildId, matchId);
      if (!again) return state;
      mapping = again;
    }
    logger.warn("tournaments.mirror_rounds_exhausted", { guild_id: guildId, match_id: matchId });
  } catch (error) {
    if (error instanceof LeaseLost) {
      // Whoever holds the match now finishes it; this invocation must not write another thing.
      logger.warn("tournaments.mirror_lease_lost", { guild_id: guildId, match_id: matchId });
      return "busy";
    }
    logger.error("tournaments.mirror_failed", { guild_id: guildId, match_id: matchId, error });
    await abandonLease(db, owner, matchId, `error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300));
    return "failed";
  }
  await abandonLease(db, owner, matchId);
  return state;
}

interface Ctx {
  s: Services;
  guildId: string;
  matchId: number;
  m: Mapping;
  lease: Lease;
  listed?: readonly APIGuildScheduledEvent[];
}

async function run(s: Services, guildId: string, matchId: number, m: Mapping, o: MirrorOptions, lease: Lease): Promise<Step> {
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
  const ctx: Ctx = { s, guildId, matchId, m, lease, listed: o.listed };
  const step = await execute(ctx, action, eventId, current, o.evict === true).catch(async (error: unknown): Promise<Step> => {
    // The cache said yes but Discord said no: believe Discord, tell the admin once, retry nothing.
    if (!(error instanceof DiscordApiError && error.is(DiscordErrorCode.MissingPermissions))) throw error;
    await forgetBotPermissions(db, guildId);
    checked.get(s)?.set(guildId, false);
    await setPermissionWarning(s, guildId, "Discord refused to change the event: I need the **Create Events** permission (or **Manage Events**).");
    return { state: "skipped", eventId, fields: current, error: MIRROR_ERRORS.permission, store: false };
  });
  if (o.listed && !step.tidied && step.state !== "skipped") await removeLeftovers(ctx, step);
  await record(ctx, step, { revision: step.again ? m.synced_revision : revision, slug: tournament?.slug ?? m.event_slug, adoptObserved });
  if (step.state !== "skipped" && step.state !== "unchanged") {
    logger.info("tournaments.mirrored", { guild_id: guildId, match_id: matchId, action: step.state, scheduled_event_id: step.eventId });
  }
  return step;
}

/** The bot's own events for the match that the outcome does not keep (duplicates of a lost create) go. */
async function removeLeftovers(c: Ctx, step: Step): Promise<void> {
  const extra = (await leftovers(c.s, c.guildId, c.m, c.lease, c.listed)).filter((e) => e.id !== step.eventId);
  for (const e of extra) await deleteOwnEvent(c.s, c.guildId, e.id, c.lease);
  if (extra.length) {
    logger.warn("tournaments.duplicates_removed", { guild_id: c.guildId, match_id: c.matchId, removed: extra.map((e) => e.id) });
    if (step.state === "unchanged") step.state = "deleted";
  }
}

/** Writes the step's outcome under the lease; 0 rows changed means the lease is lost, and the invocation stops. */
async function record(c: Ctx, step: Step, o: { revision: number; slug: string | null; adoptObserved: boolean }): Promise<void> {
  const { s, lease, matchId } = c;
  const db = s.env.DB;
  if (step.changed && !o.adoptObserved) {
    // Only what was sent is known to be on Discord; a drift the sync marked on another field must survive.
    lease.held(await recordPatch(db, lease.owner, matchId, step.changed, step.fields as EventFields, o.revision, step.status ?? null, s.now()));
    return;
  }
  if (!step.store && !o.adoptObserved) {
    lease.held(await recordRevision(db, lease.owner, matchId, o.revision, step.error));
    return;
  }
  const outcome = { eventId: step.eventId, fields: step.fields, slug: o.slug, revision: o.revision, error: step.error, status: step.status };
  if (await recordOutcome(db, lease.owner, matchId, outcome, s.now())) return;
  if (step.nonce && step.eventId) await settleLostCreate(s, c.guildId, matchId, step.nonce, { ...outcome, eventId: step.eventId });
  throw new LeaseLost(matchId);
}

/** One check per guild per invocation: a sync's hundred writes need not re-read the cache a hundred times. */
const checked = new WeakMap<Services, Map<string, boolean>>();

async function permitted(c: Ctx): Promise<boolean> {
  const { s, guildId } = c;
  const memo = checked.get(s) ?? new Map<string, boolean>();
  checked.set(s, memo);
  const known = memo.get(guildId);
  if (known !== undefined) return known;
  // The cache may read the bot's roles from Discord: that call, too, stays inside the lease.
  const ok = ((await c.lease.call(() => botGuildPermissions(s, guildId))) & EVENT_PERMISSIONS) !== 0n;
  memo.set(guildId, ok);
  await setPermissionWarning(s, guildId, ok ? null : "I need the **Create Events** permission (or **Manage Events**) to put matches in the Events tab.");
  return ok;
}

async function execute(c: Ctx, action: MirrorAction, eventId: string | null, current: EventFields | null, evict: boolean): Promise<Step> {
  const { s, guildId, lease } = c;
  const keep: Step = { state: "unchanged", eventId, fields: current, error: null, store: false };
  switch (action.do) {
    case "none":
      return { ...keep, state: action.why === "unchanged" ? "unchanged" : "skipped" };
    case "forget":
      return { state: "deleted", eventId: null, fields: null, error: null, store: true };
    case "create":
      if (!(await permitted(c))) return { ...keep, state: "skipped", error: MIRROR_ERRORS.permission };
      return create(c, action.fields);
    case "patch": {
      if (!(await permitted(c))) return { ...keep, state: "skipped", error: MIRROR_ERRORS.permission };
      try {
        const body = markPatch(action.body, { guildId, matchId: c.matchId });
        const ev = await lease.call((signal) => s.api.scheduledEvents.edit(guildId, eventId as string, body, { signal }));
        return { state: "updated", eventId: ev.id, fields: action.fields, changed: action.changed, status: ev.status, error: null, store: true };
      } catch (error) {
        // Deleted behind our back: make a new one and re-map (seed: NotFound → clean up the record).
        if (isGone(error)) return create(c, action.fields);
        throw error;
      }
    }
    case "delete":
    case "complete": {
      if (!(await permitted(c))) return { ...keep, state: "skipped", error: MIRROR_ERRORS.permission };
      const id = eventId as string;
      try {
        if (action.do === "complete") {
          const body = { status: GuildScheduledEventStatus.Completed } satisfies RESTPatchAPIGuildScheduledEventJSONBody;
          await lease.call((signal) => s.api.scheduledEvents.edit(guildId, id, body, { signal }));
        } else await lease.call((signal) => s.api.scheduledEvents.delete(guildId, id, { signal }));
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

async function create(c: Ctx, fields: EventFields): Promise<Step> {
  const r = await createOnce(c.s, c.guildId, c.m, fields, c.lease, c.listed);
  if (r.kind === "limit") {
    logger.warn("tournaments.event_limit", { guild_id: c.guildId });
    return { state: "skipped", eventId: null, fields: null, error: MIRROR_ERRORS.limit, store: true };
  }
  const made = { eventId: r.event.id, status: r.event.status, error: null, store: true, tidied: true };
  if (r.kind === "adopted") return { ...made, state: "unchanged", fields: r.fields, again: true };
  return { ...made, state: "created", fields, nonce: r.nonce };
}

function isGone(error: unknown): boolean {
  return error instanceof DiscordApiError && (error.notFound || error.is(DiscordErrorCode.UnknownScheduledEvent));
}
