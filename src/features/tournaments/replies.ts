/** How commands describe a match and the state of its Discord event to the organiser. */
import { TimestampStyles, time } from "@discordjs/formatters";
import { MIN_LEAD_MS, matchLabel, type TournamentForEvent } from "./event-format";
import type { Mapping } from "./mapping-storage";
import type { MatchView } from "./match-storage";
import { MIRROR_ERRORS } from "./mirror";
import type { Tournament } from "./storage";

export const eventLink = (guildId: string, eventId: string) => `https://discord.com/events/${guildId}/${eventId}`;

export function matchLine(m: MatchView): string {
  const at = Math.floor(m.scheduled_at / 1000);
  const round = m.round ? ` · ${m.round}` : "";
  return `\`#${m.id}\` **${m.slug.toUpperCase()} - ${matchLabel(m)}**${round} · ${time(at, TimestampStyles.FullDateShortTime)} (${time(at, TimestampStyles.RelativeTime)})`;
}

/** One line on the Discord side, read back from the mapping the listener just wrote. */
export function mirrorNote(guildId: string, t: TournamentForEvent, m: MatchView, mapping: Mapping | null, now: number): string {
  if (mapping?.scheduled_event_id) return `Discord event: ${eventLink(guildId, mapping.scheduled_event_id)}`;
  if (mapping?.last_error === MIRROR_ERRORS.permission)
    return "⚠️ No Discord event: I need the **Create Events** permission. Fix my role, then run `/tournament sync`.";
  if (mapping?.last_error === MIRROR_ERRORS.limit)
    return "⚠️ No Discord event: this server has Discord's maximum of 100 upcoming events. The hourly sync adds it when there is room, soonest matches first.";
  if (mapping?.last_error) return "⚠️ Discord did not take the event change just now; I will retry in a moment.";
  if (m.status !== "scheduled") return t.create_scheduled_events ? "Its Discord event is removed." : "";
  if (!t.create_scheduled_events) return "Discord events are off for this tournament (`/tournament edit discord_events:True` turns them on).";
  if (!t.scheduled_events_enabled) return "Discord events are paused for this tournament (`/tournament edit events_enabled:True`).";
  if (m.scheduled_at <= now + MIN_LEAD_MS) return "No Discord event: the match starts within a minute or is in the past.";
  return "Its Discord event is being updated.";
}

/** One line per tournament: name, slug, format and its event settings. */
export function describeTournament(t: Tournament): string {
  const events = t.create_scheduled_events ? (t.scheduled_events_enabled ? "on" : "on, paused") : "off";
  return `**${t.name}** (\`${t.slug}\`, ${t.format === "teams" ? "teams" : "1v1"}) · Discord events: ${events} · ${t.event_minutes} min · streams: ${t.stream_base}${
    t.description_template ? " · custom description" : ""
  }`;
}
