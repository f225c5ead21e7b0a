/** What a match's Discord scheduled event should say (seed 001 "Event Formatting"); pure, data in and out. */
import { TimestampStyles, time } from "@discordjs/formatters";
import {
  GuildScheduledEventEntityType,
  GuildScheduledEventPrivacyLevel,
  type RESTPatchAPIGuildScheduledEventJSONBody,
  type RESTPostAPIGuildScheduledEventJSONBody,
} from "discord-api-types/v10";
import { MARKER_ROOM, stripMarker, withMarker } from "./event-marker";

export interface Side {
  kind: "team" | "member";
  id: string;
  name: string;
  /** The player's stream handle (members only). */
  stream: string | null;
}

export interface TournamentForEvent {
  slug: string;
  name: string;
  create_scheduled_events: number;
  scheduled_events_enabled: number;
  event_minutes: number;
  description_template: string | null;
  stream_base: string;
}

export interface MatchForEvent {
  id: number;
  title: string | null;
  round: string | null;
  scheduled_at: number;
  stream_channel: string | null;
  status: "scheduled" | "finished" | "deleted";
  a: Side;
  b: Side;
}

/** The fields the bot owns on the Discord event; everything else is fixed (EXTERNAL, GUILD_ONLY). */
export interface EventFields {
  name: string;
  description: string;
  location: string;
  start_at: number;
  end_at: number;
}

export const FIELD_NAMES = ["name", "description", "location", "start_at", "end_at"] as const;
export const NAME_MAX = 100;
/** Discord's 1000, less the room the bot's marker line takes. */
export const DESCRIPTION_MAX = 1000 - MARKER_ROOM;
export const LOCATION_MAX = 100;
/** Matches starting sooner than this get no event: Discord refuses past start times and the event would be noise. */
export const MIN_LEAD_MS = 60_000;

export const TEMPLATE_PLACEHOLDERS: Record<string, string> = {
  "{slug}": "tournament slug in capitals",
  "{tournament}": "tournament name",
  "{match}": "match title, or `A vs B`",
  "{side_a}": "first side",
  "{side_b}": "second side",
  "{round}": "week/round (empty when not set)",
  "{time}": "start as a Discord timestamp (full date)",
  "{relative}": "start as a relative Discord timestamp",
  "{stream}": "stream URL, or TBD",
};

/** Cuts to `max` characters with an ellipsis, never splitting a surrogate pair. */
export function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

export const versus = (m: Pick<MatchForEvent, "a" | "b">) => `${m.a.name} vs ${m.b.name}`;
export const matchLabel = (m: Pick<MatchForEvent, "title" | "a" | "b">) => m.title?.trim() || versus(m);

export function eventName(t: Pick<TournamentForEvent, "slug">, m: Pick<MatchForEvent, "title" | "a" | "b">): string {
  return cut(`${t.slug.toUpperCase()} - ${matchLabel(m)}`, NAME_MAX);
}

/** A stream handle or URL as a link; handles are appended to the tournament's stream base. */
export function streamUrl(base: string, handle: string): string {
  return /^https?:\/\//i.test(handle) ? handle : `${base.replace(/\/?$/, "/")}${handle}`;
}

/** Stream channel first, then a multistream of both players, else TBD (seed order). */
export function eventLocation(t: Pick<TournamentForEvent, "stream_base">, m: Pick<MatchForEvent, "stream_channel" | "a" | "b">): string {
  if (m.stream_channel) {
    const url = streamUrl(t.stream_base, m.stream_channel);
    if (url.length <= LOCATION_MAX) return url;
  }
  if (m.a.stream && m.b.stream && !/[/:]/.test(m.a.stream + m.b.stream)) {
    const url = `https://multistre.am/${m.a.stream}/${m.b.stream}/`;
    if (url.length <= LOCATION_MAX) return url;
  }
  return "TBD";
}

