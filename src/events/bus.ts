/** The event bus: emit(name, obj, ctx) filters by the effective level, serializes, and dispatches to listeners. */
import { logger } from "../log";
import { type Catalog, setOf } from "./catalog";
import { type EventSet, effectiveLevel, isEmitted, type Level } from "./levels";

export interface EmittedEvent {
  /** Unique per emission (or fixed by the emitter for a repeatable one); sinks use it as the idempotency id. */
  id: string;
  name: string;
  level: Exclude<EventSet, "DISABLED">;
  guild_id: string | null;
  occurred_at: string;
  data: Record<string, unknown>;
}

export type Listener<S> = (event: EmittedEvent, services: S) => Promise<void> | void;

/** A listener registration: an exact event name, a namespace (`match.*`) or everything (`*`). */
export interface ListenerSpec<S> {
  on: string;
  name: string;
  handle: Listener<S>;
  /**
   * Part of a feature rather than an observer (e.g. `match.scheduled` → create the Discord event): runs
   * even when the level suppresses the event, because levels decide what is recorded, not what works.
   */
  always?: boolean;
}

export interface EmitOptions {
  /** A fixed id for an emission that may be repeated (a replayed gateway dispatch): sinks deduplicate on it. */
  id?: string;
}

export interface EmitContext {
  guildId?: string | null;
  [key: string]: unknown;
}

export interface BusOptions<S> {
  catalog: Catalog;
  listeners: readonly ListenerSpec<S>[];
  envLevel?: string;
  /** Reads a guild's stored level; called at most once per guild per bus. */
  guildLevel: (guildId: string) => Promise<string | null>;
  services: () => S;
  now?: () => number;
}

export class EventBus<S> {
  private readonly levels = new Map<string, Promise<Level>>();

  constructor(private readonly opts: BusOptions<S>) {}

  async levelFor(guildId: string | null | undefined): Promise<Level> {
    if (!guildId) return effectiveLevel(this.opts.envLevel, null).level;
    let level = this.levels.get(guildId);
    if (!level) {
      level = this.opts
        .guildLevel(guildId)
        .catch((error) => {
          logger.warn("events.level_lookup_failed", { guild_id: guildId, error });
          return null;
        })
        .then((stored) => effectiveLevel(this.opts.envLevel, stored).level);
      this.levels.set(guildId, level);
    }
    return level;
  }

  /**
   * Emits an event. Returns the emitted event, or null when suppressed. Listener failures are logged
   * and never reach the emitter: the action that emitted has already happened.
   */
  async emit(name: string, obj: unknown, ctx: EmitContext = {}, opts: EmitOptions = {}): Promise<EmittedEvent | null> {
    const { catalog } = this.opts;
    const set = setOf(catalog, name);
    const serializer = catalog.serializers.get(name);
    if (!set || !serializer) {
      logger.error("events.unknown_event", { event_name: name, guild_id: ctx.guildId ?? null });
      return null;
    }
    const guildId = ctx.guildId ?? null;
    const level = await this.levelFor(guildId);
    const emitted = set !== "DISABLED" && isEmitted(set, level);
    const matching = this.opts.listeners.filter((l) => (emitted || l.always) && matches(l.on, name));
    if (!emitted) {
      logger.debug("events.suppressed", { event_name: name, guild_id: guildId, configured_level: level, reason: "suppressed by event level configuration" });
      if (matching.length === 0) return null;
    }
    const { guildId: _g, ...extra } = ctx;
    let data: Record<string, unknown>;
    try {
      data = serializer(obj, extra);
    } catch (error) {
      logger.error("events.serializer_failed", { event_name: name, guild_id: guildId, error });
      return null;
    }
    const event: EmittedEvent = {
      id: opts.id ?? crypto.randomUUID(),
      name,
      level: set === "DISABLED" ? "FULL" : set,
      guild_id: guildId,
      occurred_at: new Date(this.opts.now?.() ?? Date.now()).toISOString(),
      data,
    };
    if (emitted) logger.info("events.emitted", { event_name: name, event_level: set, guild_id: guildId, event_id: event.id });
    const services = this.opts.services();
    await Promise.all(
      matching.map(async (l) => {
        try {
          await l.handle(event, services);
        } catch (error) {
          logger.error("events.listener_failed", { event_name: name, listener: l.name, guild_id: guildId, error });
        }
      }),
    );
    return emitted ? event : null;
  }
}

function matches(pattern: string, name: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}
