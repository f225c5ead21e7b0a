/** The relay's stored state, its view for /health and features, and the hooks the Worker gives it. */
import type { GatewayDispatchPayload, RESTGetAPIGatewayBotResult } from "discord-api-types/v10";
import type { DispatchMeta } from "./handlers";
import type { IdentifyTurn } from "./identify-slots";

export type RelayStatus = "idle" | "connecting" | "identifying" | "resuming" | "ready" | "backoff" | "paused" | "fatal" | "stopped";

export interface RelayState {
  shard: [number, number];
  status: RelayStatus;
  session_id: string | null;
  resume_gateway_url: string | null;
  seq: number | null;
  heartbeat_interval: number | null;
  awaiting_ack: boolean;
  last_heartbeat_at: number | null;
  last_ack_at: number | null;
  failures: number;
  connected_at: number | null;
  last_dispatch_at: number | null;
  dispatches: number;
  resumes: number;
  identifies: number;
  last_close: { code: number; reason: string; at: number } | null;
  fatal: { code: number; reason: string; at: number; token: string } | null;
  last_error: string | null;
  /** The object's name (e.g. `shard-0`) when it has one, for logs and /health. */
  name: string | null;
  /** The object's id, so features can find the relay that serves a guild. */
  object_id: string | null;
  /** Connections opened so far; a connection's READY/RESUMED entry counts only for that connection. */
  conn: number;
  /**
   * When the handlers caught up with the current connection (its READY or RESUMED entry was handled, so every
   * dispatch before it was too); null while disconnected. Features trust gateway-fed state only while set.
   */
  live_since: number | null;
  /** When the current session's READY arrived (set once it was handled): state that only a GUILD_CREATE refreshes is older before it. */
  session_started_at: number | null;
  /** The largest queue seen (rows), for /health and the bound's test. */
  max_backlog: number;
}

export interface Backlog {
  rows: number;
  bytes: number;
  oldest_received_at: number | null;
  /** GUILD_CREATEs set aside and not yet reconciled (one per guild). */
  guilds_pending?: number;
}

export type RelayView = RelayState & { connected: boolean; backlog: Backlog };

/** A connection change, queued in order with the dispatches. */
export interface LifecycleEntry {
  change: "connected" | "disconnected" | "fatal";
  conn: number;
  /** READY (a new session) rather than RESUMED. */
  fresh: boolean;
  state: RelayState;
}

export interface GatewayInfo {
  url: string;
  shards: number;
  /** Shards that may IDENTIFY in the same 5 s (session_start_limit.max_concurrency). */
  max_concurrency: number;
  fetched_at: number;
}

export interface RelayHooks<S> {
  services(): S;
  /** Runs the feature handlers for a forwarded dispatch, except those in `skip`; reports which failed. */
  forward(event: GatewayDispatchPayload, services: S, skip: ReadonlySet<string>, meta: DispatchMeta): Promise<{ done: string[]; failed: string[] }>;
  /** Connection lifecycle for the event bus: connected, disconnected, fatal. */
  lifecycle(change: "connected" | "disconnected" | "fatal", state: RelayState, services: S): Promise<void>;
  /** Fetches GET /gateway/bot. */
  gatewayBot(services: S): Promise<RESTGetAPIGatewayBotResult>;
  /** Whether the shard may IDENTIFY now, or when to ask again (a turn shared with every other shard; see identify-slots). */
  identifyTurn(shard: [number, number], maxConcurrency: number): Promise<IdentifyTurn>;
  token(): string;
}

export const initialState = (shard: [number, number]): RelayState => ({
  shard,
  status: "idle",
  session_id: null,
  resume_gateway_url: null,
  seq: null,
  heartbeat_interval: null,
  awaiting_ack: false,
  last_heartbeat_at: null,
  last_ack_at: null,
  failures: 0,
  connected_at: null,
  last_dispatch_at: null,
  dispatches: 0,
  resumes: 0,
  identifies: 0,
  last_close: null,
  fatal: null,
  last_error: null,
  name: null,
  object_id: null,
  conn: 0,
  live_since: null,
  session_started_at: null,
  max_backlog: 0,
});
