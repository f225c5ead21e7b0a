/** The contract between EventTimer and features: a kind names a handler that runs a due agenda item. */
import type { z } from "zod";
import type { Lane } from "../discord/budget";
import type { AgendaItem } from "./agenda";
import type { TimerKindName, TimerPayloads } from "./payloads";

/** Thrown by a handler when retrying cannot help (bad payload, deleted target, missing permission). */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
}

/** A handler may ask to run again later (e.g. the next chunk of a fan-out, with a cursor in the payload). */
export type TimerOutcome<P = never> = undefined | { again: { dueAt: number; payload?: P } };

export interface TimerContext<S> {
  services: S;
  /** Time the alarm treats as now (injectable for tests). */
  now: number;
  /** This timer object's name, e.g. `guild:1:event:2`. */
  timerName: string;
}

export interface TimerKind<S, K extends TimerKindName = TimerKindName> {
  kind: K;
  /**
   * The payload's shape: the stored payload is parsed with it before `run` (it was written by an older
   * deployment, perhaps), and one that does not fit fails the item as permanent instead of running on guesses.
   */
  payload: z.ZodType<TimerPayloads[K]>;
  /** Attempts before the item is given up with a CRITICAL event. */
  maxAttempts?: number;
  /**
   * The REST budget lane every Discord call of this kind takes its slot in (for the payload's `guild_id`); a
   * budget too full to serve it soon re-arms the item at the gate's retry time, without counting an attempt.
   * A kind that names none (it makes no Discord call) is gated as background work all the same.
   */
  lane?: Lane;
  run(item: AgendaItem & { payload: TimerPayloads[K] }, ctx: TimerContext<S>): Promise<TimerOutcome<TimerPayloads[K]> | undefined> | Promise<void>;
}

/** Defines a kind with its payload type taken from the registry (so `run` needs no cast). */
export function timerKind<S, K extends TimerKindName>(def: TimerKind<S, K>): TimerKind<S, K> {
  return def;
}
