/** Worker entry: HTTP (Hono), cron triggers, and the Durable Object classes bound in wrangler.toml. */
import { createFetchHandler } from "./app";
import { runCron } from "./cron";
import type { Env } from "./env";
import { registry } from "./features";
import { createServices, type Services } from "./services";
import { type TimerHooks, TimerObject } from "./timers/event-timer";

export class EventTimer extends TimerObject<Env, Services> {
  protected hooks(): TimerHooks<Services> {
    return {
      kinds: registry.timerKinds,
      services: () => createServices(this.env, (p) => this.ctx.waitUntil(p), registry),
      gaveUp: async (item, error, services, timer) => {
        const guildId = (item.payload as { guild_id?: string } | null)?.guild_id ?? null;
        await services.bus.emit("timer.failed", item, { guildId, timer, error });
      },
    };
  }
}

export default {
  fetch: createFetchHandler(registry),
  async scheduled(controller, env, ctx) {
    const services = createServices(env, (p) => ctx.waitUntil(p), registry);
    await runCron(registry.crons, controller.cron, controller.scheduledTime, services);
  },
} satisfies ExportedHandler<Env>;
