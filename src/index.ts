/** Worker entry: HTTP (Hono), cron triggers, and the Durable Object classes bound in wrangler.toml. */
import { GatewayDispatchEvents, type GatewayDispatchPayload } from "discord-api-types/v10";
import { createFetchHandler } from "./app";
import { runCron } from "./cron";
import { gatedServices } from "./discord/gated";
import { rateGate } from "./discord/rate-gate";
import { RateGateObject } from "./discord/rate-gate-object";
import type { Env } from "./env";
import { registry } from "./features";
import { recordRelay } from "./gateway/freshness";
import { runGatewayHandlers } from "./gateway/handlers";
import { identifyKey } from "./gateway/identify-slots";
import { type RelayHooks, RelayObject } from "./gateway/relay";
import { createServices, type Services } from "./services";
import { backoffScale } from "./timers/agenda";
import { guildOf, type TimerHooks, TimerObject } from "./timers/event-timer";

/** Timer names are `{kind}:{guild}[:…]` by convention: the guild, so retention can prune its status rows. */
const timerGuild = (name: string): string | null => {
  const id = name.split(":")[1];
  return id && /^\d{15,25}$/.test(id) ? id : null;
};

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
      gated: (services, lane, guild) => gatedServices(services, { lane, guild }),
      gaveUp: async (item, error, services, timer) => {
        const guildId = guildOf(item.payload);
        await services.bus.emit("timer.failed", item, { guildId, timer, error });
      },
      report: async (name, pending, nextDue) => {
        // Only timers with work have a row: the table stays as small as the pending work.
        if (pending === 0) {
          await this.env.DB.prepare("DELETE FROM timers WHERE name = ?").bind(name).run();
          return;
        }
        await this.env.DB.prepare(
          "INSERT INTO timers (name, guild_id, pending, next_due, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET pending = excluded.pending, next_due = excluded.next_due, updated_at = excluded.updated_at, guild_id = excluded.guild_id",
        )
          .bind(name, timerGuild(name), pending, nextDue, Date.now())
          .run();
      },
    };
  }
}

/** The guild a dispatch is about (GUILD_CREATE names it `id`), or the relay's own bucket. */
function dispatchGuild(payload: GatewayDispatchPayload): string {
  const d: unknown = payload.d;
  if (payload.t === GatewayDispatchEvents.GuildCreate && typeof d === "object" && d !== null && "id" in d && typeof d.id === "string") return d.id;
  return guildOf(d) ?? "gateway";
}

export class GatewayRelay extends RelayObject<Env, Services> {
  protected hooks(): RelayHooks<Services> {
    return {
      // Its only Discord call is GET /gateway/bot, which a reconnect waits for.
      services: () => createServices(this.env, (p) => this.ctx.waitUntil(p), registry, Date.now, { lane: "critical", guild: "gateway" }),
      // Each dispatch's calls take the critical lane's share of its own guild: one guild's flood of dispatches
      // (or of GUILD_CREATE reconciliations) cannot use up the other guilds' share.
      forward: (payload, services, skip, meta) =>
        runGatewayHandlers(registry.gateway.get(payload.t), payload, gatedServices(services, { lane: "critical", guild: dispatchGuild(payload) }), skip, meta),
      lifecycle: async (change, state, services) => {
        if (change === "connected" && state.object_id) await recordRelay(this.env.DB, state.object_id, state.shard, services.now());
        await services.bus.emit(`gateway.${change}`, state, { guildId: null });
      },
      gatewayBot: (services) => services.api.gateway.bot(),
      identifyTurn: (shard, maxConcurrency) => rateGate(this.env.RATE_GATE).identifyTurn(identifyKey(shard[0], maxConcurrency)),
      token: () => this.env.DISCORD_TOKEN,
    };
  }
}

export class RateGate extends RateGateObject<Env> {}

export default {
  fetch: createFetchHandler(registry),
  async scheduled(controller, env, ctx) {
    // Crons only enqueue per-guild work; any Discord call one makes is background work of the REST budget.
    const services = createServices(env, (p) => ctx.waitUntil(p), registry, Date.now, { lane: "background", guild: "cron" });
    await runCron(registry.crons, controller.cron, controller.scheduledTime, services);
  },
} satisfies ExportedHandler<Env>;
