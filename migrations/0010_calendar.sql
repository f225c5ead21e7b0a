-- iCal feed: a secret token per guild (rotatable), and event end times for DTEND.
CREATE TABLE calendar_tokens (
  guild_id TEXT PRIMARY KEY,
  token TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
ALTER TABLE reminder_events ADD COLUMN end_at INTEGER;
-- Bumped on every change the gateway reports: the feed's SEQUENCE.
ALTER TABLE reminder_events ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
