/** Scheduled events as the core's unit tests need them: a one-off and a weekly series starting at the same moment. */
import { GuildScheduledEventRecurrenceRuleFrequency, GuildScheduledEventStatus } from "discord-api-types/v10";
import type { ScheduledEventRecord } from "./record";

export const H = 3_600_000;
export const WEEK = 7 * 24 * H;
export const T0 = Date.parse("2027-03-18T18:00:00Z");

export const oneOff: ScheduledEventRecord = {
  guild_id: "g",
  event_id: "e",
  name: "Raid Night",
  description: null,
  location: "Here",
  channel_id: null,
  entity_type: 3,
  start_at: T0,
  end_at: T0 + 2 * H,
  status: GuildScheduledEventStatus.Scheduled,
  recurrence_rule: null,
  exceptions: [],
  creator_id: "u",
  user_count: null,
  revision: 1,
  deleted_at: null,
  updated_at: 0,
};

/** Every Thursday from T0. */
export const weekly: ScheduledEventRecord = {
  ...oneOff,
  recurrence_rule: {
    start: new Date(T0).toISOString(),
    end: null,
    frequency: GuildScheduledEventRecurrenceRuleFrequency.Weekly,
    interval: 1,
    by_weekday: [3],
    by_n_weekday: null,
    by_month: null,
    by_month_day: null,
    by_year_day: null,
    count: null,
  },
};
