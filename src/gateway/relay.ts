/**
 * GatewayRelay: a Durable Object holding one shard's gateway WebSocket; one alarm drives heartbeats and reconnects.
 * Dispatches are at-least-once: each is appended to a queue in the object's storage in the same write as the
 * resume seq, handled from there in order, and deleted once its handlers succeeded; a GUILD_CREATE is set aside
 * for its guild instead (GuildSnapshots), in the same write.
 */
import { DurableObject } from "cloudflare:workers";
import { type GatewayDispatchPayload, GatewayOpcodes, type GatewayReceivePayload } from "discord-api-types/v10";
import { describeError, logger } from "../log";
import { stableId } from "../util/hash";
import { Drainer } from "./drain";
import { GuildSnapshots, type RunPayload } from "./guild-snapshots";
import { identifyDelay } from "./identify-slots";
import { Inbox, type InboxRow } from "./inbox";
import { DEFAULT_INBOX_BOUND, type InboxBound, mayResume, mustPause } from "./inbox-policy";
import { connectUrl, onClose, reconnectDelayMs } from "./protocol";
import { controlFrame, forgetSession, heartbeat, planDispatch } from "./relay-frames";
import { type GatewayInfo, initialState, type LifecycleEntry, type RelayHooks, type RelayState, type RelayView } from "./relay-state";

export type { Backlog, GatewayInfo, RelayHooks, RelayState, RelayStatus, RelayView } from "./relay-state";

/** A connection that has not said HELLO by then, or a heartbeat not ACKed by the next one, is a zombie. */
const HELLO_TIMEOUT_MS = 30_000;
/** Close code we use to drop a connection ourselves; anything but 1000/1001 keeps the session resumable. */
const RECONNECT_CLOSE = 4900;
/** How long the gateway URL and shard count from GET /gateway/bot are reused. */
const GATEWAY_INFO_TTL_MS = 60 * 60_000;
/** While paused on a full queue, the alarm looks this often whether reading can resume. */
const PAUSED_CHECK_MS = 5_000;
/**
 * Failed connection attempts after which a stored session is given up: a resume URL that stays unreachable (or
 * keeps closing before HELLO) would otherwise be retried for ever while a fresh IDENTIFY would work.
 */
export const RESUME_ATTEMPTS = 3;

