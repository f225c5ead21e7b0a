/** Worker bindings and the parsing of string configuration into typed settings. */
import type { EventTimer, GatewayRelay, RateGate } from "./index";

export interface Env {
  DB: D1Database;
  EVENT_TIMER: DurableObjectNamespace<EventTimer>;
  GATEWAY_RELAY: DurableObjectNamespace<GatewayRelay>;
  /** The REST budget: every call outside an interaction response takes its slot here, by lane and guild. */
  RATE_GATE: DurableObjectNamespace<RateGate>;
  /** Hex Ed25519 key from the Developer Portal; verifies interaction signatures. */
  DISCORD_PUBLIC_KEY: string;
  DISCORD_APPLICATION_ID: string;
  DISCORD_TOKEN: string;
  /** Host of Discord's API (no `/api` suffix), so tests and `npm start` can use the emulator. */
  DISCORD_API_BASE?: string;
  /** Operator override of every guild's event level. Empty = use the guild's. */
  EVENT_LEVEL?: string;
  LOG_LEVEL?: string;
  /** The Worker's public address, for links it hands out (the calendar feed). */
  PUBLIC_URL?: string;
  /** Hosts webhooks may use although they look private (comma-separated); tests and private deployments. */
  WEBHOOK_ALLOW_HOSTS?: string;
  /** Only the chaos suite sets it: shrinks the EventTimer's retry backoff by this factor (0–1] to compress time. */
  TIMER_BACKOFF_SCALE?: string;
}

export const DEFAULT_API_BASE = "https://discord.com";

export function apiBase(env: Pick<Env, "DISCORD_API_BASE">): string {
  const base = env.DISCORD_API_BASE?.trim() || DEFAULT_API_BASE;
  return base.replace(/\/+$/, "");
}

/** Which required secrets are missing; used by /health and at startup logs, never printing values. */
export function missingSecrets(env: Partial<Env>): string[] {
  const required = ["DISCORD_PUBLIC_KEY", "DISCORD_APPLICATION_ID", "DISCORD_TOKEN"] as const;
  return required.filter((k) => !env[k]);
}
