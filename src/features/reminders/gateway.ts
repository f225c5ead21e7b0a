/** Reminders' gateway handlers: follow scheduled events and keep "Interested" members in step (D1 and timers only). */
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { type GatewayHandler, gatewayHandler } from "../../feature";
import { dropReminders, followForReminders } from "./schedule";
import { addEventMember, removeEventMember } from "./storage";

export const gatewayHandlers: GatewayHandler[] = [
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventCreate, "reminders.follow", (ev, s) => followForReminders(s, ev)),
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUpdate, "reminders.follow", (ev, s) => followForReminders(s, ev)),
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventDelete, "reminders.drop", (ev, s) => dropReminders(s, ev.guild_id, ev.id)),
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUserAdd, "reminders.interested", (d, s) =>
    addEventMember(s.env.DB, d.guild_id, d.guild_scheduled_event_id, d.user_id, "interested", s.now()),
  ),
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUserRemove, "reminders.interested", (d, s) =>
    removeEventMember(s.env.DB, d.guild_id, d.guild_scheduled_event_id, d.user_id, "interested"),
  ),
  gatewayHandler(GatewayDispatchEvents.GuildCreate, "reminders.reconcile", async (guild, s) => {
    for (const ev of guild.guild_scheduled_events ?? []) await followForReminders(s, { ...ev, guild_id: guild.id });
  }),
];
