-- Who the bot gave an event's role to (recorded before the PUT, `granted` = 1 once Discord answered): the bot has
-- no member list (no GUILD_MEMBERS intent), so after a lost USER_REMOVE this is how it knows whom to take the role
-- from, and a re-read of the Interested list only grants the members it has not given the role yet. Cleared when
-- the event's channels are removed.
CREATE TABLE event_channel_holders (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  granted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (guild_id, event_id, user_id)
);
