/** Tournament retention: finished and deleted matches are kept 90 days; a guild the bot left is forgotten. */
import { deleteBatch, inOrder, purgeTables } from "../../retention/batch";
import { DAY_MS, type RetentionPolicy } from "../../retention/policy";

export const FINISHED_MATCH_DAYS = 90;

const old = "status IN ('finished', 'deleted') AND COALESCE(finished_at, updated_at) < ?";

export const tournamentsRetention: RetentionPolicy = {
  name: "tournaments",
  retention: (db, guildId, now, limit) => {
    const cutoff = now - FINISHED_MATCH_DAYS * DAY_MS;
    return inOrder([
      // A mapping whose Discord event still exists stays (the sync removes that event, then the mapping).
      () =>
        deleteBatch(
          db,
          "match_events",
          `guild_id = ? AND scheduled_event_id IS NULL AND match_id IN (SELECT id FROM matches WHERE guild_id = ? AND ${old})`,
          [guildId, guildId, cutoff],
          limit,
        ),
      () =>
        deleteBatch(
          db,
          "matches",
          `guild_id = ? AND ${old} AND id NOT IN (SELECT match_id FROM match_events WHERE guild_id = ?)`,
          [guildId, cutoff, guildId],
          limit,
        ),
    ]);
  },
  // Children before parents (matches and teams reference tournaments).
  purgeGuild: (db, guildId, limit) =>
    purgeTables(db, guildId, ["match_events", "matches", "teams", "tournaments", "player_profiles", "tournament_sync"], limit),
};