export function eventDescription(t: TournamentForEvent, m: MatchForEvent): string {
  const seconds = Math.floor(m.scheduled_at / 1000);
  const location = eventLocation(t, m);
  const stream = location === "TBD" ? "TBD" : location;
  if (t.description_template) {
    const values: Record<string, string> = {
      "{slug}": t.slug.toUpperCase(),
      "{tournament}": t.name,
      "{match}": matchLabel(m),
      "{side_a}": m.a.name,
      "{side_b}": m.b.name,
      "{round}": m.round ?? "",
      "{time}": time(seconds, TimestampStyles.FullDateShortTime),
      "{relative}": time(seconds, TimestampStyles.RelativeTime),
      "{stream}": stream,
    };
    return cut(
      t.description_template.replace(/\{[a-z_]+\}/g, (p) => values[p] ?? p),
      DESCRIPTION_MAX,
    );
  }
  const lines = [`Match: ${matchLabel(m)}`, `Tournament: ${t.name}`];
  if (m.round) lines.push(`Round: ${m.round}`);
  lines.push("", `Scheduled: ${time(seconds, TimestampStyles.FullDateShortTime)}`, `Stream: ${stream}`);
  return cut(lines.join("\n"), DESCRIPTION_MAX);
}

/** Whether the match should have an event at all (tournament switched on, match still to be played). */
export function wantsEvent(t: Pick<TournamentForEvent, "create_scheduled_events" | "scheduled_events_enabled">, m: Pick<MatchForEvent, "status">): boolean {
  return t.create_scheduled_events === 1 && t.scheduled_events_enabled === 1 && m.status === "scheduled";
}

export function desiredEvent(t: TournamentForEvent, m: MatchForEvent): EventFields {
  return {
    name: eventName(t, m),
    description: eventDescription(t, m),
    location: eventLocation(t, m),
    start_at: m.scheduled_at,
    end_at: m.scheduled_at + t.event_minutes * 60_000,
  };
}

/** The fields of `want` that differ from `have` (all of them when nothing is known). */
export function changedFields(want: EventFields, have: Partial<EventFields> | null): Partial<EventFields> {
  const out: Partial<EventFields> = {};
  for (const k of FIELD_NAMES) {
    if (!have || have[k] !== want[k]) (out as Record<string, unknown>)[k] = want[k];
  }
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Who the event is for: the description Discord gets carries the marker that finds it again. */
export interface EventOwner {
  guildId: string;
  matchId: number;
}

export function createBody(f: EventFields, owner: EventOwner): RESTPostAPIGuildScheduledEventJSONBody {
  return {
    name: f.name,
    description: withMarker(f.description, owner.guildId, owner.matchId),
    privacy_level: GuildScheduledEventPrivacyLevel.GuildOnly,
    entity_type: GuildScheduledEventEntityType.External,
    entity_metadata: { location: f.location },
    scheduled_start_time: iso(f.start_at),
    scheduled_end_time: iso(f.end_at),
  };
}

/** Only the changed fields; Discord needs the end time whenever the start moves past it, so both times travel together. */
export function patchBody(changed: Partial<EventFields>, want: EventFields): RESTPatchAPIGuildScheduledEventJSONBody {
  const body: RESTPatchAPIGuildScheduledEventJSONBody = {};
  if (changed.name !== undefined) body.name = changed.name;
  if (changed.description !== undefined) body.description = changed.description;
  if (changed.location !== undefined) body.entity_metadata = { location: changed.location };
  if (changed.start_at !== undefined || changed.end_at !== undefined) {
    if (changed.start_at !== undefined) body.scheduled_start_time = iso(want.start_at);
    body.scheduled_end_time = iso(want.end_at);
  }
  return body;
}

/** A PATCH that rewrites the description keeps the marker in it. */
export function markPatch(body: RESTPatchAPIGuildScheduledEventJSONBody, owner: EventOwner): RESTPatchAPIGuildScheduledEventJSONBody {
  return typeof body.description === "string" ? { ...body, description: withMarker(body.description, owner.guildId, owner.matchId) } : body;
}

/** What Discord's event currently says, in the same shape (times as epoch ms; the marker line left out). */
export function observedFields(ev: {
  name: string;
  description?: string | null;
  entity_metadata?: { location?: string } | null;
  scheduled_start_time: string;
  scheduled_end_time?: string | null;
}): EventFields {
  return {
    name: ev.name,
    description: stripMarker(ev.description ?? ""),
    location: ev.entity_metadata?.location ?? "",
    start_at: Date.parse(ev.scheduled_start_time),
    end_at: ev.scheduled_end_time ? Date.parse(ev.scheduled_end_time) : Number.NaN,
  };
}
