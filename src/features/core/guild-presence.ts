/** Gateway handlers that record which guilds the bot is in, so crons know where to reconcile. */
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { type GatewayHandler, gatewayHandler } from "../../feature";
import { markGuildLeft, markGuildPresent } from "../../guild-settings";

export const guildPresence: GatewayHandler[] = [
  gatewayHandler(GatewayDispatchEvents.GuildCreate, "core.guild_joined", async (guild, services) => {
    await markGuildPresent(services.env.DB, guild.id, services.now());
  }),
  gatewayHandler(GatewayDispatchEvents.GuildDelete, "core.guild_left", async (guild, services) => {
    if (guild.unavailable) return;
    await markGuildLeft(services.env.DB, guild.id, services.now());
  }),
];
