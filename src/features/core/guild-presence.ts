/** Gateway handlers that record which guilds the bot is in, and start or stop the guild's retention timer. */
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { type GatewayHandler, gatewayHandler } from "../../feature";
import { markGuildLeft, markGuildPresent, markRetention } from "../../guild-settings";
import { armRetention, cancelPurge, schedulePurge } from "./retention";

export const guildPresence: GatewayHandler[] = [
  gatewayHandler(GatewayDispatchEvents.GuildCreate, "core.guild_joined", async (guild, services) => {
    const presence = await markGuildPresent(services.env.DB, guild.id, services.now());
    // Back before the purge: it is called off and the daily run resumes. Otherwise nothing more: a reconnect's
    // thousands of GUILD_CREATEs stay cheap, and a new guild's timer is armed by the daily cron (retention
    // only matters after 30 days).
    if (presence.wasLeft) {
      await cancelPurge(services, guild.id);
      await armRetention(services, guild.id);
      await markRetention(services.env.DB, [guild.id], services.now());
    }
  }),
  gatewayHandler(GatewayDispatchEvents.GuildDelete, "core.guild_left", async (guild, services) => {
    // An outage (`unavailable`) is not a removal: nothing is purged.
    if (guild.unavailable) return;
    const leftAt = await markGuildLeft(services.env.DB, guild.id, services.now());
    await schedulePurge(services, guild.id, leftAt);
  }),
];
