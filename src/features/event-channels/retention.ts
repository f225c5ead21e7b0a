/** Event-channel retention: finished event records are kept 30 days after the event; a guild the bot left is forgotten. */
import { deleteBatch, inOrder, purgeTables } from "../../retention/batch";
import { DAY_MS, type RetentionPolicy } from "../../retention/policy";

export const EVENT_RECORD_DAYS = 30;

export const eventChannelsRetention: RetentionPolicy = {
  name: "event-channels",
  // Records with channels on Discord (live, ending) are kept whatever their age: their cleanup needs them.
  retention: (db, guildId, now, limit) =>
    inOrder([
      // Role holders are cleared by the cleanup; any left (a cleanup cut off) go with their event's channels.
      () =>
        deleteBatch(
          db,
          "event_channel_holders",
          `guild_id = ? AND NOT EXISTS (SELECT 1 FROM event_channel_events e WHERE e.guild_id = event_channel_holders.guild_id
             AND e.event_id = event_channel_holders.event_id AND e.state IN ('creating', 'live', 'ending'))`,
          [guildId],
          limit,
        ),
      () =>
        deleteBatch(
          db,
          "event_channel_events",
          "guild_id = ? AND state NOT IN ('live', 'ending') AND COALESCE(end_at, start_at) < ?",
          [guildId, now - EVENT_RECORD_DAYS * DAY_MS],
          limit,
        ),
    ]),
  purgeGuild: (db, guildId, limit) =>
    purgeTables(db, guildId, ["event_channel_holders", "event_channel_events", "event_channel_dividers", "event_channel_settings"], limit),
};
