/** Mirror retention: an event is forgotten 30 days after its last occurrence ended (a recurring one while it recurs never is). */
import { deleteBatch, purgeTables } from "../retention/batch";
import { DAY_MS, type RetentionPolicy } from "../retention/policy";

const KEEP_DAYS = 30;

export const scheduledEventsRetention: RetentionPolicy = {
  name: "scheduled_events",
  retention: (db, guildId, now, limit) =>
    deleteBatch(
      db,
      "scheduled_events",
      "guild_id = ? AND (deleted_at IS NOT NULL OR status NOT IN (1, 2)) AND COALESCE(end_at, start_at) < ? AND updated_at < ?",
      [guildId, now - KEEP_DAYS * DAY_MS, now - KEEP_DAYS * DAY_MS],
      limit,
    ),
  purgeGuild: (db, guildId, limit) => purgeTables(db, guildId, ["scheduled_events", "scheduled_event_guilds"], limit),
};
