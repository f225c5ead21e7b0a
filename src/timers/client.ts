/** How Workers and features reach a named EventTimer (one per scheduled thing, e.g. `guild:1:event:2`). */
import type { AgendaItem } from "./agenda";
import type { ScheduleResult } from "./event-timer";
import type { TimerKindName, TimerPayloads } from "./payloads";

/** The RPC surface of EventTimer, kept structural so features need not import the DO class. */
export interface TimerStub {
  schedule(key: string, dueAt: number, kind: string, payload?: unknown, timerName?: string): Promise<ScheduleResult>;
  cancel(keyOrPrefix: string): Promise<number>;
  list(): Promise<AgendaItem[]>;
  nextAlarm(): Promise<number | null>;
}

export interface TimerNamespace {
  getByName(name: string): unknown;
}

export interface Timer {
  readonly name: string;
  /** Schedules a kind by name, with the payload its handler is typed for (see `TimerPayloads`). */
  schedule<K extends TimerKindName>(key: string, dueAt: number, kind: K, payload: TimerPayloads[K]): Promise<ScheduleResult>;
  cancel(keyOrPrefix: string): Promise<number>;
  list(): Promise<AgendaItem[]>;
}

export function timerFor(ns: TimerNamespace, name: string): Timer {
  const stub = ns.getByName(name) as TimerStub;
  return {
    name,
    schedule: (key, dueAt, kind, payload) => stub.schedule(key, dueAt, kind, payload, name),
    cancel: (k) => stub.cancel(k),
    list: () => stub.list(),
  };
}
