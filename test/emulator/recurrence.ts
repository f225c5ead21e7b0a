/**
 * Recurring scheduled events as Discord runs them: the rule's system limitations (guild-scheduled-event.mdx,
 * "Recurrence Rule Object"), and the move to the next occurrence when one ends.
 *
 * Discord expands a rule with python's dateutil on the UTC `start` (an event at 19:00 UTC stays at 19:00 UTC and so
 * moves by an hour of local time across a DST change); `rrule` is dateutil's port and numbers frequencies and
 * weekdays the same way (YEARLY 0 … DAILY 3, MONDAY 0 … SUNDAY 6).
 */
import { createRequire } from "node:module";
import type * as RRuleModule from "rrule";
import { errors } from "./http.ts";

// `rrule` is CommonJS for Node; createRequire keeps this file loadable by Node's type stripping without a bundler.
const { RRule, Weekday } = createRequire(import.meta.url)("rrule") as typeof RRuleModule;

export interface RecurrenceRule {
  start: string;
  end?: string | null;
  frequency: number;
  interval?: number | null;
  by_weekday?: number[] | null;
  by_n_weekday?: { n: number; day: number }[] | null;
  by_month?: number[] | null;
  by_month_day?: number[] | null;
  by_year_day?: number[] | null;
  count?: number | null;
}

export interface EventException {
  event_id: string;
  /** A snowflake whose timestamp is the occurrence's original start. */
  event_exception_id: string;
  scheduled_start_time: string | null;
  scheduled_end_time: string | null;
  is_canceled: boolean;
}

const FREQ = { YEARLY: 0, MONTHLY: 1, WEEKLY: 2, DAILY: 3 } as const;
/** The only weekday sets a DAILY rule may name. */
const DAILY_SETS = ["0,1,2,3,4", "1,2,3,4,5", "0,1,2,3,6", "4,5", "5,6", "0,6"];

const invalid = (message: string) => errors.badRequest(`recurrence_rule: ${message}`);
const present = (a: readonly unknown[] | null | undefined): a is unknown[] => Array.isArray(a) && a.length > 0;

/** Throws Discord's 400 for a rule its system limitations refuse; returns the rule as Discord stores it. */
export function validateRecurrence(rule: RecurrenceRule, scheduledStart: string): RecurrenceRule {
  if (rule.end != null || rule.count != null || present(rule.by_year_day)) throw invalid("This field is not supported for recurring events.");
  if (Number.isNaN(Date.parse(rule.start))) throw invalid("start must be an ISO8601 timestamp");
  if (Date.parse(rule.start) !== Date.parse(scheduledStart)) throw invalid("start must be the event's scheduled_start_time");
  const interval = rule.interval ?? 1;
  const f = rule.frequency;
  if (!Object.values(FREQ).includes(f as 0)) throw invalid("unknown frequency");
  if (interval !== 1 && !(f === FREQ.WEEKLY && interval === 2)) throw invalid("interval may be other than 1 only for WEEKLY, and then only 2");
  const groups = [present(rule.by_weekday), present(rule.by_n_weekday), present(rule.by_month) || present(rule.by_month_day)];
  if (groups.filter(Boolean).length > 1) throw invalid("by_weekday, by_n_weekday and by_month + by_month_day are mutually exclusive");
  if (present(rule.by_weekday)) {
    if (f === FREQ.WEEKLY && rule.by_weekday.length !== 1) throw invalid("a WEEKLY rule names exactly one weekday");
    if (f === FREQ.DAILY && !DAILY_SETS.includes([...rule.by_weekday].sort().join(","))) throw invalid("by_weekday is not a known set of weekdays");
    if (f !== FREQ.WEEKLY && f !== FREQ.DAILY) throw invalid("by_weekday is only valid for DAILY and WEEKLY events");
  }
  if (present(rule.by_n_weekday)) {
    if (f !== FREQ.MONTHLY) throw invalid("by_n_weekday is only valid for MONTHLY events");
    const [nd, ...more] = rule.by_n_weekday;
    if (more.length || !nd || nd.n < 1 || nd.n > 5 || nd.day < 0 || nd.day > 6) throw invalid("by_n_weekday holds one { n: 1-5, day }");
  }
  if (present(rule.by_month) || present(rule.by_month_day)) {
    if (f !== FREQ.YEARLY) throw invalid("by_month and by_month_day are only valid for YEARLY events");
    if (rule.by_month?.length !== 1 || rule.by_month_day?.length !== 1) throw invalid("by_month and by_month_day each hold one value");
  }
  return {
    start: new Date(rule.start).toISOString(),
    end: null,
    frequency: f,
    interval,
    by_weekday: rule.by_weekday ?? null,
    by_n_weekday: rule.by_n_weekday ?? null,
    by_month: rule.by_month ?? null,
    by_month_day: rule.by_month_day ?? null,
    by_year_day: null,
    count: null,
  };
}

function rruleOf(rule: RecurrenceRule): InstanceType<typeof RRule> {
  return new RRule({
    freq: rule.frequency,
    interval: rule.interval ?? 1,
    dtstart: new Date(rule.start),
    byweekday: present(rule.by_n_weekday) ? rule.by_n_weekday.map((d) => new Weekday(d.day, d.n)) : (rule.by_weekday ?? null),
    bymonth: rule.by_month ?? null,
    bymonthday: rule.by_month_day ?? null,
  });
}

/** The original start of the first occurrence strictly after `afterMs`, skipping the cancelled ones; null when none. */
export function nextOccurrence(rule: RecurrenceRule, afterMs: number, exceptions: readonly EventException[] = []): Date | null {
  const cancelled = new Set(exceptions.filter((e) => e.is_canceled).map((e) => exceptionStart(e.event_exception_id)));
  const r = rruleOf(rule);
  let at: Date | null = r.after(new Date(afterMs), false);
  for (let i = 0; at && cancelled.has(at.getTime()) && i < 1000; i++) at = r.after(at, false);
  return at;
}

/** The first `n` occurrences' original starts (for tests and the sandbox). */
export function occurrences(rule: RecurrenceRule, n: number): Date[] {
  return rruleOf(rule).all((_, i) => i < n);
}

const DISCORD_EPOCH = 1_420_070_400_000n;
/** The snowflake Discord uses as an exception's id: the original start time in its timestamp bits. */
export const exceptionId = (originalStart: number): string => ((BigInt(originalStart) - DISCORD_EPOCH) << 22n).toString();
export const exceptionStart = (id: string): number => Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
