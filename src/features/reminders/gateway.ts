/** Reminders' gateway handlers: keep "Interested" members in step (the events themselves come from the guild-events core). */
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { type GatewayHandler, gatewayHandler } from "../../feature";
import { addEventMember, removeEventMember } from "./storage";

export const gatewayHandlers: GatewayHandler[] = [
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUserAdd, "reminders.interested", (d, s) =>
    addEventMember(s.env.DB, d.guild_id, d.guild_scheduled_event_id, d.user_id, "interested", s.now()),
  ),
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUserRemove, "reminders.interested", (d, s) =>
    removeEventMember(s.env.DB, d.guild_id, d.guild_scheduled_event_id, d.user_id, "interested"),
  ),
];
