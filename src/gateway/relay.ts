/** GatewayRelay: a Durable Object holding one shard's gateway WebSocket; one alarm drives heartbeats and reconnects. */
import { DurableObject } from "cloudflare:workers";
import {
  type GatewayDispatchPayload,
  GatewayOpcodes,
  type GatewayReceivePayload,
  type GatewayResumeData,
  type RESTGetAPIGatewayBotResult,
} from "discord-api-types/v10";
import { describeError, logger } from "../log";
import { stableId } from "../util/hash";
import { connectUrl, INTENTS, isForwarded, onClose, reconnectDelayMs } from "./protocol";

/** A connection that has not said HELLO by then, or a heartbeat not ACKed by the next one, is a zombie. */
const HELLO_TIMEOUT_MS = 30_000;
/** Close code we use to drop a connection ourselves; anything but 1000/1001 keeps the session resumable. */
const RECONNECT_CLOSE = 4900;
/** How long the gateway URL and shard count from GET /gateway/bot are reused. */
const GATEWAY_INFO_TTL_MS = 60 * 60_000;

export type RelayStatus = "idle" | "connecting" | "identifying" | "resuming" | "ready" | "backoff" | "fatal" | "stopped";

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
}

export interface GatewayInfo {
  url: string;
  shards: number;
  fetched_at: number;
}

export interface RelayHooks<S> {
  services(): S;
  /** Runs every feature handler for a forwarded dispatch; errors are the hook's to catch. */
  forward(event: GatewayDispatchPayload, services: S): Promise<void>;
  /** Connection lifecycle for the event bus: connected, disconnected, fatal. */
  lifecycle(change: "connected" | "disconnected" | "fatal", state: RelayState, services: S): Promise<void>;
  /** Fetches GET /gateway/bot. */
  gatewayBot(services: S): Promise<RESTGetAPIGatewayBotResult>;
  token(): string;
}

const initialState = (shard: [number, number]): RelayState => ({
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
});

export abstract class RelayObject<E, S> extends DurableObject<E> {
  /** Replaced in tests to move time without sleeping. */
  clock: () => number = () => Date.now();
  /** The heartbeat jitter's source; tests pin it. */
  random: () => number = Math.random;
  private ws: WebSocket | null = null;
  /** Bumped for every connection, so events from a socket we have left are ignored. */
  private gen = 0;
  private state: RelayState | null = null;
  /** Dispatches are handled in arrival order, without holding up heartbeats. */
  private queue: Promise<void> = Promise.resolve();

  protected abstract hooks(): RelayHooks<S>;

  /** Starts (or keeps) the connection for `shard`; the cron calls this every minute. A stopped relay starts again. */
  async ensure(shard: [number, number] = [0, 1]): Promise<RelayState & { connected: boolean }> {
    const st = await this.load(shard);
    if (st.shard[0] !== shard[0] || st.shard[1] !== shard[1]) {
      // The shard count changed: the old session belongs to another shard layout.
      Object.assign(st, initialState(shard));
      this.closeSocket();
    }
    if (st.status === "fatal" && st.fatal?.token === this.tokenFingerprint()) return this.status();
    if (st.status === "fatal" || st.status === "stopped") {
      st.fatal = null;
      st.status = "idle";
      st.failures = 0;
    }
    if (!this.ws && st.status !== "backoff") await this.openSocket(st);
    else if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(this.clock());
    return this.status();
  }

  /** Closes the connection and stays down until `ensure` is called again. */
  async stop(): Promise<RelayState> {
    const st = await this.load();
    this.closeSocket(1000, "stopped");
    st.status = "stopped";
    st.session_id = null;
    st.resume_gateway_url = null;
    st.seq = null;
    await this.save(st);
    await this.ctx.storage.deleteAlarm();
    return st;
  }

  async status(): Promise<RelayState & { connected: boolean }> {
    return { ...(await this.load()), connected: this.ws !== null };
  }

  /** GET /gateway/bot, cached for an hour: the gateway URL and the recommended shard count. */
  async gatewayInfo(force = false): Promise<GatewayInfo> {
    const cached = await this.ctx.storage.get<GatewayInfo>("gateway_info");
    if (!force && cached && this.clock() - cached.fetched_at < GATEWAY_INFO_TTL_MS) return cached;
    const bot = await this.hooks().gatewayBot(this.hooks().services());
    const info = { url: bot.url, shards: bot.shards, fetched_at: this.clock() };
    await this.ctx.storage.put("gateway_info", info);
    return info;
  }

