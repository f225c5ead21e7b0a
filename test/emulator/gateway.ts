/** The emulator's gateway: HELLO, IDENTIFY/READY, heartbeats, dispatches, RESUME, RECONNECT, INVALID_SESSION, close codes. */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
import { publicEvent } from "./scheduled-events.ts";
import type { World } from "./state.ts";

// `ws` is CommonJS; createRequire keeps this file loadable by Node's type stripping without a bundler.
const { WebSocketServer: Server } = createRequire(import.meta.url)("ws") as typeof import("ws");

/** Intents that need approval in the developer portal (GUILD_PRESENCES, GUILD_MEMBERS, MESSAGE_CONTENT). */
const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15);
/** How many dispatches a session keeps for RESUME, and how long a disconnected session stays resumable. */
const REPLAY_BUFFER = 2000;
const RESUMABLE_MS = 5 * 60_000;

export interface GatewayConfig {
  heartbeat_interval: number;
  shards: number;
  /** Refuse privileged intents with 4014, as Discord does when they are not enabled for the app. */
  privileged_allowed: boolean;
  /**
   * Test runs only: READY and the GUILD_CREATE burst of an IDENTIFY name just the guilds made in the last this-many
   * ms. Every test file's relay shares this emulator; without it a late file's relay first works through every
   * earlier file's guilds. Unset (npm start, benches) = every guild, as Discord does.
   */
  identify_recent_ms?: number;
  /** `session_start_limit.max_concurrency` of GET /gateway/bot: shards that may IDENTIFY in the same 5 s. */
  max_concurrency: number;
  /**
   * Refuse an IDENTIFY (op 9, not resumable) that comes within 5 s of another with the same rate-limit key (shard id
   * % max_concurrency), as Discord does. Off by default: every test file's relay is shard 0 of the same bot here.
   */
  enforce_identify_concurrency?: boolean;
  /** Guilds a shard may hold before its IDENTIFY is closed with 4011 Sharding required (Discord: 2,500). */
  max_guilds_per_shard: number;
}

/** Discord's window for identify concurrency. */
const IDENTIFY_WINDOW_MS = 5_000;

/** What the gateway did, for observers such as the sandbox's timeline. */
export interface GatewayEvent {
  what: "dispatch" | "identify" | "resume" | "invalid_session" | "close" | "reject";
  session?: string;
  t?: string;
  seq?: number;
  /** Whether a dispatch reached an open connection (else it waits in the replay buffer). */
  delivered?: boolean;
  code?: number | "dropped";
  replayed?: number;
  /** The shard an IDENTIFY was for. */
  shard?: [number, number];
}

interface Session {
  id: string;
  shard: [number, number];
  intents: number;
  seq: number;
  /** Sent dispatches, for replay on RESUME. */
  buffer: { s: number; t: string; d: unknown }[];
  ws: WebSocket | null;
  acks: boolean;
  heartbeats: number;
  identifies: number;
  resumes: number;
  /** Close codes and drops this session's connections saw, oldest first. */
  closes: (number | "dropped")[];
  disconnected_at: number | null;
  invalid: boolean;
  /** Ask for a heartbeat (op 1) right after the next RESUME's replay, behind the replayed dispatches. */
  heartbeat_after_replay: boolean;
  /** When its IDENTIFY was accepted. */
  identified_at: number;
}

export class Gateway {
  config: GatewayConfig = { heartbeat_interval: 41_250, shards: 1, privileged_allowed: false, max_concurrency: 1, max_guilds_per_shard: 2_500 };
  /** When each identify rate-limit key last identified (for `enforce_identify_concurrency`). */
  private readonly lastIdentify = new Map<number, number>();
  readonly sessions = new Map<string, Session>();
  readonly counters = { connections: 0, identifies: 0, resumes: 0, heartbeats: 0, dispatches: 0, rejected: 0 };
  /** What happened when (connections, identifies, resumes, closes, dispatches sent or only buffered), newest last. */
  readonly history: { at: number; what: string; session?: string; detail?: string }[] = [];
  private readonly wss: WebSocketServer = new Server({ noServer: true });
  /** Sockets the emulator cut without a close frame; their close event is recorded as "dropped". */
  private readonly dropped = new WeakSet<WebSocket>();
  /** Called for every dispatch, identify, resume and close (set by the server). */
  onEvent: (e: GatewayEvent) => void = () => {};

