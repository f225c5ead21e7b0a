/** The hourly safety net: list each set-up guild's scheduled events and follow any the gateway did not deliver. */
import type { APIGuildScheduledEvent } from "discord-api-types/v10";
import { Routes } from "discord-api-types/v10";
import { DiscordApiError } from "../../discord/errors";
import type { CronJob } from "../../feature";
import { logger } from "../../log";
import { followEvent } from "./gateway";

export const reconcileEvents: CronJob = {
  name: "event_channels.reconcile",
  cron: "0 * * * *",
  async run(s) {
    const guilds = await s.env.DB.prepare(
      "SELECT guild_id FROM event_channel_settings WHERE json_extract(settings, '$.category_id') IS NOT NULL ORDER BY guild_id",
    ).all<{ guild_id: string }>();
    for (const { guild_id } of guilds.results) {
      try {
        const events = await s.discord.get<APIGuildScheduledEvent[]>(Routes.guildScheduledEvents(guild_id));
        for (const ev of events) await followEvent(s, ev);
      } catch (error) {
        // One guild the bot left (or lost access to) must not stop the others.
        if (!(error instanceof DiscordApiError)) throw error;
        logger.warn("event_channels.reconcile_failed", { guild_id, error });
      }
    }
  },
};
