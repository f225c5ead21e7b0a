/**
 * What the relay does with each frame its socket receives, as plain decisions on its state: the gateway protocol's
 * rules (HELLO, heartbeats, RESUME or IDENTIFY, invalid sessions, what a dispatch queues) apart from the socket and
 * storage that carry them out.
 */
import {
  type GatewayDispatchPayload,
  GatewayOpcodes,
  type GatewayReceivePayload,
  type GatewayResumeData,
  type GatewaySendPayload,
} from "discord-api-types/v10";
import { DEFERRED_BY_GUILD, dispatchGuild, type ForwardedEvent, INTENTS, isForwarded } from "./protocol";
import type { LifecycleEntry, RelayState } from "./relay-state";

/** What to do after a control frame (the state has been updated in place and is to be saved). */
export interface ControlStep {
  send?: GatewaySendPayload;
  /** When the alarm must next run. */
  alarmAt?: number;
  /** Close the socket for this reason and, with `reopen`, connect again at once. */
  close?: string;
  reopen?: boolean;
}

/** A dispatch's place in the queue: its payload as received, and the guild it is about (null: none). */
export interface QueuedDispatch {
  kind: "dispatch";
  t: ForwardedEvent;
  s: number;
  payload: string;
  guild_id: string | null;
}

export interface DispatchPlan {
  /** A connection change (READY/RESUMED) to queue before the dispatch itself. */
  marker: LifecycleEntry | null;
  /** The dispatch to hand to the features; null when none of them listens, or when it is malformed. */
  entry: QueuedDispatch | null;
  /** A forwarded dispatch without its data object: its handlers could only fail. */
  malformed: boolean;
  /** A GUILD_CREATE, which may be set aside for its guild rather than queued. */
  snapshot: boolean;
}

export interface FrameContext {
  now: number;
  random: () => number;
  token: string;
}

/** Updates `st` for a frame other than a dispatch and says what the relay must do next (null: nothing). */
export function controlFrame(st: RelayState, p: Exclude<GatewayReceivePayload, GatewayDispatchPayload>, ctx: FrameContext): ControlStep | null {
  switch (p.op) {
    case GatewayOpcodes.Hello:
      st.heartbeat_interval = p.d.heartbeat_interval;
      st.awaiting_ack = false;
      // Discord asks for the first heartbeat after interval × jitter.
      return { send: greeting(st, ctx.token), alarmAt: ctx.now + Math.floor(p.d.heartbeat_interval * ctx.random()) };
    case GatewayOpcodes.HeartbeatAck:
      st.awaiting_ack = false;
      st.last_ack_at = ctx.now;
      return {};
    case GatewayOpcodes.Heartbeat:
      return { send: heartbeat(st, ctx.now) };
    case GatewayOpcodes.Reconnect:
      return { close: "reconnect requested", reopen: true };
    case GatewayOpcodes.InvalidSession:
      if (!p.d) forgetSession(st);
      st.status = "backoff";
      // Discord asks for a wait of 1–5 s before identifying again.
      return { close: "invalid session", alarmAt: ctx.now + (p.d ? 0 : 1000 + Math.floor(4000 * ctx.random())) };
    default:
      return null;
  }
}

/** RESUME when the session is still ours, IDENTIFY otherwise. */
function greeting(st: RelayState, token: string): GatewaySendPayload {
  if (st.session_id && st.resume_gateway_url && st.seq !== null) {
    st.status = "resuming";
    const d: GatewayResumeData = { token, session_id: st.session_id, seq: st.seq };
    return { op: GatewayOpcodes.Resume, d };
  }
  st.status = "identifying";
  st.identifies++;
  return {
    op: GatewayOpcodes.Identify,
    d: { token, intents: INTENTS, properties: { os: "workers", browser: "eventbot", device: "eventbot" }, shard: st.shard },
  };
}

/** A heartbeat carrying the last seq; its ACK is awaited from now. */
export function heartbeat(st: RelayState, now: number): GatewaySendPayload {
  st.awaiting_ack = true;
  st.last_heartbeat_at = now;
  return { op: GatewayOpcodes.Heartbeat, d: st.seq };
}

/** The session can no longer be resumed: the next connection IDENTIFYs. */
export function forgetSession(st: RelayState): void {
  st.session_id = null;
  st.resume_gateway_url = null;
  st.seq = null;
}

/** Updates `st` for a dispatch (its seq; READY/RESUMED start a session) and says what to queue for it. */
export function planDispatch(st: RelayState, p: GatewayDispatchPayload, raw: string, now: number): DispatchPlan {
  st.seq = p.s;
  st.dispatches++;
  st.last_dispatch_at = now;
  let marker: LifecycleEntry | null = null;
  if (p.t === "READY") {
    st.session_id = p.d.session_id;
    st.resume_gateway_url = p.d.resume_gateway_url;
    st.status = "ready";
    st.failures = 0;
    marker = { change: "connected", conn: st.conn, fresh: true, state: { ...st } };
  } else if (p.t === "RESUMED") {
    st.status = "ready";
    st.failures = 0;
    st.resumes++;
    marker = { change: "connected", conn: st.conn, fresh: false, state: { ...st } };
  }
  if (!isForwarded(p.t)) return { marker, entry: null, malformed: false, snapshot: false };
  // A forwarded dispatch without its object is dropped: its handlers could only fail, five times, holding every later
  // dispatch of the queue for 15 s. (Its seq still counts: RESUME must not replay it.)
  if (typeof p.d !== "object" || p.d === null) return { marker, entry: null, malformed: true, snapshot: false };
  const entry: QueuedDispatch = { kind: "dispatch", t: p.t, s: p.s, payload: raw, guild_id: dispatchGuild(p.t, p.d) };
  return { marker, entry, malformed: false, snapshot: p.t === DEFERRED_BY_GUILD && entry.guild_id !== null };
}
