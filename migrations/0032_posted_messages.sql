-- Messages the bot posts from timer steps and jobs (audit posts, channel reminders, cleanup notices): the
-- intent (exact body, nonce, what it covers) is written before the POST, so a retry after Discord's nonce
-- window looks for the first post instead of making a second one. Kept 30 days.
CREATE TABLE posted_messages (
  key TEXT PRIMARY KEY,
  guild_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  body TEXT NOT NULL,
  meta TEXT,
  state TEXT NOT NULL CHECK (state IN ('posting', 'posted', 'abandoned')),
  message_id TEXT,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX posted_messages_guild ON posted_messages (guild_id, state, updated_at);
