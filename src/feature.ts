/** The shape of a vertical feature slice: everything it contributes, registered in src/features/index.ts. */
import type { BotRequirement } from "./discord/bot-permissions";
import type { ListenerSpec } from "./events/bus";
import type { EventDefinitions } from "./events/catalog";
import type { CommandDef, ComponentDef, ModalDef } from "./interactions/types";
import type { Services } from "./services";
import type { TimerKind } from "./timers/kinds";

export type Command = CommandDef<Services>;
export type Component = ComponentDef<Services>;
export type Modal = ModalDef<Services>;
export type Listener = ListenerSpec<Services>;
// biome-ignore lint/suspicious/noExplicitAny: each kind narrows its own payload type.
export type TimerAction = TimerKind<Services, any>;

export interface CronJob {
  /** Stable name, recorded in `cron_runs` and shown by /health. */
  name: string;
  /** One of the cron expressions in wrangler.toml. */
  cron: string;
  run(services: Services, scheduledTime: number): Promise<void>;
}

export interface Feature {
  name: string;
  commands?: Command[];
  components?: Component[];
  modals?: Modal[];
  timerKinds?: TimerAction[];
  events?: EventDefinitions;
  listeners?: Listener[];
  crons?: CronJob[];
  /** Guild permissions the bot needs for this feature, checked before acting and shown by `/bot-config check`. */
  botPermissions?: Omit<BotRequirement, "feature">[];
}
