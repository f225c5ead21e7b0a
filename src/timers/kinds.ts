/** The contract between EventTimer and features: a kind names a handler that runs a due agenda item. */
import type { Lane } from "../discord/budget";
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
  /**
   * The REST budget lane every Discord call of this kind takes its slot in (for the payload's `guild_id`); a
   * budget too full to serve it soon re-arms the item at the gate's retry time, without counting an attempt.
   */
  lane?: Lane;
  run(item: AgendaItem & { payload: P }, ctx: TimerContext<S>): Promise<TimerOutcome | undefined> | Promise<void>;
}
