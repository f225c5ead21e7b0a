/** The local Discord: REST under /api/v10, the gateway at /gateway, and a control API under /_emulator. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { act } from "./acting.ts";
import { Chaos, type ChaosConfig, type ChaosDecision, failChaos, tooManyRequests } from "./chaos.ts";
import { Gateway, type GatewayEvent } from "./gateway.ts";
import { ApiError, type Ctx, match, type Route, template } from "./http.ts";
import { buildInteraction, type InteractionRequest, recordResponse } from "./interactions.ts";
import { type Bucket, DEFAULT_LIMITS, Limiter, type RateLimitConfig, rateLimitedBody } from "./limits.ts";
import { appRoutes } from "./routes-app.ts";
import { guildRoutes } from "./routes-guild.ts";
import { messageRoutes } from "./routes-messages.ts";
import { generateSigningKeys, type SigningKeys, signedHeaders } from "./sign.ts";
import { World } from "./state.ts";
import { CALLBACK_SCHEMA, invalidFormBody, schemaFor, validateBody } from "./validate.ts";
import { WebhookSinks } from "./webhook-sink.ts";

export interface EmulatorOptions {
  port?: number;
  host?: string;
  applicationId?: string;
  botToken?: string;
  keys?: SigningKeys;
  /** Where to deliver interactions when acting as a user (`npm start`). */
  botUrl?: string;
  quiet?: boolean;
  /**
   * Serves paths outside /api/v10 and /_emulator (the sandbox's page); returns false to fall through to 404.
   * Kept as a hook so the emulator itself knows nothing about the page.
   */
  page?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
  /**
   * Called when the chaos mode picks a request to evict the bot during (the chaos runner restarts the bot's runtime).
   * True = taken: the request is then never answered. False or absent = the request goes on normally.
   */
  onEvict?: (request: RequestLog) => boolean;
  /** Requests kept in the log (oldest dropped first); default 20,000. */
  maxLog?: number;
}

/** What happened in the emulator, for observers (the sandbox's live view and timeline). */
export type EmulatorEvent =
  | { type: "rest"; at: number; method: string; path: string; route: string | null; status: number; ms: number; body: unknown }
  | { type: "control"; at: number; method: string; path: string; status: number }
  | {
      type: "interaction";
      at: number;
      id: string;
      kind: string;
      user_id?: string;
      name?: string;
      subcommand?: string;
      custom_id?: string;
      status: number;
      response_type?: number;
      ms: number;
    }
  | ({ type: "gateway"; at: number } & GatewayEvent);

export interface RequestLog {
  seq: number;
  at: number;
  method: string;
  path: string;
  route: string | null;
  status: number;
  body: unknown;
  user_agent: string | null;
  invalid_body?: unknown;
  /** The chaos fault this request got ("5xx", "timeout+commit" …). */
  fault?: string;
  /** Discord carried the request out (whatever the client was told), and the id of what it made or returned. */
  applied?: boolean;
  result_id?: string;
}

export interface Emulator {
  url: string;
  port: number;
  applicationId: string;
  botToken: string;
  keys: SigningKeys;
  world: World;
  gateway: Gateway;
  limiter: Limiter;
  requests: RequestLog[];
  /** Calls `listener` for every REST request answered, control call, interaction delivered and gateway event. */
  observe(listener: (e: EmulatorEvent) => void): () => void;
  /** Webhook receivers at `/_emulator/webhook-sink/:name`. */
  sinks: WebhookSinks;
  /** Seeded random faults on every route and the webhook sinks; null turns them off. */
  setChaos(config: ChaosConfig | null): void;
  chaos(): Chaos | null;
  close(): Promise<void>;
}

