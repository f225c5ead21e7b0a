/** Whether one occurrence of a scheduled event still stands, for work that belongs to that occurrence (pure). */
import { GuildScheduledEventStatus } from "discord-api-types/v10";
import type { ScheduledEventRecord } from "./record";

/**
 * Whether the occurrence that starts at `start` is still to come, under way, or took place, by the mirror now.
 * A recurring event that moved on past it (Discord's move to the next occurrence, once it began) leaves it standing:
 * it took place, so work begun for it (a reminder fan-out still paging) finishes. It no longer stands when the event
 * was cancelled or deleted, an exception cancelled or moved that occurrence, the event shows another start that is
 * not a move on (a reschedule), or the event was over before that occurrence began.
 */
export function occurrenceStands(ev: ScheduledEventRecord, start: number, now: number): boolean {
  if (ev.deleted_at !== null || ev.status === GuildScheduledEventStatus.Canceled) return false;
  const exception = ev.exceptions.find((x) => x.original_start_at === start);
  if (exception && (exception.cancelled || (exception.start_at !== null && exception.start_at !== start))) return false;
  if (ev.start_at === start) return ev.status !== GuildScheduledEventStatus.Completed || start <= now;
  return ev.recurrence_rule !== null && start < ev.start_at && start <= now;
}