  private readonly world: World;
  private readonly botToken: string;
  private readonly baseUrl: () => string;

  constructor(world: World, botToken: string, baseUrl: () => string) {
    this.world = world;
    this.botToken = botToken;
    this.baseUrl = baseUrl;
    world.onDispatch = (t, d, guildId) => this.dispatch(t, d, guildId);
  }

  /** The server's `upgrade` hook: `/gateway` for new sessions, `/gateway-resume` (the resume URL) for resumes. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path !== "/gateway" && path !== "/gateway-resume") return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  private note(what: string, session?: Session | null, detail?: string): void {
    this.history.push({ at: Date.now(), what, ...(session ? { session: session.id.slice(0, 8) } : {}), ...(detail ? { detail } : {}) });
    if (this.history.length > 20_000) this.history.splice(0, this.history.length - 20_000);
  }

  private accept(ws: WebSocket): void {
    this.counters.connections++;
    this.note("connect");
    let session: Session | null = null;
    const send = (payload: unknown) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(payload));
    send({ op: 10, d: { heartbeat_interval: this.config.heartbeat_interval }, s: null, t: null });
    ws.on("message", (raw) => {
      let msg: { op?: number; d?: Record<string, unknown> | number | null };
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return ws.close(4002, "Error while decoding payload.");
      }
      const d = (msg.d ?? {}) as Record<string, unknown>;
      switch (msg.op) {
        case 1: {
          this.counters.heartbeats++;
          if (session) session.heartbeats++;
          if (!session || session.acks) send({ op: 11, d: null, s: null, t: null });
          return;
        }
        case 2: {
          if (session) return ws.close(4005, "Already authenticated.");
          if (d.token !== `Bot ${this.botToken}` && d.token !== this.botToken) return this.reject(ws, 4004, "Authentication failed.");
          const shard = (d.shard as [number, number] | undefined) ?? [0, 1];
          // Any shard count is accepted (Discord's is only a recommendation), as long as the shard exists.
          if (!Array.isArray(shard) || !Number.isInteger(shard[0]) || !Number.isInteger(shard[1]) || shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1]) {
            return this.reject(ws, 4010, "Invalid shard.");
          }
          const intents = Number(d.intents);
          if (!Number.isInteger(intents) || intents < 0 || intents >= 1 << 26) return this.reject(ws, 4013, "Invalid intent(s).");
          if (intents & PRIVILEGED_INTENTS && !this.config.privileged_allowed) return this.reject(ws, 4014, "Disallowed intent(s).");
          if (this.config.enforce_identify_concurrency) {
            const key = shard[0] % Math.max(1, this.config.max_concurrency);
            const last = this.lastIdentify.get(key);
            if (last !== undefined && Date.now() - last < IDENTIFY_WINDOW_MS) {
              this.counters.rejected++;
              this.onEvent({ what: "invalid_session" });
              this.note("identify refused", null, `key ${key}: ${Date.now() - last} ms after the last`);
              send({ op: 9, d: false, s: null, t: null });
              return;
            }
            this.lastIdentify.set(key, Date.now());
          }
          const recent = this.config.identify_recent_ms;
          const madeSince = (id: string) => recent === undefined || Number((BigInt(id) >> 22n) + 1420070400000n) >= Date.now() - recent;
          const onShard = (id: string) => Number((BigInt(id) >> 22n) % BigInt(shard[1])) === shard[0];
          const guilds = [...this.world.guilds.values()].filter((g) => onShard(g.id) && madeSince(g.id));
          if (guilds.length > this.config.max_guilds_per_shard) return this.reject(ws, 4011, "Sharding required.");
          session = this.newSession(shard, intents, ws);
          session.identifies++;
          this.onEvent({ what: "identify", session: session.id, shard });
          this.counters.identifies++;
          this.note("identify", session, `shard ${shard[0]}/${shard[1]}`);
          this.send(session, "READY", {
            v: 10,
            user: this.world.botUser,
            guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
            session_id: session.id,
            resume_gateway_url: `${this.baseUrl().replace(/^http/, "ws")}/gateway-resume`,
            shard,
            application: { id: this.world.applicationId, flags: 0 },
          });
          for (const g of guilds) this.send(session, "GUILD_CREATE", this.guildCreate(g.id));
          return;
        }
        case 6: {
          const old = this.sessions.get(String(d.session_id));
          if (d.token !== `Bot ${this.botToken}` && d.token !== this.botToken) return this.reject(ws, 4004, "Authentication failed.");
          if (!old || old.invalid) {
            this.onEvent({ what: "invalid_session", session: String(d.session_id) });
            this.note("resume refused", old);
            send({ op: 9, d: false, s: null, t: null });
            return;
          }
          const seq = Number(d.seq);
          if (!Number.isInteger(seq) || seq > old.seq) return ws.close(4007, "Invalid seq.");
          // A resumed session moves to the new connection; the old one, if any, is closed.
          if (old.ws && old.ws !== ws) old.ws.terminate();
          old.ws = ws;
          old.disconnected_at = null;
          old.resumes++;
          this.counters.resumes++;
          this.note("resume", old, `from seq ${seq}, replaying ${old.buffer.filter((m) => m.s > seq).length}`);
          session = old;
          const missed = old.buffer.filter((m) => m.s > seq);
          this.onEvent({ what: "resume", session: old.id, replayed: missed.length });
          for (const m of missed) send({ op: 0, ...m });
          if (old.heartbeat_after_replay) send({ op: 1, d: null, s: null, t: null });
          old.heartbeat_after_replay = false;
          this.send(old, "RESUMED", {});
          return;
        }
        default:
          return ws.close(4001, "Unknown opcode.");
      }
    });
    ws.on("close", (code) => {
      this.note("close", session, String(code));
      if (session && session.ws === ws) {
        session.ws = null;
        session.disconnected_at = Date.now();
        if (!this.dropped.has(ws)) session.closes.push(code);
        this.onEvent({ what: "close", session: session.id, code: this.dropped.has(ws) ? "dropped" : code });
        // Codes that end a session on Discord's side: it cannot be resumed.
        if ([4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014].includes(code)) session.invalid = true;
      }
    });
  }

  private reject(ws: WebSocket, code: number, reason: string): void {
    this.counters.rejected++;
    this.onEvent({ what: "reject", code });
    ws.close(code, reason);
  }

  private newSession(shard: [number, number], intents: number, ws: WebSocket): Session {
    this.expire();
    const s: Session = {
      id: randomBytes(16).toString("hex"),
      shard,
      intents,
      seq: 0,
      buffer: [],
      ws,
      acks: true,
      heartbeats: 0,
      identifies: 0,
      resumes: 0,
      closes: [],
      identified_at: Date.now(),
      disconnected_at: null,
      invalid: false,
      heartbeat_after_replay: false,
    };
    this.sessions.set(s.id, s);
    return s;
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (s.invalid || (s.disconnected_at !== null && now - s.disconnected_at > RESUMABLE_MS)) this.sessions.delete(id);
  }

  private onShard(guildId: string, s: Session): boolean {
    return Number((BigInt(guildId) >> 22n) % BigInt(s.shard[1])) === s.shard[0];
  }

  private guildCreate(guildId: string) {
    const g = this.world.guilds.get(guildId);
    if (!g) return { id: guildId, unavailable: true };
    return {
      id: g.id,
      name: g.name,
      owner_id: g.owner_id,
      roles: g.roles,
      channels: this.world.guildChannels(g.id),
      guild_scheduled_events: g.scheduled_events.map(publicEvent),
      voice_states: [...g.voice].map(([user, channel]) => this.world.voiceState(g.id, user, channel)),
      member_count: g.members.size,
      unavailable: false,
    };
  }

  /** Sends one dispatch on a session (buffered for RESUME even while it is disconnected). */
  private send(s: Session, t: string, d: unknown): void {
    const m = { s: ++s.seq, t, d };
    s.buffer.push(m);
    if (s.buffer.length > REPLAY_BUFFER) s.buffer.splice(0, s.buffer.length - REPLAY_BUFFER);
    this.counters.dispatches++;
    const open = s.ws !== null && s.ws.readyState === s.ws.OPEN;
    if (open) s.ws?.send(JSON.stringify({ op: 0, ...m }));
    this.onEvent({ what: "dispatch", session: s.id, t, seq: m.s, delivered: open });
    this.note(open ? "dispatch" : "dispatch buffered", s, `${t} #${m.s}`);
  }