export abstract class RelayObject<E, S> extends DurableObject<E> {
  /** Replaced in tests to move time without sleeping. */
  clock: () => number = () => Date.now();
  /** The heartbeat jitter's source; tests pin it. */
  random: () => number = Math.random;
  private ws: WebSocket | null = null;
  /** Bumped for every connection, so events from a socket we have left are ignored. */
  private gen = 0;
  private state: RelayState | null = null;
  /** Replaced in tests to exercise the bound with a few dispatches. */
  bound: InboxBound = DEFAULT_INBOX_BOUND;
  private readonly inbox: Inbox;
  private readonly snapshots: GuildSnapshots;
  private readonly drainer: Drainer;

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    this.inbox = new Inbox(ctx.storage.sql);
    this.snapshots = new GuildSnapshots(ctx.storage.sql);
    this.drainer = new Drainer(this.inbox, {
      handle: (row) => this.handleEntry(row),
      afterEach: () => this.afterEntry(),
      // A reconnect's GUILD_CREATEs are reconciled only while no dispatch waits.
      idle: () => this.snapshots.next(this.runPayload, this.clock()),
    });
  }

  protected abstract hooks(): RelayHooks<S>;

  /** Starts (or keeps) the connection for `shard`; the cron calls this every minute. A stopped relay starts again. */
  async ensure(shard: [number, number] = [0, 1]): Promise<RelayView> {
    const st = await this.load(shard);
    this.drainer.kick();
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
    if (!this.ws && st.status !== "backoff" && st.status !== "paused") await this.openSocket(st);
    else if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(this.clock());
    return this.status();
  }

  /** Closes the connection and stays down until `ensure` is called again. */
  async stop(): Promise<RelayState> {
    const st = await this.load();
    this.closeSocket(1000, "stopped");
    st.status = "stopped";
    forgetSession(st);
    await this.save(st);
    await this.ctx.storage.deleteAlarm();
    return st;
  }

  /** The stored state, whether the socket is open now, and the queue's size. */
  async status(): Promise<RelayView> {
    const size = this.inbox.stats();
    return {
      ...(await this.load()),
      connected: this.ws !== null,
      backlog: { ...size, oldest_received_at: this.inbox.oldestReceivedAt(), guilds_pending: this.snapshots.count() },
    };
  }

  /** GET /gateway/bot, cached for an hour: the gateway URL and the recommended shard count. */
  async gatewayInfo(force = false): Promise<GatewayInfo> {
    const cached = await this.ctx.storage.get<GatewayInfo>("gateway_info");
    if (!force && cached && this.clock() - cached.fetched_at < GATEWAY_INFO_TTL_MS) return cached;
    const bot = await this.hooks().gatewayBot(this.hooks().services());
    const info = { url: bot.url, shards: bot.shards, max_concurrency: bot.session_start_limit?.max_concurrency ?? 1, fetched_at: this.clock() };
    await this.ctx.storage.put("gateway_info", info);
    return info;
  }

  override async alarm(): Promise<void> {
    const st = await this.load();
    // After an eviction this is what picks up the queue that was left.
    this.drainer.kick();
    if (st.status === "stopped" || st.status === "fatal") return;
    const now = this.clock();
    if (st.status === "paused") {
      if (!mayResume(this.inbox.stats(), this.bound)) {
        await this.ctx.storage.setAlarm(now + PAUSED_CHECK_MS);
        return;
      }
      logger.info("gateway.resuming_reads", { shard: st.shard, backlog: this.inbox.stats().rows });
      await this.openSocket(st);
      return;
    }
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
    this.send(heartbeat(st, this.clock()));
    await this.save(st);
    await this.ctx.storage.setAlarm(now + (st.heartbeat_interval ?? HELLO_TIMEOUT_MS));
  }

  private async openSocket(st: RelayState): Promise<void> {
    const gen = ++this.gen;
    if (st.session_id !== null && st.failures >= RESUME_ATTEMPTS) {
      logger.warn("gateway.resume_abandoned", { shard: st.shard, failures: st.failures, last_error: st.last_error });
      forgetSession(st);
    }
    const resume = st.session_id !== null && st.resume_gateway_url !== null;
    if (!resume && (await this.waitForIdentifySlot(st))) return;
    st.status = "connecting";
    st.conn++;
    st.live_since = null;
    st.name ??= this.ctx.id.name ?? null;
    st.object_id ??= this.ctx.id.toString();
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

  /**
   * True when this shard must wait for its identify slot (the alarm is set for it). Shards share Discord's identify
   * concurrency; one identifying out of turn is answered with an Invalid Session and spends a session start.
   */
  private async waitForIdentifySlot(st: RelayState): Promise<boolean> {
    // The gate's slots are real time (the relay's clock may be a test's moved one); a concurrent ensure() meanwhile
    // sees a shard that is waiting, not one to connect again.
    st.status = "backoff";
    let waitMs: number;
    try {
      waitMs = await identifyDelay(st.shard, Date.now, async () => this.hooks().identifyTurn(st.shard, (await this.gatewayInfo()).max_concurrency ?? 1));
    } catch (error) {
      logger.warn("gateway.identify_slot_failed", { shard: st.shard, error });
      waitMs = 0;
    }
    // Stopped while it asked (stop() changes the loaded state, `this.state`): it stays down; stop() removed the alarm.
    if (this.state?.status === "stopped") return true;
    if (waitMs <= 0) return false;
    await this.save(st);
    await this.ctx.storage.setAlarm(this.clock() + waitMs);
    logger.info("gateway.identify_queued", { shard: st.shard, wait_ms: waitMs });
    return true;
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
    if (p.op === GatewayOpcodes.Dispatch) return this.onDispatch(st, p, data);
    if (p.op === GatewayOpcodes.Reconnect) logger.info("gateway.reconnect_requested", { shard: st.shard });
    if (p.op === GatewayOpcodes.InvalidSession) logger.warn("gateway.invalid_session", { shard: st.shard, resumable: p.d });
    const step = controlFrame(st, p, { now: this.clock(), random: this.random, token: this.hooks().token() });
    if (!step) return;
    if (step.send) this.send(step.send);
    if (step.close) this.closeSocket(RECONNECT_CLOSE, step.close);
    if (step.reopen) return this.openSocket(st);
    await this.save(st);
    if (step.alarmAt !== undefined) await this.ctx.storage.setAlarm(step.alarmAt);
  }

  /** `raw` is the frame as received: stored as it is (a reconnect's GUILD_CREATEs are large; serialising each again costs). */
  private async onDispatch(st: RelayState, p: GatewayDispatchPayload, raw: string): Promise<void> {
    const now = this.clock();
    const { marker, entry, malformed, snapshot } = planDispatch(st, p, raw, now);
    if (malformed) logger.warn("gateway.malformed_dispatch", { shard: st.shard, t: p.t, seq: p.s });
    // A GUILD_CREATE never enters the queue: a reconnect's thousands would stand between the socket and every live
    // dispatch. It is set aside for its guild, in its place in the order (see GuildSnapshots.before).
    const asideFor = entry?.guild_id && snapshot && !this.snapshots.mustQueue(entry.guild_id, this.inbox) ? entry.guild_id : null;
    // One transaction: the resume seq never covers a dispatch that is not durably stored (RESUME replays the rest).
    this.ctx.storage.transactionSync(() => {
      if (marker) this.inbox.append({ kind: "lifecycle", t: marker.change, s: p.s, payload: JSON.stringify(marker) }, now);
      if (entry && asideFor) this.snapshots.setAside(asideFor, entry.payload, this.inbox.newestId(), now);
      else if (entry) this.inbox.append(entry, now);
      this.ctx.storage.kv.put("state", st);
    });
    this.state = st;
    if (marker || (entry && !asideFor)) await this.afterAppend(st);
    else if (asideFor) this.drainer.kick();
  }

  /** Queues a connection change in order with the dispatches (the bus hears of it once what came before is handled). */
  private queueLifecycle(st: RelayState, change: LifecycleEntry["change"]): void {
    const entry: LifecycleEntry = { change, conn: st.conn, fresh: false, state: { ...st } };
    this.ctx.storage.transactionSync(() => {
      this.inbox.append({ kind: "lifecycle", t: change, s: null, payload: JSON.stringify(entry) }, this.clock());
      this.ctx.storage.kv.put("state", st);
    });
    this.state = st;
    this.drainer.kick();
  }

  private async afterAppend(st: RelayState): Promise<void> {
    const size = this.inbox.stats();
    if (size.rows > st.max_backlog) st.max_backlog = size.rows;
    this.drainer.kick();
    if (!mustPause(size, this.bound) || !this.ws) return;
    // Full: stop reading. Nothing is lost: Discord keeps what it sends after the stored seq and replays it on
    // RESUME; if the session has expired by then, the fresh IDENTIFY's GUILD_CREATEs carry each guild's state.
    logger.warn("gateway.backlog_full", { shard: st.shard, rows: size.rows, bytes: size.bytes });
    this.closeSocket(RECONNECT_CLOSE, "dispatch backlog full");
    st.status = "paused";
    st.live_since = null;
    await this.save(st);
    await this.ctx.storage.setAlarm(this.clock() + PAUSED_CHECK_MS);
  }

  /** One queued entry: a dispatch for the features' handlers, or a connection change for the bus. */
  private async handleEntry(row: InboxRow): Promise<{ done: string[]; failed: string[] }> {
    const hooks = this.hooks();
    if (row.kind === "dispatch") return this.snapshots.dispatch(row, this.runPayload, this.clock());
    const entry = JSON.parse(row.payload) as LifecycleEntry;
    if (entry.change === "connected") await this.caughtUp(entry, row.received_at);
    await hooks.lifecycle(entry.change, entry.state, hooks.services());
    return { done: [], failed: [] };
  }

  /** Runs the features' handlers for a stored dispatch, except those in `skip`. */
  private readonly runPayload: RunPayload = (payload, skip, meta) => {
    const hooks = this.hooks();
    return hooks.forward(JSON.parse(payload) as GatewayDispatchPayload, hooks.services(), skip, meta);
  };

  /** Everything received before this connection's READY/RESUMED has been handled: gateway-fed state is current. */
  private async caughtUp(entry: LifecycleEntry, readyAt: number): Promise<void> {
    const st = await this.load();
    const now = this.clock();
    // A new session: state only GUILD_CREATE carries (voice occupancy) is stale until each guild's arrives. From when
    // READY arrived, not when it was handled: the session's GUILD_CREATEs follow READY on the socket, and one that
    // arrived while READY waited in the queue must still count as newer than the session's start.
    if (entry.fresh) st.session_started_at = readyAt;
    // Sessions from before this field existed were trusted before; they keep that until their next IDENTIFY.
    else st.session_started_at ??= 0;
    if (entry.conn === st.conn && this.ws && st.status === "ready") st.live_since = now;
    await this.save(st);
  }

  private async afterEntry(): Promise<void> {
    const st = await this.load();
    if (st.status === "paused" && mayResume(this.inbox.stats(), this.bound)) await this.ctx.storage.setAlarm(this.clock());
  }

  private async onSocketClose(gen: number, code: number, reason: string): Promise<void> {
    if (gen !== this.gen) return;
    this.ws = null;
    const st = await this.load();
    const wasReady = st.status === "ready";
    st.last_close = { code, reason, at: this.clock() };
    st.live_since = null;
    const decision = onClose(code);
    if (decision.action === "stop") {
      st.status = "fatal";
      st.fatal = { code, reason: decision.reason, at: this.clock(), token: this.tokenFingerprint() };
      forgetSession(st);
      this.queueLifecycle(st, "fatal");
      await this.ctx.storage.deleteAlarm();
      logger.error("gateway.fatal_close", { shard: st.shard, code, reason: decision.reason });
      return;
    }
    if (!decision.resume) {
      forgetSession(st);
    }
    // A connection that was up reconnects at once; one that failed before READY backs off.
    st.failures = wasReady ? 0 : st.failures + 1;
    st.status = "backoff";
    if (wasReady) this.queueLifecycle(st, "disconnected");
    else await this.save(st);
    logger.warn("gateway.closed", { shard: st.shard, code, reason, failures: st.failures });
    await this.ctx.storage.setAlarm(this.clock() + reconnectDelayMs(st.failures));
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
    // Stored states from before a field existed get its initial value.
    if (!this.state) this.state = { ...initialState(shard), ...(await this.ctx.storage.get<RelayState>("state")) };
    return this.state;
  }

  private async save(st: RelayState): Promise<void> {
    this.state = st;
    await this.ctx.storage.put("state", st);
  }
}
