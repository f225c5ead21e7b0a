/** Merges feature slices into the lookup tables the router, bus, timers and cron use, rejecting collisions. */
import { ApplicationIntegrationType, InteractionContextType, type RESTPutAPIApplicationCommandsJSONBody } from "discord-api-types/v10";
import type { BotRequirement } from "./discord/bot-permissions";
import { buildCatalog, type Catalog, validateCatalog } from "./events/catalog";
import type { Command, Component, CronJob, Fallback, Feature, GatewayHandler, Listener, Modal, TimerAction } from "./feature";
import type { RetentionPolicy } from "./retention/policy";
import type { ScheduledEventConsumer } from "./scheduled-events/follow";

export interface Registry {
  features: readonly Feature[];
  commands: Map<string, Command>;
  fallbacks: Fallback[];
  components: Map<string, Component>;
  modals: Map<string, Modal>;
  timerKinds: Map<string, TimerAction>;
  listeners: Listener[];
  crons: CronJob[];
  /** Gateway handlers by dispatch name, in feature order. */
  gateway: Map<string, GatewayHandler[]>;
  botRequirements: BotRequirement[];
  /** Each feature's retention policy, in feature order. */
  retention: RetentionPolicy[];
  /** Each feature's consumers of the guild-events core, in feature order. */
  scheduledEventConsumers: ScheduledEventConsumer[];
  catalog: Catalog;
  /** Problems found in the event catalog (seed 003's startup validation); empty when valid. */
  catalogErrors: string[];
}

function addUnique<T>(map: Map<string, T>, key: string, value: T, what: string, feature: string): void {
  if (map.has(key)) throw new Error(`${what} "${key}" is registered twice (second time by feature "${feature}")`);
  map.set(key, value);
}

export function buildRegistry(features: readonly Feature[]): Registry {
  const reg: Registry = {
    features,
    commands: new Map(),
    fallbacks: [],
    components: new Map(),
    modals: new Map(),
    timerKinds: new Map(),
    listeners: [],
    crons: [],
    gateway: new Map(),
    botRequirements: [],
    retention: [],
    scheduledEventConsumers: [],
    catalog: buildCatalog(features.flatMap((f) => (f.events ? [f.events] : []))),
    catalogErrors: [],
  };
  for (const f of features) {
    for (const c of f.commands ?? []) addUnique(reg.commands, c.data.name, c, "command", f.name);
    if (f.commandFallback) reg.fallbacks.push(f.commandFallback);
    for (const c of f.components ?? []) addUnique(reg.components, c.id, c, "component", f.name);
    for (const m of f.modals ?? []) addUnique(reg.modals, m.id, m, "modal", f.name);
    for (const k of f.timerKinds ?? []) addUnique(reg.timerKinds, k.kind, k, "timer kind", f.name);
    reg.listeners.push(...(f.listeners ?? []));
    reg.crons.push(...(f.crons ?? []));
    for (const c of f.crons ?? []) for (const k of c.timerKinds ?? []) addUnique(reg.timerKinds, k.kind, k, "timer kind", f.name);
    for (const h of f.gateway ?? []) {
      const same = reg.gateway.get(h.event) ?? [];
      // A retried dispatch skips the handlers that already succeeded, by name.
      if (same.some((x) => x.name === h.name))
        throw new Error(`gateway handler "${h.name}" for ${h.event} is registered twice (second time by feature "${f.name}")`);
      reg.gateway.set(h.event, [...same, h]);
    }
    reg.botRequirements.push(...(f.botPermissions ?? []).map((p) => ({ ...p, feature: f.name })));
    if (f.retention) reg.retention.push(f.retention);
    reg.scheduledEventConsumers.push(...(f.scheduledEvents ?? []));
  }
  reg.catalogErrors = validateCatalog(reg.catalog);
  return reg;
}

/** The bulk-overwrite body for `npm run register`: guild-only commands, admin ones hidden by default. */
export function registrationPayload(commands: Iterable<Command>): RESTPutAPIApplicationCommandsJSONBody {
  return [...commands].map((c) => ({
    ...c.data,
    default_member_permissions: c.requires !== undefined ? c.requires.toString() : (c.data.default_member_permissions ?? null),
    contexts: c.data.contexts ?? [InteractionContextType.Guild],
    integration_types: c.data.integration_types ?? [ApplicationIntegrationType.GuildInstall],
  }));
}