  /** Fans a dispatch out to every live or resumable session whose shard holds the guild. */
  dispatch(t: string, d: unknown, guildId: string | null, sessionId?: string): number {
    this.expire();
    let sent = 0;
    for (const s of this.sessions.values()) {
      if (sessionId && s.id !== sessionId) continue;
      if (guildId && !this.onShard(guildId, s)) continue;
      this.send(s, t, d);
      sent++;
    }
    return sent;
  }

  private targets(sessionId: unknown): Session[] {
    if (typeof sessionId === "string") {
      const s = this.sessions.get(sessionId);
      if (!s) throw new Error(`unknown gateway session ${sessionId}`);
      return [s];
    }
    return [...this.sessions.values()];
  }

  snapshot() {
    return {
      config: this.config,
      counters: this.counters,
      sessions: [...this.sessions.values()].map(({ ws, buffer, ...s }) => ({ ...s, connected: ws !== null, buffered: buffer.length })),
    };
  }

  /** `/_emulator/gateway...` control routes; returns undefined for a route it does not know. */
  control(route: string, body: Record<string, unknown>): unknown {
    if (route.startsWith("POST ")) this.note(`control ${route.slice("POST /_emulator/gateway/".length)}`, null, JSON.stringify(body));
    switch (route) {
      case "GET /_emulator/gateway":
        return this.snapshot();
      case "PUT /_emulator/gateway/config":
        this.config = { ...this.config, ...(body as Partial<GatewayConfig>) };
        return this.config;
      case "POST /_emulator/gateway/dispatch": {
        // `batch`: several dispatches sent back to back, as a reconnect's GUILD_CREATEs arrive.
        const all = Array.isArray(body.batch) ? (body.batch as Record<string, unknown>[]) : [body];
        const sent = all.map((b) => this.dispatch(String(b.t), b.d, (b.guild_id as string | undefined) ?? null, body.session_id as string | undefined));
        return { sent: sent.reduce((a, n) => a + n, 0) };
      }
      case "POST /_emulator/gateway/acks":
        for (const s of this.targets(body.session_id)) s.acks = body.enabled !== false;
        return { ok: true };
      case "POST /_emulator/gateway/drop":
        // No close frame: what a network failure looks like to the client.
        for (const s of this.targets(body.session_id)) {
          if (!s.ws) continue;
          s.closes.push("dropped");
          this.dropped.add(s.ws);
          s.ws.terminate();
        }
        return { ok: true };
      case "POST /_emulator/gateway/close":
        for (const s of this.targets(body.session_id)) s.ws?.close(Number(body.code ?? 4000), String(body.reason ?? "closed by the emulator"));
        return { ok: true };
      case "POST /_emulator/gateway/reconnect":
        for (const s of this.targets(body.session_id)) s.ws?.send(JSON.stringify({ op: 7, d: null, s: null, t: null }));
        return { ok: true };
      case "POST /_emulator/gateway/invalidate":
        for (const s of this.targets(body.session_id)) {
          if (!body.resumable) s.invalid = true;
          s.ws?.send(JSON.stringify({ op: 9, d: !!body.resumable, s: null, t: null }));
        }
        return { ok: true };
      case "POST /_emulator/gateway/heartbeat-request":
        for (const s of this.targets(body.session_id)) {
          if (body.after_replay) s.heartbeat_after_replay = true;
          else s.ws?.send(JSON.stringify({ op: 1, d: null, s: null, t: null }));
        }
        return { ok: true };
      default:
        return undefined;
    }
  }

  close(): void {
    for (const s of this.sessions.values()) s.ws?.terminate();
    this.wss.close();
  }
}
