-- Event channels as resumable steps: a `creating` state between scheduled and live (compare-and-set transitions),
-- the object being created recorded before the call (intent), the voice layout decided once, a cursor for role
-- grants, and the number of extensions. SQLite cannot change a CHECK constraint, so the table is rebuilt.
CREATE TABLE event_channel_events_next (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  name TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  end_at INTEGER,
  -- scheduled → (retrying) → creating → live → ending → done | cancelled; or skipped
  state TEXT NOT NULL CHECK (state IN ('scheduled', 'retrying', 'creating', 'live', 'ending', 'done', 'skipped', 'cancelled')),
  text_id TEXT,
  voice_ids TEXT NOT NULL DEFAULT '[]',
  role_id TEXT,
  -- 1 when the role is the bot's own (it made it, or the Red cog's records named it): only then is it deleted.
  role_created INTEGER NOT NULL DEFAULT 0,
  delete_at INTEGER,
  warning_message_id TEXT,
  planned_voices INTEGER,
  -- The object a step is about to create ('role' | 'text' | 'voice'), its name and when: found again after a crash.
  intent_kind TEXT,
  intent_name TEXT,
  intent_at INTEGER,
  grant_cursor TEXT,
  extensions INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, event_id)
);
INSERT INTO event_channel_events_next (guild_id, event_id, name, start_at, end_at, state, text_id, voice_ids, role_id, role_created, delete_at, warning_message_id, updated_at)
  SELECT guild_id, event_id, name, start_at, end_at, state, text_id, voice_ids, role_id, role_created, delete_at, warning_message_id, updated_at FROM event_channel_events;
DROP TABLE event_channel_events;
ALTER TABLE event_channel_events_next RENAME TO event_channel_events;
CREATE INDEX event_channel_events_text ON event_channel_events (guild_id, text_id);
CREATE INDEX event_channel_events_role ON event_channel_events (guild_id, role_id);

-- The divider is the guild's one shared object: its creation is recorded before the call, like an event's.
ALTER TABLE event_channel_dividers ADD COLUMN intent_name TEXT;
ALTER TABLE event_channel_dividers ADD COLUMN intent_at INTEGER;
