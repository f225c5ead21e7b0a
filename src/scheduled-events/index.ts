/**
 * The guild-events core: the one mirror of each guild's native scheduled events and the one place that decides what
 * changed. Registered as a feature ahead of the others; it knows no feature: features hand it their consumers.
 */
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { type EventDefinitions, pickFields } from "../events/catalog";
import { type Feature, gatewayHandler } from "../feature";
import { observeDeleteDispatch, observeEvent } from "./follow";
import { reconcileCron, reconcileGuild } from "./reconcile";
import { scheduledEventsRetention } from "./retention";

export type { ScheduledEventChange } from "./diff";
export type { ScheduledEventConsumer, ScheduledEventUpdate } from "./follow";
export { occurrenceStands } from "./occurrence";
export { reconcileFromDiscord } from "./reconcile";
export type { ScheduledEventRecord } from "./record";
export { isActiveStatus } from "./record";
export { getScheduledEvent, listScheduledEvents, upcomingScheduledEvents } from "./storage";

const fields = pickFields("event_id", "name", "recurring", "start_at", "end_at", "previous_start_at", "next_start_at", "fields");

export const scheduledEventEvents: EventDefinitions = {
  serializers: Object.fromEntries(
    ["created", "updated", "rescheduled", "cancelled", "deleted", "occurrence_started", "occurrence_ended", "occurrence_cancelled"].map((k) => [
      `scheduled_event.${k}`,
      fields,
    ]),
  ),
  sets: {
    FULL: [
      "scheduled_event.created",
      "scheduled_event.updated",
      "scheduled_event.rescheduled",
      "scheduled_event.cancelled",
      "scheduled_event.deleted",
      "scheduled_event.occurrence_started",
      "scheduled_event.occurrence_ended",
      "scheduled_event.occurrence_cancelled",
    ],
  },
};

/** The core as a feature slice; the consumers come from every other feature, through the services. */
export const scheduledEventsCore: Feature = {
  name: "scheduled_events",
  events: scheduledEventEvents,
  gateway: [
    gatewayHandler(GatewayDispatchEvents.GuildScheduledEventCreate, "scheduled_events.observe", (ev, s, meta) =>
      observeEvent(s, ev, "dispatch", ev.guild_id, meta.received_at),
    ),
    gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUpdate, "scheduled_events.observe", (ev, s, meta) =>
      observeEvent(s, ev, "dispatch", ev.guild_id, meta.received_at),
    ),
    gatewayHandler(GatewayDispatchEvents.GuildScheduledEventDelete, "scheduled_events.deleted", (ev, s, meta) =>
      observeDeleteDispatch(s, ev, meta.received_at),
    ),
    // After a fresh IDENTIFY Discord sends every guild with all its scheduled events: a free reconciliation.
    gatewayHandler(GatewayDispatchEvents.GuildCreate, "scheduled_events.reconcile", async (guild, s, meta) => {
      // An outage's GUILD_CREATE (`unavailable`) lists nothing: taken as the full list it would delete every event.
      if (("unavailable" in guild && guild.unavailable) || !Array.isArray(guild.guild_scheduled_events)) return;
      // As of when it was received: it may be reconciled much later (set aside off the dispatch path).
      await reconcileGuild(s, guild.id, guild.guild_scheduled_events, meta.received_at);
    }),
  ],
  crons: [reconcileCron],
  retention: scheduledEventsRetention,
};
