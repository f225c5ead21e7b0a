/** The Hono app: POST /interactions (verified, routed) and GET /health. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { calendarFeed } from "./calendar/feed";
import { type Env, missingSecrets } from "./env";
import { relayHealth } from "./gateway/client";
import { parseInteraction } from "./http/parse-interaction";
import { type VerifiedVariables, verifyDiscordRequest } from "./http/verify-discord";
import { InteractionRouter } from "./interactions/router";
import { logger, setLogLevel } from "./log";
import type { Registry } from "./registry";
import { createServices } from "./services";
import { VERSION } from "./version";

/** Interactions are small JSON documents; anything larger is not from Discord. */
export const MAX_INTERACTION_BYTES = 64 * 1024;

type AppEnv = { Bindings: Env; Variables: VerifiedVariables };

/**
 * The Worker's fetch handler. Per-request setup is a plain call in front of Hono rather than a middleware
 * layer: every layer costs microseconds on the hot path, and `npm run bench` holds us to the sample app's speed.
 */
export function createFetchHandler(registry: Registry) {
  const app = createApp(registry);
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

export function createApp(registry: Registry) {
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
      const services = createServices(c.env, (p) => c.executionCtx.waitUntil(p), registry);
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

  app.get("/health", async function health(c) {
    let d1: { ok: boolean; error?: string };
    try {
      await c.env.DB.prepare("SELECT 1").first();
      d1 = { ok: true };
    } catch (error) {
      d1 = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    const crons = await c.env.DB.prepare("SELECT job, last_started_at, last_finished_at, last_status FROM cron_runs ORDER BY job")
      .all()
      .then((r) => r.results)
      .catch(() => []);
    const timers = await c.env.DB.prepare(
      "SELECT COUNT(*) AS timers, COALESCE(SUM(pending), 0) AS pending, MIN(next_due) AS next_due, SUM(CASE WHEN next_due < ? THEN 1 ELSE 0 END) AS overdue FROM timers WHERE pending > 0",
    )
      .bind(Date.now() - 60_000)
      .first()
      .catch(() => null);
    const secrets = missingSecrets(c.env);
    const relay = await relayHealth(c.env.GATEWAY_RELAY).catch((error) => ({ error: error instanceof Error ? error.message : String(error) }));
    const ok = d1.ok && secrets.length === 0 && registry.catalogErrors.length === 0;
    return c.json(
      {
        ok,
        version: VERSION,
        d1,
        missing_secrets: secrets,
        events: { valid: registry.catalogErrors.length === 0, errors: registry.catalogErrors },
        crons,
        relay,
        // Timers with pending items; "overdue" ones are a minute past due (stuck alarms would show here).
        timers,
      },
      ok ? 200 : 503,
    );
  });

  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError(function onError(err, c) {
    if (err instanceof HTTPException) {
      if (err.status >= 500) logger.error("http.error", { path: c.req.path, error: err });
      return c.json({ error: err.message }, err.status);
    }
    logger.error("http.unhandled", { path: c.req.path, error: err });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
