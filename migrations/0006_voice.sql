-- Temporary voice channels (seed 004): per-guild limits, the live channels, and who is in them (from
-- VOICE_STATE_UPDATE; only temporary channels are tracked).
CREATE TABLE voice_settings (
  guild_id TEXT PRIMARY KEY,
  category_id TEXT,
  empty_minutes INTEGER NOT NULL DEFAULT 5,
  max_live INTEGER NOT NULL DEFAULT 25,
  max_per_member INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL
);

CREATE TABLE voice_channels (
  guild_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('public', 'private')),
  name TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  match_key TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, channel_id)
);
CREATE UNIQUE INDEX voice_channels_match ON voice_channels (guild_id, match_key) WHERE match_key IS NOT NULL;

CREATE TABLE voice_members (
  guild_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX voice_members_channel ON voice_members (guild_id, channel_id);
