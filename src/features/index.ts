/** The one place features are registered; the runtime, the timers and `npm run register` all read this list. */
import type { Feature } from "../feature";
import { buildRegistry } from "../registry";
import { core } from "./core";

export const features: Feature[] = [core];

export const registry = buildRegistry(features);
