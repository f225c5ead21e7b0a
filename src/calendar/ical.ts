/** RFC 5545 text for a guild's events, written by ical-generator: one VEVENT per event, a recurring one as a series. */
import type { APIGuildScheduledEventRecurrenceRule } from "discord-api-types/v10";
import ical, { ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import type { OccurrenceException } from "../scheduled-events/record";
import { repeatingOf } from "./recurrence";

export interface CalendarEvent {
  uid: string;
  summary: string;
  description?: string;
  location?: string;
  url?: string;
  start: number;
  end: number;
  lastModified: number;
  /** Grows with every change, so calendar apps replace their copy. */
  sequence: number;
  cancelled: boolean;
  recurrence?: APIGuildScheduledEventRecurrenceRule | null;
  exceptions?: readonly OccurrenceException[];
}

export function calendar(name: string, events: readonly CalendarEvent[], now: number): string {
  const cal = ical({ name, prodId: { company: "eventbot", product: "calendar", language: "EN" }, method: ICalCalendarMethod.PUBLISH });
  for (const e of events) {
    const common = {
      id: e.uid,
      stamp: new Date(now),
      lastModified: new Date(e.lastModified),
      sequence: e.sequence,
      summary: e.summary,
      description: e.description ?? null,
      location: e.location ?? null,
      url: e.url ?? null,
      status: e.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    };
    const exceptions = e.exceptions ?? [];
    // A recurring event's series starts at its occurrence's time in the rule (an override may have moved the one shown).
    const moved = exceptions.find((x) => !x.cancelled && x.start_at === e.start);
    const seriesStart = moved ? moved.original_start_at : e.start;
    const length = e.end - e.start;
    const repeating = e.recurrence ? repeatingOf(e.recurrence, exceptions) : null;
    cal.createEvent({ ...common, start: new Date(seriesStart), end: new Date(seriesStart + length), repeating });
    if (!repeating) continue;
    // Occurrences Discord moved: an override of the series' instance (same UID, RECURRENCE-ID = its original start).
    for (const x of exceptions) {
      if (x.cancelled || x.start_at === null || x.original_start_at < seriesStart) continue;
      const start = x.start_at;
      const end = x.end_at ?? start + length;
      cal.createEvent({ ...common, start: new Date(start), end: new Date(end), recurrenceId: new Date(x.original_start_at) });
    }
  }
  return cal.toString();
}
