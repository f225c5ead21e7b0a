/** Structured logging: one JSON object per line, with secrets and interaction tokens kept out. */

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogFields {
  guild_id?: string | null;
  error?: unknown;
  [key: string]: unknown;
}

let threshold: LogLevel = "info";

/** Called once per request with env.LOG_LEVEL; unknown values keep the default. */
export function setLogLevel(level: string | undefined): void {
  if (level && level in ORDER) threshold = level as LogLevel;
}

const SECRET_KEYS = /token|secret|password|authorization/i;

function clean(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    // level and event are the line's own; a field of that name must not overwrite them.
    if (v === undefined || k === "level" || k === "event") continue;
    if (k === "error") out.error = describeError(v);
    else if (SECRET_KEYS.test(k)) out[k] = "[redacted]";
    else out[k] = v;
  }
  return out;
}

export function describeError(err: unknown): Record<string, unknown> | string {
  if (err instanceof Error) {
    const extra = err as Error & Record<string, unknown>;
    const base: Record<string, unknown> = { name: err.name, message: err.message };
    for (const k of ["method", "route", "status", "code"]) if (extra[k] !== undefined) base[k] = extra[k];
    return base;
  }
  return String(err);
}

/**
 * An error as people outside the logs may see it (audit channel, webhook receivers): Discord's own answer
 * (route template, status, code, message) is kept, anything else is only its class name, because an internal
 * message can carry SQL, hosts or user input. The full error is in the log line next to the same ref/key.
 */
export function publicError(err: unknown): Record<string, unknown> {
  if (err instanceof Error && err.name === "DiscordApiError") return describeError(err) as Record<string, unknown>;
  return { name: err instanceof Error ? err.name : "Error" };
}

export function log(level: LogLevel, event: string, fields: LogFields = {}): void {
  if (ORDER[level] < ORDER[threshold]) return;
  const line = JSON.stringify({ level, event, ...clean(fields) });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const logger = {
  debug: (event: string, fields?: LogFields) => log("debug", event, fields),
  info: (event: string, fields?: LogFields) => log("info", event, fields),
  warn: (event: string, fields?: LogFields) => log("warn", event, fields),
  error: (event: string, fields?: LogFields) => log("error", event, fields),
};