  override async alarm(): Promise<void> {
    const st = await this.load();
    if (st.status === "stopped" || st.status === "fatal") return;
    const now = this.clock();
    if (!this.ws) {
      // After an eviction, a drop, or a backoff wait: connect (and RESUME if the session is still ours).
      await this.openSocket(st);
      return;
    }
    if (st.awaiting_ack) {
      logger.warn("gateway.zombie", { shard: st.shard, last_heartbeat_at: st.last_heartbeat_at, status: st.status });
      this.closeSocket(RECONNECT_CLOSE, "no heartbeat ACK");
      await this.openSocket(st);
      return;
    }
    this.heartbeat(st);
    await this.save(st);
    await this.ctx.storage.setAlarm(now + (st.heartbeat_interval ?? HELLO_TIMEOUT_MS));
  }

  private async openSocket(st: RelayState): Promise<void> {
    const gen = ++this.gen;
    const resume = st.session_id !== null && st.resume_gateway_url !== null;
    st.status = "connecting";
    st.awaiting_ack = true; // waiting for HELLO counts as waiting for an answer
    try {
      const url = resume ? (st.resume_gateway_url as string) : (await this.gatewayInfo()).url;
      const res = await fetch(connectUrl(url), { headers: { Upgrade: "websocket" } });
      const ws = res.webSocket;
      if (!ws) throw new Error(`gateway answered HTTP ${res.status} instead of upgrading`);
      ws.accept();
      if (gen !== this.gen) {
        ws.close(1000, "superseded");
        return;
      }
      this.ws = ws;
      const contain = (what: string) => (error: unknown) => logger.error(what, { shard: st.shard, error });
      ws.addEventListener("message", (e) => {
        this.onMessage(gen, e.data).catch(contain("gateway.message_failed"));
      });
      ws.addEventListener("close", (e) => {
        this.onSocketClose(gen, e.code, e.reason).catch(contain("gateway.close_failed"));
      });
      ws.addEventListener("error", (e) => logger.warn("gateway.socket_error", { shard: st.shard, error: describeError((e as ErrorEvent).error ?? e) }));
      st.connected_at = this.clock();
      await this.save(st);
      await this.ctx.storage.setAlarm(this.clock() + HELLO_TIMEOUT_MS);
    } catch (error) {
      st.failures++;
      st.status = "backoff";
      st.last_error = error instanceof Error ? error.message : String(error);
      await this.save(st);
      const delay = reconnectDelayMs(st.failures);
      logger.warn("gateway.connect_failed", { shard: st.shard, failures: st.failures, retry_in_ms: delay, error });
      await this.ctx.storage.setAlarm(this.clock() + delay);
    }
  }

  private async onMessage(gen: number, data: unknown): Promise<void> {
    if (gen !== this.gen || typeof data !== "string") return;
    let p: GatewayReceivePayload;
    try {
      p = JSON.parse(data) as GatewayReceivePayload;
    } catch {
      logger.warn("gateway.bad_payload", { length: data.length });
      return;
    }
    const st = await this.load();
    const now = this.clock();
    switch (p.op) {
      case GatewayOpcodes.Hello: {
        st.heartbeat_interval = p.d.heartbeat_interval;
        st.awaiting_ack = false;
        if (st.session_id && st.resume_gateway_url && st.seq !== null) {
          st.status = "resuming";
          const d: GatewayResumeData = { token: this.hooks().token(), session_id: st.session_id, seq: st.seq };
          this.send({ op: GatewayOpcodes.Resume, d });
        } else {
          st.status = "identifying";
          st.identifies++;
          this.send({
            op: GatewayOpcodes.Identify,
            d: { token: this.hooks().token(), intents: INTENTS, properties: { os: "workers", browser: "eventbot", device: "eventbot" }, shard: st.shard },
          });
        }
        await this.save(st);
        // Discord asks for the first heartbeat after interval × jitter.
        await this.ctx.storage.setAlarm(now + Math.floor(p.d.heartbeat_interval * this.random()));
        return;
      }
      case GatewayOpcodes.HeartbeatAck:
        st.awaiting_ack = false;
        st.last_ack_at = now;
        await this.save(st);
        return;
      case GatewayOpcodes.Heartbeat:
        this.heartbeat(st);
        await this.save(st);
        return;
      case GatewayOpcodes.Reconnect:
        logger.info("gateway.reconnect_requested", { shard: st.shard });
        this.closeSocket(RECONNECT_CLOSE, "reconnect requested");
        await this.openSocket(st);
        return;
      case GatewayOpcodes.InvalidSession: {
        logger.warn("gateway.invalid_session", { shard: st.shard, resumable: p.d });
        if (!p.d) {
          st.session_id = null;
          st.resume_gateway_url = null;
          st.seq = null;
        }
        this.closeSocket(RECONNECT_CLOSE, "invalid session");
        st.status = "backoff";
        await this.save(st);
        // Discord asks for a wait of 1–5 s before identifying again.
        await this.ctx.storage.setAlarm(now + (p.d ? 0 : 1000 + Math.floor(4000 * this.random())));
        return;
      }
      case GatewayOpcodes.Dispatch:
        await this.onDispatch(st, p);
        return;
    }
  }

