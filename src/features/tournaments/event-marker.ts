/** The line the bot writes into each match event it creates, so an event whose create answer was lost can be found again; pure. */
import { stableId } from "../../util/hash";

/** Room the marker line takes at the end of a description (two newlines and the marker). */
export const MARKER_ROOM = 48;
const MARKER = /(?:\n\n)?\(eventbot ref m(\d{1,15})-([0-9a-z]{1,13})\)\s*$/;

/** Keyed on the guild, so a marker copied from another server's event names nothing here. */
export function markerFor(guildId: string, matchId: number): string {
  return `(eventbot ref m${matchId}-${stableId(`match-event|${guildId}|${matchId}`)})`;
}

export function withMarker(description: string, guildId: string, matchId: number): string {
  const marker = markerFor(guildId, matchId);
  return description ? `${description}\n\n${marker}` : marker;
}

/** The description as the organiser wrote it (the stored copy never holds the marker). */
export function stripMarker(description: string): string {
  return description.replace(MARKER, "");
}

/** The match a description's marker names in this guild, or null (none, or a marker that does not verify). */
export function markedMatch(description: string | null | undefined, guildId: string): number | null {
  const m = description ? MARKER.exec(description) : null;
  if (!m) return null;
  const matchId = Number(m[1]);
  return Number.isSafeInteger(matchId) && markerFor(guildId, matchId) === `(eventbot ref m${m[1]}-${m[2]})` ? matchId : null;
}

export interface ListedEvent {
  id: string;
  creator_id?: string | null;
  description?: string | null;
  status: number;
}

/**
 * The bot's own events for a match: created by the bot's user AND carrying its marker. A member's event
 * with the same name, or a copy of the bot's (which keeps the marker but not the creator), is never one.
 * Oldest first, so every caller keeps the same one.
 */
export function ownEventsOf<E extends ListedEvent>(events: readonly E[], guildId: string, botUserId: string, matchId?: number): E[] {
  return events
    .filter((e) => e.creator_id === botUserId && e.status <= 2)
    .filter((e) => {
      const id = markedMatch(e.description, guildId);
      return id !== null && (matchId === undefined || id === matchId);
    })
    .sort((a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
