/** Worker entry: HTTP (Hono), cron triggers, and the Durable Object classes bound in wrangler.toml. */
import { type RESTGetAPIGatewayBotResult, Routes } from "discord-api-types/v10";
import { createFetchHandler } from "./app";
import { runCron } from "./cron";
import { RateGateObject } from "./discord/rate-gate-object";
import type { Env } from "./env";
import { registry } from "./features";
import { runGatewayHandlers } from "./gateway/handlers";
import { type RelayHooks, RelayObject } from "./gateway/relay";
import { createServices, type Services } from "./services";
import { backoffScale } from "./timers/agenda";
import { type TimerHooks, TimerObject } from "./timers/event-timer";

export class EventTimer extends TimerObject<Env, Services> {
  protected hooks(): TimerHooks<Services> {
    return {
      kinds: registry.timerKinds,
      backoffScale: backoffScale(this.env.TIMER_BACKOFF_SCALE),
      // Handlers see the timer's clock, so tests that move it move "now" for the whole step.
      services: () =>
        createServices(
          this.env,
          (p) => this.ctx.waitUntil(p),
          registry,
          () => this.clock(),
        ),
      gaveUp: async (item, error, services, timer) => {
        const guildId = (item.payload as { guild_id?: string } | null)?.guild_id ?? null;
        await services.bus.emit("timer.failed", item, { guildId, timer, error });
      },
      report: async (name, pending, nextDue) => {
        await this.env.DB.prepare(
          "INSERT INTO timers (name, pending, next_due, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET pending = excluded.pending, next_due = excluded.next_due, updated_at = excluded.updated_at",
        )
          .bind(name, pending, nextDue, Date.now())
          .run();
      },
    };
  }
}

export class GatewayRelay extends RelayObject<Env, Services> {
  protected hooks(): RelayHooks<Services> {
    return {
      services: () => createServices(this.env, (p) => this.ctx.waitUntil(p), registry),
      forward: (payload, services) => runGatewayHandlers(registry.gateway.get(payload.t), payload, services),
      lifecycle: async (change, state, services) => {
        await services.bus.emit(`gateway.${change}`, state, { guildId: null });
      },
      gatewayBot: (services) => services.discord.get(Routes.gatewayBot()) as Promise<RESTGetAPIGatewayBotResult>,
      token: () => this.env.DISCORD_TOKEN,
    };
  }
}

export class RateGate extends RateGateObject<Env> {}

export default {
  fetch: createFetchHandler(registry),
  async scheduled(controller, env, ctx) {
    const services = createServices(env, (p) => ctx.waitUntil(p), registry);
    await runCron(registry.crons, controller.cron, controller.scheduledTime, services);
  },
} satisfies ExportedHandler<Env>;
