/** The shape of a vertical feature slice: everything it contributes, registered in src/features/index.ts. */

import type { CronTrigger } from "./cron-triggers";
import type { BotRequirement } from "./discord/bot-permissions";
import type { ListenerSpec } from "./events/bus";
import type { EventDefinitions } from "./events/catalog";
import { type DispatchData, type DispatchMeta, type GatewayHandler as GatewayHandlerOf, onGateway } from "./gateway/handlers";
import type { ForwardedEvent } from "./gateway/protocol";
import type { CommandDef, CommandFallback, ComponentDef, ModalDef } from "./interactions/types";
import type { RetentionPolicy } from "./retention/policy";
import type { ScheduledEventConsumer } from "./scheduled-events/follow";
import type { Services } from "./services";
import type { TimerKind } from "./timers/kinds";
import type { TimerKindName } from "./timers/payloads";

export type Command = CommandDef<Services>;
export type Component = ComponentDef<Services>;
export type Modal = ModalDef<Services>;
export type Fallback = CommandFallback<Services>;
export type Listener = ListenerSpec<Services>;
/** A timer kind of a feature; `K` names it in `TimerPayloads`, which types its payload. */
export type TimerAction<K extends TimerKindName = TimerKindName> = TimerKind<Services, K>;
export type GatewayHandler = GatewayHandlerOf<Services>;

/** A feature's handler for one forwarded dispatch, its payload typed by the dispatch name. */
export function gatewayHandler<T extends ForwardedEvent>(
  event: T,
  name: string,
  handle: (data: DispatchData<T>, services: Services, meta: DispatchMeta) => Promise<void>,
): GatewayHandler {
  return onGateway<Services, T>(event, name, handle);
}

export interface CronJob {
  /** Stable name, recorded in `cron_runs` and shown by /health. */
  name: string;
  /** The trigger it runs on (see `CRON`; wrangler.toml lists the same). */
  cron: CronTrigger;
  run(services: Services, scheduledTime: number): Promise<void>;
  /** Timer kinds the job's work runs on (e.g. a fan-out's pages), registered with the feature's own. */
  timerKinds?: TimerAction[];
}

export interface Feature {
  name: string;
  commands?: Command[];
  /** Handles command names registered at runtime (not in `commands`), e.g. per-guild slash commands. */
  commandFallback?: Fallback;
  components?: Component[];
  modals?: Modal[];
  timerKinds?: TimerAction[];
  events?: EventDefinitions;
  listeners?: Listener[];
  crons?: CronJob[];
  /** Handlers for the gateway dispatches the relay forwards. */
  gateway?: GatewayHandler[];
  /** Guild permissions the bot needs for this feature, checked before acting and shown by `/bot-config check`. */
  botPermissions?: Omit<BotRequirement, "feature">[];
  /** How long its rows are kept, and how it forgets a guild the bot left (run by the per-guild retention timer). */
  retention?: RetentionPolicy;
  /** Told of every change to a guild's scheduled events by the guild-events core (src/scheduled-events/), in feature order. */
  scheduledEvents?: ScheduledEventConsumer[];
}
