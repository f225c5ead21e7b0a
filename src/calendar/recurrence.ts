/**
 * Discord's recurrence rule as an iCalendar RRULE (ical-generator's options). Discord expands its rule with dateutil
 * on the UTC start, so the series is written in UTC too: calendar apps then show exactly the times Discord will use,
 * including the hour a local clock moves across a DST change.
 */
import {
  type APIGuildScheduledEventRecurrenceRule,
  GuildScheduledEventRecurrenceRuleFrequency as Freq,
  type GuildScheduledEventRecurrenceRuleWeekday,
} from "discord-api-types/v10";
import { ICalEventRepeatingFreq, type ICalRepeatingOptions, ICalWeekday } from "ical-generator";
import type { OccurrenceException } from "../scheduled-events/record";

const FREQ: Record<Freq, ICalEventRepeatingFreq> = {
  [Freq.Yearly]: ICalEventRepeatingFreq.YEARLY,
  [Freq.Monthly]: ICalEventRepeatingFreq.MONTHLY,
  [Freq.Weekly]: ICalEventRepeatingFreq.WEEKLY,
  [Freq.Daily]: ICalEventRepeatingFreq.DAILY,
};
/** Discord numbers weekdays from Monday (0), as dateutil does. */
const DAYS = [ICalWeekday.MO, ICalWeekday.TU, ICalWeekday.WE, ICalWeekday.TH, ICalWeekday.FR, ICalWeekday.SA, ICalWeekday.SU];
const day = (d: GuildScheduledEventRecurrenceRuleWeekday): ICalWeekday => DAYS[d] ?? ICalWeekday.MO;

/**
 * The RRULE for a rule, with the cancelled occurrences as EXDATEs; null for a rule it cannot say (then the feed
 * shows only the next occurrence, which is still right). "The n-th weekday" is BYDAY with BYSETPOS n, which picks
 * the same days as dateutil's `TU(+n)` in a monthly rule (a month without a fifth Tuesday has none).
 */
export function repeatingOf(rule: APIGuildScheduledEventRecurrenceRule, exceptions: readonly OccurrenceException[]): ICalRepeatingOptions | null {
  const freq = FREQ[rule.frequency];
  if (!freq) return null;
  const nth = rule.by_n_weekday?.[0];
  const cancelled = exceptions.filter((x) => x.cancelled).map((x) => new Date(x.original_start_at));
  return {
    freq,
    ...(rule.interval && rule.interval !== 1 ? { interval: rule.interval } : {}),
    ...(nth ? { byDay: [day(nth.day)], bySetPos: nth.n } : rule.by_weekday?.length ? { byDay: rule.by_weekday.map(day) } : {}),
    ...(rule.by_month?.length ? { byMonth: [...rule.by_month] } : {}),
    ...(rule.by_month_day?.length ? { byMonthDay: [...rule.by_month_day] } : {}),
    ...(rule.count ? { count: rule.count } : {}),
    ...(rule.end ? { until: new Date(rule.end) } : {}),
    ...(cancelled.length ? { exclude: cancelled } : {}),
  };
}
