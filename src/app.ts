/** The Hono app: POST /interactions (verified, routed) and GET /health. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { calendarFeed } from "./calendar/feed";
import type { Env } from "./env";
import { cachedFor, computeHealth, HEALTH_CACHE_MS } from "./http/health";
import { parseInteraction } from "./http/parse-interaction";
import { type VerifiedVariables, verifyDiscordRequest } from "./http/verify-discord";
import { InteractionRouter } from "./interactions/router";
import { logger, setLogLevel } from "./log";
import type { Registry } from "./registry";
import { createServices } from "./services";

/** Longest an interaction's Discord call waits for its slot (within the 30 s a deferred reply's waitUntil has). */
const INTERACTIVE_WAIT_MS = 10_000;

/** Interactions are small JSON documents; anything larger is not from Discord. */
export const MAX_INTERACTION_BYTES = 64 * 1024;

type AppEnv = { Bindings: Env; Variables: VerifiedVariables };

/**
 * The Worker's fetch handler. Per-request setup is a plain call in front of Hono rather than a middleware
 * layer: every layer costs microseconds on the hot path, and `npm run bench` holds us to the sample app's speed.
 */
export function createFetchHandler(registry: Registry, options: AppOptions = {}) {
  const app = createApp(registry, options);
  let catalogChecked = false;
  return function fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    setLogLevel(env.LOG_LEVEL);
    if (!catalogChecked) {
      // Seed 003's startup validation, run on the first request of each isolate.
      catalogChecked = true;
      for (const message of registry.catalogErrors) logger.error("events.catalog_invalid", { message });
    }
    return app.fetch(request, env, ctx);
  };
}

export interface AppOptions {
  /** How long /health serves one computed summary (default HEALTH_CACHE_MS). */
  healthCacheMs?: number;
}

export function createApp(registry: Registry, options: AppOptions = {}) {
  const router = new InteractionRouter(registry);
  const app = new Hono<AppEnv>();

  app.post(
    "/interactions",
    bodyLimit({ maxSize: MAX_INTERACTION_BYTES, onError: (c) => c.json({ error: "payload too large" }, 413) }),
    verifyDiscordRequest({ publicKey: (env) => (env as Env).DISCORD_PUBLIC_KEY }),
    async function handleInteraction(c) {
      const parsed = parseInteraction(c.get("rawBody"));
      if (!parsed.ok) {
        logger.warn("interaction.malformed", { reason: parsed.error });
        return c.json({ error: parsed.error }, 400);
      }
      // Every Discord call made while answering (and the deferred reply's PATCH) takes an interactive slot of the
      // REST budget; it may wait longer than a timer step would, since the member is waiting for exactly this.
      const budget = { lane: "interactive" as const, guild: parsed.interaction.guild_id ?? "dm", maxWaitMs: INTERACTIVE_WAIT_MS };
      const services = createServices(c.env, (p) => c.executionCtx.waitUntil(p), registry, Date.now, budget);
      const response = await router.handle(parsed.interaction, services);
      // The native Response.json skips Hono's header merging; nothing here sets headers on the context.
      return Response.json(response);
    },
  );

  app.get("/calendar/:guild/:file", async function calendarRoute(c) {
    const guild = c.req.param("guild");
    const file = c.req.param("file");
    const token = file.endsWith(".ics") ? file.slice(0, -4) : "";
    // Wrong guild, wrong token, no feed: all the same 404, so the URL reveals nothing.
    if (!/^\d{17,20}$/.test(guild) || !/^[0-9a-f]{48}$/.test(token)) return c.json({ error: "not found" }, 404);
    const body = await calendarFeed(c.env.DB, guild, token, Date.now());
    if (!body) return c.json({ error: "not found" }, 404);
    return c.body(body, 200, { "content-type": "text/calendar; charset=utf-8", "cache-control": "private, max-age=300" });
  });

  const healthTtl = options.healthCacheMs ?? HEALTH_CACHE_MS;
  const health = cachedFor(healthTtl, (env: Env, now) => computeHealth(env, registry.catalogErrors, now));
  app.get("/health", async function healthRoute(c) {
    const report = await health(c.env);
    return c.json(report.body, report.status, { "cache-control": `max-age=${Math.ceil(healthTtl / 1000)}` });
  });

  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError(function onError(err, c) {
    if (err instanceof HTTPException && err.status < 500) return c.json({ error: err.message }, err.status);
    // Server-side failures answer with a ref only: their text (configuration, D1) is for the operator's log.
    const ref = crypto.randomUUID().slice(0, 8);
    logger.error(err instanceof HTTPException ? "http.error" : "http.unhandled", { path: c.req.path, ref, error: err });
    return c.json({ error: "internal error", ref }, err instanceof HTTPException ? err.status : 500);
  });
  return app;
}
