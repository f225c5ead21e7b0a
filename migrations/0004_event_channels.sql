-- Event channels (seed 000): per-guild settings (the seed's schema, as validated JSON), one row per scheduled
-- event the bot follows (the seed's text / voice list / role record plus its timeline), and the divider.
CREATE TABLE event_channel_settings (
  guild_id TEXT PRIMARY KEY,
  settings TEXT NOT NULL,
  configured_by TEXT,
  updated_at INTEGER NOT NULL
);

CREATE TABLE event_channel_events (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  name TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  end_at INTEGER,
  -- scheduled → (retrying) → live → ending → done | cancelled; or skipped
  state TEXT NOT NULL CHECK (state IN ('scheduled', 'retrying', 'live', 'ending', 'done', 'skipped', 'cancelled')),
  text_id TEXT,
  voice_ids TEXT NOT NULL DEFAULT '[]',
  role_id TEXT,
  role_created INTEGER NOT NULL DEFAULT 0,
  delete_at INTEGER,
  warning_message_id TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, event_id)
);
CREATE INDEX event_channel_events_text ON event_channel_events (guild_id, text_id);
CREATE INDEX event_channel_events_role ON event_channel_events (guild_id, role_id);

CREATE TABLE event_channel_dividers (
  guild_id TEXT PRIMARY KEY,
  channel_id TEXT,
  role_ids TEXT NOT NULL DEFAULT '[]'
);
