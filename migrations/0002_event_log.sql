-- Every emitted event (after level filtering): what admins and /health see, and the outbox later sinks read.
CREATE TABLE event_log (
  id TEXT PRIMARY KEY,
  guild_id TEXT,
  name TEXT NOT NULL,
  level TEXT NOT NULL,
  data TEXT NOT NULL,
  occurred_at INTEGER NOT NULL
);
CREATE INDEX event_log_guild_time ON event_log (guild_id, occurred_at);
CREATE INDEX event_log_time ON event_log (occurred_at);