  private async onDispatch(st: RelayState, p: GatewayDispatchPayload): Promise<void> {
    st.seq = p.s;
    st.dispatches++;
    st.last_dispatch_at = this.clock();
    let change: "connected" | null = null;
    if (p.t === "READY") {
      st.session_id = p.d.session_id;
      st.resume_gateway_url = p.d.resume_gateway_url;
      st.status = "ready";
      st.failures = 0;
      change = "connected";
    } else if (p.t === "RESUMED") {
      st.status = "ready";
      st.failures = 0;
      st.resumes++;
      change = "connected";
    }
    // Persisted on every dispatch, so a RESUME after eviction replays exactly what we missed.
    await this.save(st);
    const hooks = this.hooks();
    if (change) {
      const snapshot = { ...st };
      this.enqueue(() => hooks.lifecycle("connected", snapshot, hooks.services()));
    }
    if (isForwarded(p.t)) this.enqueue(() => hooks.forward(p, hooks.services()));
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error) => logger.error("gateway.handler_failed", { error }));
  }

  private async onSocketClose(gen: number, code: number, reason: string): Promise<void> {
    if (gen !== this.gen) return;
    this.ws = null;
    const st = await this.load();
    const wasReady = st.status === "ready";
    st.last_close = { code, reason, at: this.clock() };
    const decision = onClose(code);
    const hooks = this.hooks();
    if (decision.action === "stop") {
      st.status = "fatal";
      st.fatal = { code, reason: decision.reason, at: this.clock(), token: this.tokenFingerprint() };
      st.session_id = null;
      st.resume_gateway_url = null;
      st.seq = null;
      await this.save(st);
      await this.ctx.storage.deleteAlarm();
      logger.error("gateway.fatal_close", { shard: st.shard, code, reason: decision.reason });
      const snapshot = { ...st };
      this.enqueue(() => hooks.lifecycle("fatal", snapshot, hooks.services()));
      return;
    }
    if (!decision.resume) {
      st.session_id = null;
      st.resume_gateway_url = null;
      st.seq = null;
    }
    // A connection that was up reconnects at once; one that failed before READY backs off.
    st.failures = wasReady ? 0 : st.failures + 1;
    st.status = "backoff";
    await this.save(st);
    logger.warn("gateway.closed", { shard: st.shard, code, reason, failures: st.failures });
    if (wasReady) {
      const snapshot = { ...st };
      this.enqueue(() => hooks.lifecycle("disconnected", snapshot, hooks.services()));
    }
    await this.ctx.storage.setAlarm(this.clock() + reconnectDelayMs(st.failures));
  }

  private heartbeat(st: RelayState): void {
    this.send({ op: GatewayOpcodes.Heartbeat, d: st.seq });
    st.awaiting_ack = true;
    st.last_heartbeat_at = this.clock();
  }

  private send(payload: unknown): void {
    try {
      this.ws?.send(JSON.stringify(payload));
    } catch (error) {
      logger.warn("gateway.send_failed", { error });
    }
  }

  private closeSocket(code = RECONNECT_CLOSE, reason = "reconnecting"): void {
    this.gen++;
    const ws = this.ws;
    this.ws = null;
    try {
      ws?.close(code, reason);
    } catch {
      // Already closed.
    }
  }

  private tokenFingerprint(): string {
    return stableId(this.hooks().token());
  }

  private async load(shard: [number, number] = [0, 1]): Promise<RelayState> {
    if (!this.state) this.state = (await this.ctx.storage.get<RelayState>("state")) ?? initialState(shard);
    return this.state;
  }

  private async save(st: RelayState): Promise<void> {
    this.state = st;
    await this.ctx.storage.put("state", st);
  }
}