const MAX_LOG = 20_000;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Route overrides with `changes` applied: an entry set to null is removed. */
function mergeRoutes(routes: RateLimitConfig["routes"], changes: unknown): RateLimitConfig["routes"] {
  if (!changes || typeof changes !== "object") return routes;
  const out = { ...routes };
  for (const [key, bucket] of Object.entries(changes as Record<string, Bucket | null>)) {
    if (bucket === null) delete out[key];
    else out[key] = bucket;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { "content-type": "application/json" } : {}), ...headers });
  res.end(text);
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const keys = opts.keys ?? (await generateSigningKeys());
  const applicationId = opts.applicationId ?? "1100000000000000001";
  const botToken = opts.botToken ?? "emulator-bot-token";
  const world = new World(applicationId);
  const limiter = new Limiter(structuredClone(DEFAULT_LIMITS));
  const requests: RequestLog[] = [];
  const counters = { requests: 0, invalid: 0, rate_limited: 0, faults: 0, schema_rejections: 0 };
  let seq = 0;
  let baseUrl = "";
  const gateway = new Gateway(world, botToken, () => baseUrl);
  const sinks = new WebhookSinks();
  const observers = new Set<(e: EmulatorEvent) => void>();
  const emit = (e: EmulatorEvent) => {
    for (const o of observers) {
      try {
        o(e);
      } catch (err) {
        if (!opts.quiet) console.error("[emulator] observer failed:", err);
      }
    }
  };
  gateway.onEvent = (e) => emit({ type: "gateway", at: Date.now(), ...e });
  let chaos: Chaos | null = null;
  /** A decision for this request, or null; an eviction only when the runner takes it. */
  const chaosFor = (method: string, path: string, log: RequestLog | null): ChaosDecision | null => {
    const d = chaos?.decide(method, path) ?? null;
    if (d?.kind === "evict") {
      if (!(log && opts.onEvict?.(log))) return null;
      chaos?.count(d);
    }
    if (d) counters.faults++;
    return d;
  };
  const routes: Route[] = [
    ...guildRoutes,
    ...messageRoutes,
    ...appRoutes(() => ({ url: `${baseUrl.replace(/^http/, "ws")}/gateway`, shards: gateway.config.shards, max_concurrency: gateway.config.max_concurrency })),
  ];

  async function rest(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    const log: RequestLog = {
      seq: ++seq,
      at: Date.now(),
      method,
      path,
      route: null,
      status: 0,
      body: undefined,
      user_agent: req.headers["user-agent"] ?? null,
    };
    requests.push(log);
    const maxLog = opts.maxLog ?? MAX_LOG;
    if (requests.length > maxLog) requests.splice(0, requests.length - maxLog);
    counters.requests++;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      emit({ type: "rest", at: log.at, method, path, route: log.route, status, ms: Date.now() - log.at, body: log.body });
      if (status === 401 || status === 403 || status === 429) counters.invalid++;
      send(res, status, body, headers);
    };
    let route: Route | undefined;
    let params: Record<string, string> | null = null;
    for (const r of routes) {
      if (r.method !== method) continue;
      params = match(r.pattern, path);
      if (params) {
        route = r;
        break;
      }
    }
    if (!route || !params) return reply(404, { message: "404: Not Found", code: 0 });
    const tpl = template(route.pattern);
    log.route = `${method} ${tpl}`;
    if (!route.noAuth && req.headers.authorization !== `Bot ${botToken}`) return reply(401, { message: "401: Unauthorized", code: 0 });

    const taken = limiter.takeFault(method, path);
    // `effect` (alias `commit`): Discord did the work but the answer was lost (a 5xx or a cut connection after the fact).
    const after = taken?.effect || taken?.commit ? { ...taken, status: taken.status ?? (taken.hang ? undefined : 502) } : null;
    const fault = after ? null : taken;
    if (after) counters.faults++;
    if (fault) {
      counters.faults++;
      if (fault.hang) return; // never answers: the client's timeout must fire
      if (fault.reset) {
        req.socket.destroy();
        return;
      }
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.status === 429) {
        counters.rate_limited++;
        const [status, body, headers] = tooManyRequests(fault.retryAfter ?? 0.05, !!fault.global);
        return reply(status, body, headers);
      }
      if (fault.status && !fault.commit) return reply(fault.status, fault.body ?? { message: `${fault.status}: injected fault`, code: 0 });
    }

    const random = fault ? null : chaosFor(method, path, log);
    if (random) log.fault = `${random.kind}${random.commit ? "+commit" : ""}`;
    if (random && !random.commit) {
      if (random.kind === "429") counters.rate_limited++;
      log.status = failChaos(req, res, random);
      return;
    }

    const major = params.channel ?? params.guild ?? params.token ?? params.app ?? "";
    const rl = limiter.take(method, tpl, major);
    if (rl.limited) {
      counters.rate_limited++;
      return reply(429, rateLimitedBody(rl.limited.retryAfter, rl.limited.global), { ...rl.headers, "retry-after": rl.limited.retryAfter.toFixed(3) });
    }

    let body: unknown;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return reply(400, { message: "The request body contains invalid JSON.", code: 50109 }, rl.headers);
      }
    }
    log.body = body;
    const schema = schemaFor(method, tpl);
    if (schema && body !== undefined) {
      const issues = validateBody(schema, body);
      if (issues.length) {
        counters.schema_rejections++;
        log.invalid_body = issues;
        return reply(400, invalidFormBody(issues), rl.headers);
      }
    }
    const ctx: Ctx = { world, params, query, body, actor: route.noAuth ? null : applicationId };
    try {
      const out = await route.handler(ctx);
      if (out.status < 400) {
        log.applied = true;
        const id = (out.body as { id?: unknown } | undefined)?.id;
        if (typeof id === "string") log.result_id = id;
      }
      // A fault with effect (or commit): Discord did the work, but the answer is lost (a 5xx, a reset or a hang after the fact).
      if (after?.hang) return;
      if (after?.reset) return void req.socket.destroy();
      if (after?.status) return reply(after.status, after.body ?? { message: `${after.status}: injected fault after the change`, code: 0 });
      if (random?.commit) {
        log.status = failChaos(req, res, random);
        return;
      }
      reply(out.status, out.body, { ...rl.headers, ...out.headers });
    } catch (err) {
      if (err instanceof ApiError) return reply(err.status, { message: err.message, code: err.code, ...err.extra }, rl.headers);
      reply(500, { message: "500: Internal Server Error", code: 0 });
      if (!opts.quiet) console.error("[emulator]", err);
    }
  }

  async function deliver(body: Record<string, unknown>, at?: number) {
    if (!opts.botUrl) throw new ApiError(400, 0, "no bot URL configured; pass botUrl to the emulator");
    const text = JSON.stringify(body);
    const res = await fetch(opts.botUrl, { method: "POST", headers: await signedHeaders(keys.privateKeyPkcs8Hex, text, at), body: text });
    const responseText = await res.text();
    let response: unknown = responseText;
    try {
      response = JSON.parse(responseText);
    } catch {}
    return { status: res.status, response };
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    // A webhook delivery is another system's endpoint, and it fails like one under chaos too.
    const sinkFault = method === "POST" && path.startsWith("/_emulator/webhook-sink/") ? chaosFor(method, path, null) : null;
    if (sinkFault && !sinkFault.commit) return void failChaos(req, res, sinkFault);
    const sunk = sinks.handle(method, path, raw, req.headers);
    if (sunk && sinkFault) return void failChaos(req, res, sinkFault);
    if (sunk) return send(res, sunk.status, sunk.body, sunk.headers);
    const body = raw ? JSON.parse(raw) : {};
    const route = `${method} ${path.replace(/\/\d+/g, "/:id")}`;
    const id = path.split("/")[3] ?? "";
    if (path.startsWith("/_emulator/gateway")) {
      const out = gateway.control(route, body);
      return out === undefined ? send(res, 404, { error: `no control route ${route}` }) : send(res, 200, out);
    }
    const acted = act(world, method, path, body);
    if (acted !== undefined) return send(res, 200, acted);
    switch (route) {
      case "GET /_emulator/health":
        return send(res, 200, { ok: true, application_id: applicationId, public_key: keys.publicKeyHex });
      case "POST /_emulator/reset":
        world.guilds.clear();
        requests.length = 0;
        limiter.faults = [];
        return send(res, 200, { ok: true });
      case "POST /_emulator/guilds":
        return send(
          res,
          200,
          world.createGuild({
            name: body.name,
            botPermissions: body.bot_permissions !== undefined ? BigInt(body.bot_permissions) : undefined,
            everyonePermissions: body.everyone_permissions !== undefined ? BigInt(body.everyone_permissions) : undefined,
          }),
        );
      case "POST /_emulator/users": {
        const user = world.addUser(body.username ?? "user", { dms_closed: !!body.dms_closed });
        if (body.guild_id) world.guilds.get(body.guild_id)?.members.set(user.id, { roles: body.roles ?? [], joined_at: new Date().toISOString(), nick: null });
        return send(res, 200, user);
      }
      case "GET /_emulator/state":
        return send(res, 200, world.snapshot(query.get("guild") ?? undefined), { "content-type": "application/json" });
      case "GET /_emulator/requests": {
        const contains = query.get("path_contains");
        const since = Number(query.get("since") ?? 0);
        return send(
          res,
          200,
          requests.filter((r) => r.seq > since && (!contains || r.path.includes(contains))),
        );
      }
      case "GET /_emulator/dispatches": {
        const [guild, t] = [query.get("guild"), query.get("t")];
        return send(
          res,
          200,
          world.dispatched.filter((x) => (!guild || x.guild_id === guild) && (!t || x.t === t)),
        );
      }
      case "GET /_emulator/counters":
        return send(res, 200, { ...counters, seq });
      case "POST /_emulator/faults":
        return send(res, 200, limiter.addFault(body));
      case "DELETE /_emulator/faults":
        limiter.faults = query.get("path") ? limiter.faults.filter((f) => !f.path.includes(query.get("path") as string)) : [];
        return send(res, 200, { ok: true });
      case "PUT /_emulator/chaos":
        chaos = body && typeof body.seed === "number" ? new Chaos(body as ChaosConfig) : null;
        if (typeof body?.nonce_window_ms === "number") world.nonceWindowMs = body.nonce_window_ms;
        return send(res, 200, { enabled: chaos !== null });
      case "GET /_emulator/chaos":
        return send(res, 200, { config: chaos?.config ?? null, counts: chaos?.counts ?? {} });
      case "PUT /_emulator/limits":
        // `routes` entries are merged (null removes one), so tests tightening their own buckets do not undo each other's.
        limiter.config = { ...limiter.config, ...body, routes: mergeRoutes(limiter.config.routes, body?.routes) };
        return send(res, 200, limiter.config);
      case "POST /_emulator/interactions": {
        const { send: deliverNow, at, ...request } = body as InteractionRequest & { send?: boolean; at?: number };
        const { record, body: payload } = buildInteraction(world, request);
        if (deliverNow) {
          const started = Date.now();
          const out = await deliver(payload, at);
          if (out.status === 200) recordResponse(world, record, out.response);
          emit({
            type: "interaction",
            at: started,
            id: record.id,
            kind: request.kind,
            user_id: request.user_id,
            name: request.name,
            subcommand: request.subcommand,
            custom_id: request.custom_id,
            status: out.status,
            response_type: (out.response as { type?: number } | null)?.type,
            ms: Date.now() - started,
          });
          return send(res, 200, { id: record.id, token: record.token, ...out });
        }
        const text = JSON.stringify(payload);
        return send(res, 200, { id: record.id, token: record.token, body: text, headers: await signedHeaders(keys.privateKeyPkcs8Hex, text, at) });
      }
      case "POST /_emulator/interactions/:id/response": {
        const record = world.interactions.get(id);
        if (!record) return send(res, 404, { error: "unknown interaction" });
        const issues = validateBody(CALLBACK_SCHEMA, body);
        if (!issues.length) recordResponse(world, record, body);
        return send(res, 200, { valid: issues.length === 0, issues });
      }
      case "GET /_emulator/interactions/:id": {
        const record = world.interactions.get(id);
        return record ? send(res, 200, record) : send(res, 404, { error: "unknown interaction" });
      }
      case "POST /_emulator/sign":
        return send(res, 200, { headers: await signedHeaders(keys.privateKeyPkcs8Hex, body.body ?? "", body.at) });
      default:
        return send(res, 404, { error: `no control route ${route}` });
    }
  }

  async function other(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!(opts.page && (await opts.page(req, res, url)))) send(res, 404, { message: "404: Not Found", code: 0 });
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const isControl = path.startsWith("/_emulator/");
    const work = path.startsWith("/api/v10/")
      ? rest(req, res, path.slice("/api/v10".length), url.searchParams)
      : isControl
        ? control(req, res, path, url.searchParams)
        : other(req, res, url);
    // Control calls that change the world (everything but GET) are announced once answered.
    if (isControl && req.method !== "GET")
      res.on("finish", () => emit({ type: "control", at: Date.now(), method: req.method ?? "", path, status: res.statusCode }));
    work.catch((err) => {
      if (!res.headersSent)
        send(res, err instanceof ApiError ? err.status : 500, { message: err instanceof Error ? err.message : String(err), code: err?.code ?? 0 });
    });
  });
  // Node closes an idle keep-alive connection after 5 s; a client reusing it at that moment (workerd's fetch keeps
  // connections open) loses its request with "Network connection lost". Clients give up on idle connections first.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.on("upgrade", (req, socket, head) => {
    if (!gateway.upgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    // A port in use rejects (with EADDRINUSE) instead of crashing the process.
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: baseUrl,
    port,
    applicationId,
    botToken,
    keys,
    world,
    gateway,
    limiter,
    requests,
    observe: (listener) => {
      observers.add(listener);
      return () => observers.delete(listener);
    },
    sinks,
    setChaos: (config) => {
      chaos = config ? new Chaos(config) : null;
    },
    chaos: () => chaos,
    close: () =>
      new Promise<void>((resolve) => {
        gateway.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
