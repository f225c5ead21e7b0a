-- When each reminder fan-out (one offset's DMs, or one channel post) began, and whether it began on time. Lateness
-- is judged once, here: an invocation cut by a restart and retried later, or a later chunk of the same fan-out,
-- reads the decision instead of judging again against a clock that has moved on.
CREATE TABLE reminder_fanouts (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  what TEXT NOT NULL CHECK (what IN ('dm', 'channel')),
  offset_s INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  on_time INTEGER NOT NULL,
  PRIMARY KEY (guild_id, event_id, start_at, what, offset_s)
);
