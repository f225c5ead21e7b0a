/** Changes to a scheduled event shared by the REST routes (the bot) and the control routes (members): recurrence included. */
import { errors } from "./http.ts";
import { type EventException, exceptionId, exceptionStart, nextOccurrence, type RecurrenceRule, validateRecurrence } from "./recurrence.ts";
import type { ScheduledEvent, World } from "./state.ts";

export const publicEvent = ({ users: _users, occurrence_original_start: _o, ...ev }: ScheduledEvent) => ev;

const COMPLETED = 3;
const SCHEDULED = 1;

/** The rule a create or patch body asks for, checked against Discord's limitations (undefined: not in the body). */
export function ruleFrom(body: Record<string, unknown>, scheduledStart: string): RecurrenceRule | null | undefined {
  if (!("recurrence_rule" in body)) return undefined;
  const rule = body.recurrence_rule as RecurrenceRule | null;
  return rule === null ? null : validateRecurrence(rule, scheduledStart);
}

/**
 * Applies a PATCH. As on Discord, completing an occurrence of a recurring event does not complete the event: it
 * moves to the next occurrence (its own start and end, status SCHEDULED), and one UPDATE announces only that.
 */
export function patchEvent(world: World, ev: ScheduledEvent, body: Record<string, unknown>): void {
  const { recurrence_rule: _r, ...rest } = body;
  const start = (rest.scheduled_start_time as string | undefined) ?? ev.scheduled_start_time;
  const rule = ruleFrom(body, start);
  Object.assign(ev, rest);
  if (rule !== undefined) {
    ev.recurrence_rule = rule;
    ev.guild_scheduled_event_exceptions = [];
  } else if (ev.recurrence_rule && rest.scheduled_start_time && ev.status === SCHEDULED) {
    // Moving the whole series moves the rule's start with it.
    ev.recurrence_rule = { ...ev.recurrence_rule, start: new Date(start).toISOString() };
  }
  if (ev.status === COMPLETED && ev.recurrence_rule) advance(ev);
  world.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", publicEvent(ev), ev.guild_id);
}

/** To the next occurrence that is not cancelled (with its override's times, if one moved it). */
function advance(ev: ScheduledEvent): void {
  const rule = ev.recurrence_rule as RecurrenceRule;
  const current = occurrenceOriginalStart(ev);
  const next = nextOccurrence(rule, current, ev.guild_scheduled_event_exceptions);
  if (!next) return; // the series is over: the event stays COMPLETED
  const length = ev.scheduled_end_time ? Date.parse(ev.scheduled_end_time) - Date.parse(ev.scheduled_start_time) : null;
  const override = ev.guild_scheduled_event_exceptions.find((x) => exceptionStart(x.event_exception_id) === next.getTime());
  ev.occurrence_original_start = next.toISOString();
  ev.scheduled_start_time = override?.scheduled_start_time ?? next.toISOString();
  ev.scheduled_end_time = override?.scheduled_end_time ?? (length === null ? null : new Date(Date.parse(ev.scheduled_start_time) + length).toISOString());
  ev.status = SCHEDULED;
}

/** The rule's time of the occurrence the event shows now (an override may have moved its start). */
function occurrenceOriginalStart(ev: ScheduledEvent): number {
  return Date.parse(ev.occurrence_original_start ?? ev.scheduled_start_time);
}

/**
 * A member cancels or moves one occurrence (Discord's "exceptions"). Discord announces it with
 * GUILD_SCHEDULED_EVENT_EXCEPTION_CREATE; the event's own times change only when it was the occurrence it shows.
 */
export function addException(world: World, ev: ScheduledEvent, b: Record<string, unknown>): EventException {
  const rule = ev.recurrence_rule;
  if (!rule) throw errors.badRequest("This event does not recur.");
  const original = Date.parse(String(b.original_scheduled_start_time ?? ""));
  const isOccurrence = nextOccurrence(rule, original - 1)?.getTime() === original;
  if (Number.isNaN(original) || !isOccurrence) throw errors.badRequest("original_scheduled_start_time is not an occurrence of the event");
  const ex: EventException = {
    event_id: ev.id,
    event_exception_id: exceptionId(original),
    scheduled_start_time: (b.scheduled_start_time as string | undefined) ?? null,
    scheduled_end_time: (b.scheduled_end_time as string | undefined) ?? null,
    is_canceled: b.is_canceled === true,
  };
  ev.guild_scheduled_event_exceptions = [...ev.guild_scheduled_event_exceptions.filter((x) => x.event_exception_id !== ex.event_exception_id), ex];
  world.dispatch("GUILD_SCHEDULED_EVENT_EXCEPTION_CREATE", ex, ev.guild_id);
  if (occurrenceOriginalStart(ev) === original) {
    if (ex.is_canceled) {
      // The occurrence shown is cancelled: the event shows the next one, as when one ends.
      ev.status = COMPLETED;
      advance(ev);
    } else {
      if (ex.scheduled_start_time) ev.scheduled_start_time = ex.scheduled_start_time;
      if (ex.scheduled_end_time) ev.scheduled_end_time = ex.scheduled_end_time;
      ev.occurrence_original_start = new Date(original).toISOString();
    }
    world.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", publicEvent(ev), ev.guild_id);
  }
  return ex;
}
