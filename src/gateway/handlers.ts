/** The contract between the relay and features: typed handlers per forwarded dispatch, run in order, errors contained and reported. */
import type { GatewayDispatchPayload } from "discord-api-types/v10";
import { logger } from "../log";
import type { ForwardedEvent } from "./protocol";

export type DispatchData<T extends ForwardedEvent> = Extract<GatewayDispatchPayload, { t: T }>["d"];

/** What the relay knows of a dispatch beyond its payload. */
export interface DispatchMeta {
  /** When the relay received it: the moment Discord's description in it was true (a GUILD_CREATE set aside keeps its own). */
  received_at: number;
}

export interface GatewayHandler<S, T extends ForwardedEvent = ForwardedEvent> {
  event: T;
  /** Stable name for logs. */
  name: string;
  handle(data: DispatchData<T>, services: S, meta: DispatchMeta): Promise<void>;
}

/** Declares a handler with its payload type inferred from the dispatch name. */
export function onGateway<S, T extends ForwardedEvent>(
  event: T,
  name: string,
  handle: (data: DispatchData<T>, services: S, meta: DispatchMeta) => Promise<void>,
): GatewayHandler<S> {
  return { event, name, handle } as unknown as GatewayHandler<S>;
}

export interface HandlerOutcome {
  /** Names of the handlers that succeeded (now or in an earlier attempt). */
  done: string[];
  /** Names of the handlers that threw; the relay retries only these. */
  failed: string[];
}

/**
 * Runs every handler for one dispatch except those in `skip` (they succeeded in an earlier attempt); one
 * failing handler is logged and does not stop the others.
 */
export async function runGatewayHandlers<S>(
  handlers: readonly GatewayHandler<S>[] | undefined,
  payload: GatewayDispatchPayload,
  services: S,
  skip: ReadonlySet<string> = new Set(),
  meta: DispatchMeta = { received_at: Date.now() },
): Promise<HandlerOutcome> {
  const out: HandlerOutcome = { done: [...skip], failed: [] };
  for (const h of handlers ?? []) {
    if (skip.has(h.name)) continue;
    try {
      await h.handle(payload.d as never, services, meta);
      out.done.push(h.name);
    } catch (error) {
      const guildId = (payload.d as { guild_id?: string } | null)?.guild_id ?? null;
      logger.error("gateway.handler_failed", { handler: h.name, event: payload.t, guild_id: guildId, error });
      out.failed.push(h.name);
    }
  }
  return out;
}
