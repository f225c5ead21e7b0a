/** The one place features are registered; the runtime, the timers and `npm run register` all read this list. */
import type { Feature } from "../feature";
import { buildRegistry } from "../registry";
import { scheduledEventsCore } from "../scheduled-events";
import { core } from "./core";
import { customCommandsFeature } from "./custom-commands";
import { eventChannelsFeature } from "./event-channels";
import { remindersFeature } from "./reminders";
import { tournamentsFeature } from "./tournaments";
import { voiceFeature } from "./voice";

/** The guild-events core runs right after `core` (guild presence), so every feature's own handlers see its mirror up to date. */
export const features: Feature[] = [core, scheduledEventsCore, eventChannelsFeature, remindersFeature, tournamentsFeature, voiceFeature, customCommandsFeature];

export const registry = buildRegistry(features);
