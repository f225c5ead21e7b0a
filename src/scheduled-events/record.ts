/** A guild scheduled event as the core mirrors it, read from Discord's payload (zod where Discord sends undocumented fields). */
import { type APIGuildScheduledEvent, type APIGuildScheduledEventRecurrenceRule, GuildScheduledEventStatus } from "discord-api-types/v10";
import * as z from "zod";

/** A cancelled or moved occurrence of a recurring event (Discord's "exception"; not in discord-api-types yet). */
export interface OccurrenceException {
  /** The occurrence's original start (ms), from the exception id's snowflake timestamp. */
  original_start_at: number;
  start_at: number | null;
  end_at: number | null;
  cancelled: boolean;
}

export interface ScheduledEventRecord {
  guild_id: string;
  event_id: string;
  name: string;
  description: string | null;
  /** Where it happens: the EXTERNAL location, else null (see channel_id). */
  location: string | null;
  channel_id: string | null;
  entity_type: number;
  /** The occurrence Discord shows now; for a recurring event, the current or next one. */
  start_at: number;
  end_at: number | null;
  status: GuildScheduledEventStatus;
  recurrence_rule: APIGuildScheduledEventRecurrenceRule | null;
  exceptions: OccurrenceException[];
  creator_id: string | null;
  user_count: number | null;
  revision: number;
  deleted_at: number | null;
  /** As of when Discord said what the mirror holds (a dispatch's receipt, a list's request): older looks do not apply. */
  updated_at: number;
}

/** What Discord says about an event; the core adds revision, deletion and update time. */
export type EventSnapshot = Omit<ScheduledEventRecord, "revision" | "deleted_at" | "updated_at">;

const DISCORD_EPOCH = 1_420_070_400_000n;
const snowflakeTime = (id: string) => Number((BigInt(id) >> 22n) + DISCORD_EPOCH);

const exceptionSchema = z.object({
  event_exception_id: z.string().regex(/^\d{1,20}$/),
  scheduled_start_time: z.string().nullish(),
  scheduled_end_time: z.string().nullish(),
  is_canceled: z.boolean().nullish(),
});
const exceptionsSchema = z.array(exceptionSchema).catch([]);

const time = (iso: string | null | undefined): number | null => {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(ms) ? null : ms;
};

export const isActiveStatus = (status: number): boolean => status === GuildScheduledEventStatus.Scheduled || status === GuildScheduledEventStatus.Active;

/** Discord's payload → the mirror's shape; null when it carries no usable start time (logged by the caller). */
export function snapshotOf(ev: APIGuildScheduledEvent, guildId: string = ev.guild_id): EventSnapshot | null {
  const start = time(ev.scheduled_start_time);
  if (start === null) return null;
  const raw = (ev as { guild_scheduled_event_exceptions?: unknown }).guild_scheduled_event_exceptions;
  return {
    guild_id: guildId,
    event_id: ev.id,
    name: ev.name,
    description: ev.description ?? null,
    location: ev.entity_metadata?.location ?? null,
    channel_id: ev.channel_id ?? null,
    entity_type: ev.entity_type,
    start_at: start,
    end_at: time(ev.scheduled_end_time),
    status: ev.status,
    recurrence_rule: ev.recurrence_rule ?? null,
    exceptions: exceptionsSchema.parse(raw ?? []).map((x) => ({
      original_start_at: snowflakeTime(x.event_exception_id),
      start_at: time(x.scheduled_start_time),
      end_at: time(x.scheduled_end_time),
      cancelled: x.is_canceled === true,
    })),
    creator_id: ev.creator_id ?? null,
    user_count: typeof ev.user_count === "number" ? ev.user_count : null,
  };
}
