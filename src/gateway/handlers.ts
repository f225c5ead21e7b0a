/** The contract between the relay and features: typed handlers per forwarded dispatch, run in order, errors contained. */
import type { GatewayDispatchPayload } from "discord-api-types/v10";
import { logger } from "../log";
import type { ForwardedEvent } from "./protocol";

export type DispatchData<T extends ForwardedEvent> = Extract<GatewayDispatchPayload, { t: T }>["d"];

export interface GatewayHandler<S, T extends ForwardedEvent = ForwardedEvent> {
  event: T;
  /** Stable name for logs. */
  name: string;
  handle(data: DispatchData<T>, services: S): Promise<void>;
}

/** Declares a handler with its payload type inferred from the dispatch name. */
export function onGateway<S, T extends ForwardedEvent>(
  event: T,
  name: string,
  handle: (data: DispatchData<T>, services: S) => Promise<void>,
): GatewayHandler<S> {
  return { event, name, handle } as unknown as GatewayHandler<S>;
}

/** Runs every handler for one dispatch; one failing handler is logged and does not stop the others. */
export async function runGatewayHandlers<S>(handlers: readonly GatewayHandler<S>[] | undefined, payload: GatewayDispatchPayload, services: S): Promise<void> {
  for (const h of handlers ?? []) {
    try {
      await h.handle(payload.d as never, services);
    } catch (error) {
      const guildId = (payload.d as { guild_id?: string } | null)?.guild_id ?? null;
      logger.error("gateway.handler_failed", { handler: h.name, event: payload.t, guild_id: guildId, error });
    }
  }
}
