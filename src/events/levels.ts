/** Event levels (seed 003): cumulative NONE < CRITICAL < SYSTEM < FULL, plus DISABLED for events never emitted. */

export const LEVELS = ["NONE", "CRITICAL", "SYSTEM", "FULL"] as const;
export type Level = (typeof LEVELS)[number];
/** The level sets an event can belong to; DISABLED events are never emitted. */
export type EventSet = "CRITICAL" | "SYSTEM" | "FULL" | "DISABLED";
export const EVENT_SETS: readonly EventSet[] = ["CRITICAL", "SYSTEM", "FULL", "DISABLED"];

export const DEFAULT_LEVEL: Level = "FULL";

const RANK: Record<Level, number> = { NONE: 0, CRITICAL: 1, SYSTEM: 2, FULL: 3 };

/** Parses a configured level; returns null for empty or unknown input so the caller can fall back. */
export function parseLevel(value: string | null | undefined): Level | null {
  if (!value) return null;
  const upper = value.trim().toUpperCase();
  return (LEVELS as readonly string[]).includes(upper) ? (upper as Level) : null;
}

/** Whether an event in `set` is emitted when the configured level is `level` (levels are cumulative). */
export function isEmitted(set: EventSet, level: Level): boolean {
  if (set === "DISABLED") return false;
  return RANK[level] >= RANK[set];
}

/** The env override wins over the guild's stored level; FULL when neither is set. */
export function effectiveLevel(envOverride: string | undefined, guildLevel: string | null | undefined): { level: Level; source: "env" | "guild" | "default" } {
  const fromEnv = parseLevel(envOverride);
  if (fromEnv) return { level: fromEnv, source: "env" };
  const fromGuild = parseLevel(guildLevel);
  if (fromGuild) return { level: fromGuild, source: "guild" };
  return { level: DEFAULT_LEVEL, source: "default" };
}
