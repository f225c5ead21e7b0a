/** Per-invocation services (REST client, event bus, timers) handed to handlers, listeners and timer kinds. */

import { type DiscordApi, discordApi } from "./discord/api";
import type { BotRequirement } from "./discord/bot-permissions";
import { gatedDiscord, slotSource } from "./discord/gated";
import type { SlotSourceOptions } from "./discord/rate-gate";
import { createDiscord, type Discord, type DiscordOptions } from "./discord/rest";
import type { Env } from "./env";
import { EventBus, type ListenerSpec } from "./events/bus";
import type { Catalog } from "./events/catalog";
import { readGuildSettings } from "./guild-settings";
import { setLogLevel } from "./log";
import type { RetentionPolicy } from "./retention/policy";
import type { ScheduledEventConsumer } from "./scheduled-events/follow";
import { type Timer, timerFor } from "./timers/client";

export interface Services {
  env: Env;
  discord: Discord;
  /** Typed methods over `discord` (the same client: a gated `discord` gives a gated `api`). */
  readonly api: DiscordApi;
  bus: EventBus<Services>;
  timer(name: string): Timer;
  waitUntil(promise: Promise<unknown>): void;
  now(): number;
  /** Every feature's declared bot permissions, for `/bot-config check`. */
  botRequirements: readonly BotRequirement[];
  /** The names of the bot's own slash commands (runtime-registered names must not shadow them). */
  botCommandNames: ReadonlySet<string>;
  /** Every feature's retention policy, for the per-guild retention timer. */
  retention: readonly RetentionPolicy[];
  /** Every feature's consumer of the guild-events core, in feature order. */
  scheduledEventConsumers: readonly ScheduledEventConsumer[];
}

export interface ServiceWiring {
  catalog: Catalog;
  listeners: readonly ListenerSpec<Services>[];
  botRequirements: readonly BotRequirement[];
  commands?: ReadonlyMap<string, unknown>;
  discordOptions?: DiscordOptions;
  retention?: readonly RetentionPolicy[];
  scheduledEventConsumers?: readonly ScheduledEventConsumer[];
}

const namesByWiring = new WeakMap<ServiceWiring, ReadonlySet<string>>();
/** Built once per wiring, not per request: most requests never ask. */
function commandNamesOf(wiring: ServiceWiring): ReadonlySet<string> {
  let names = namesByWiring.get(wiring);
  if (!names) {
    names = new Set(wiring.commands?.keys() ?? []);
    namesByWiring.set(wiring, names);
  }
  return names;
}

const apis = new WeakMap<Discord, DiscordApi>();
function apiOf(discord: Discord): DiscordApi {
  let api = apis.get(discord);
  if (!api) {
    api = discordApi(discord);
    apis.set(discord, api);
  }
  return api;
}

/**
 * `budget`: the REST budget lane (and guild) every Discord call of this invocation takes its slot in; an
 * interaction's calls (its followups included) in `interactive`, a cron's in `background`.
 */
export function createServices(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  wiring: ServiceWiring,
  clock: () => number = Date.now,
  budget?: SlotSourceOptions,
): Services {
  // Every invocation (request, alarm, cron) builds services first, so the configured log level applies to all.
  setLogLevel(env.LOG_LEVEL);
  let discord: Discord | undefined;
  let bus: EventBus<Services> | undefined;
  const services: Services = {
    env,
    // Built on first use: most interactions answer from D1 or memory and never call Discord or emit.
    get discord() {
      discord ??= budget ? gatedDiscord(createDiscord(env, wiring.discordOptions), slotSource({ env }, budget)) : createDiscord(env, wiring.discordOptions);
      return discord;
    },
    get api() {
      // `this`, not `services`: services derived with another client (gatedServices) get an api over that one.
      return apiOf(this.discord);
    },
    get bus() {
      bus ??= new EventBus<Services>({
        catalog: wiring.catalog,
        listeners: wiring.listeners,
        envLevel: env.EVENT_LEVEL,
        guildLevel: async (guildId) => (await readGuildSettings(env.DB, guildId)).event_level,
        services: () => services,
      });
      return bus;
    },
    timer: (name) => timerFor(env.EVENT_TIMER, name),
    waitUntil,
    now: clock,
    botRequirements: wiring.botRequirements,
    retention: wiring.retention ?? [],
    scheduledEventConsumers: wiring.scheduledEventConsumers ?? [],
    get botCommandNames() {
      return commandNamesOf(wiring);
    },
  };
  return services;
}
