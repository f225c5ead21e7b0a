/** Reminder retention: an event's deliveries, members and channel posts are kept 30 days after it; a guild the bot left is forgotten. */
import { deleteBatch, inOrder, purgeTables } from "../../retention/batch";
import { DAY_MS, type RetentionPolicy } from "../../retention/policy";

export const REMINDER_DAYS = 30;

/** The row's event (the guild-events core's mirror; a recurring one by its latest occurrence) is not yet 30 days past. */
const eventKept = (table: string) =>
  `EXISTS (SELECT 1 FROM scheduled_events e WHERE e.guild_id = ${table}.guild_id AND e.event_id = ${table}.event_id AND COALESCE(e.end_at, e.start_at) >= ?)`;

export const remindersRetention: RetentionPolicy = {
  name: "reminders",
  retention: (db, guildId, now, limit) => {
    const cutoff = now - REMINDER_DAYS * DAY_MS;
    // Children first: members and channel posts are matched to their event's record before it goes.
    return inOrder([
      () =>
        deleteBatch(
          db,
          "reminder_event_members",
          `guild_id = ? AND created_at < ? AND NOT ${eventKept("reminder_event_members")}`,
          [guildId, cutoff, cutoff],
          limit,
        ),
      () => deleteBatch(db, "reminder_channel_posts", `guild_id = ? AND NOT ${eventKept("reminder_channel_posts")}`, [guildId, cutoff], limit),
      () => deleteBatch(db, "reminder_deliveries", "guild_id = ? AND start_at < ?", [guildId, cutoff], limit),
      () => deleteBatch(db, "reminder_fanouts", "guild_id = ? AND start_at < ?", [guildId, cutoff], limit),
    ]);
  },
  purgeGuild: (db, guildId, limit) =>
    purgeTables(
      db,
      guildId,
      [
        "reminder_deliveries",
        "reminder_fanouts",
        "reminder_event_members",
        "reminder_channel_posts",
        "reminder_subscriptions",
        "reminder_types",
        "reminder_settings",
      ],
      limit,
    ),
};
