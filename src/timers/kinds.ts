/** The contract between EventTimer and features: a kind names a handler that runs a due agenda item. */
import type { AgendaItem } from "./agenda";

/** Thrown by a handler when retrying cannot help (bad payload, deleted target, missing permission). */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
}

/** A handler may ask to run again later (e.g. the next chunk of a fan-out, with a cursor in the payload). */
export type TimerOutcome = undefined | { again: { dueAt: number; payload?: unknown } };

export interface TimerContext<S> {
  services: S;
  /** Time the alarm treats as now (injectable for tests). */
  now: number;
  /** This timer object's name, e.g. `guild:1:event:2`. */
  timerName: string;
}

export interface TimerKind<S, P = unknown> {
  kind: string;
  /** Attempts before the item is given up with a CRITICAL event. */
  maxAttempts?: number;
  run(item: AgendaItem & { payload: P }, ctx: TimerContext<S>): Promise<TimerOutcome | undefined> | Promise<void>;
}
