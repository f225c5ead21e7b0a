/** Pure agenda rules for EventTimer: item shape, retry backoff, and what the next alarm should be. */

export type AgendaStatus = "pending" | "done" | "failed";

export interface AgendaItem {
  key: string;
  dueAt: number;
  kind: string;
  payload: unknown;
  attempts: number;
  status: AgendaStatus;
  lastError: string | null;
  updatedAt: number;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
const BASE_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;

/** Delay before retry number `attempts` (1-based): 30 s, 1 min, 2 min … capped at an hour; `scale` shrinks it all. */
export function backoffMs(attempts: number, scale = 1): number {
  const exp = BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1);
  return Math.round(Math.min(exp, MAX_BACKOFF_MS) * scale);
}

/**
 * The chaos suite's time compression (`TIMER_BACKOFF_SCALE`, e.g. "0.1"): a factor in (0, 1], else 1. Never set in
 * production; an unparsable value is ignored rather than trusted.
 */
export function backoffScale(raw: string | undefined): number {
  const v = Number(raw);
  return raw && Number.isFinite(v) && v > 0 && v <= 1 ? v : 1;
}

/** What schedule() should do with an existing row: a fired item is only re-run when its time or content changed. */
export function upsertDecision(
  existing: (Pick<AgendaItem, "dueAt" | "kind" | "status"> & { payloadJson: string }) | null,
  next: { dueAt: number; kind: string; payloadJson: string },
): "insert" | "unchanged" | "update" {
  if (!existing) return "insert";
  const same = existing.dueAt === next.dueAt && existing.kind === next.kind && existing.payloadJson === next.payloadJson;
  return same ? "unchanged" : "update";
}

/** Turns `cancel()`'s argument into a SQL LIKE pattern for prefixes (`match:42:*`) or an exact key. */
export function cancelPattern(keyOrPrefix: string): { exact: string } | { like: string } {
  if (!keyOrPrefix.endsWith("*")) return { exact: keyOrPrefix };
  const prefix = keyOrPrefix.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
  return { like: `${prefix}%` };
}
