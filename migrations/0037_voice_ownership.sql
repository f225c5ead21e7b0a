-- Temporary voice channels: intent recorded before the POST that creates one (so a channel whose D1 write never
-- happened is found and adopted, never orphaned), and when a guild's occupancy was last rebuilt from GUILD_CREATE.
CREATE TABLE voice_intents (
  guild_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('public', 'private')),
  name TEXT NOT NULL,
  parent_id TEXT,
  owner_id TEXT NOT NULL,
  match_key TEXT,
  created_at INTEGER NOT NULL,
  -- the channel the POST returned, once recorded
  channel_id TEXT,
  PRIMARY KEY (guild_id, nonce)
);
ALTER TABLE voice_settings ADD COLUMN occupancy_at INTEGER;
