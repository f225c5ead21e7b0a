-- Tournaments (seed 001): tournaments, teams, player stream handles, matches, the match → Discord
-- scheduled event mapping, each guild's last sync, and the bot's cached guild permissions.
CREATE TABLE tournaments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  guild_id TEXT NOT NULL,
  slug TEXT NOT NULL,
  name TEXT NOT NULL,
  format TEXT NOT NULL DEFAULT 'solo' CHECK (format IN ('solo', 'teams')),
  create_scheduled_events INTEGER NOT NULL DEFAULT 0,
  scheduled_events_enabled INTEGER NOT NULL DEFAULT 1,
  event_minutes INTEGER NOT NULL DEFAULT 120,
  description_template TEXT,
  stream_base TEXT NOT NULL DEFAULT 'https://twitch.tv/',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tournaments_slug ON tournaments (guild_id, slug);

CREATE TABLE teams (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  guild_id TEXT NOT NULL,
  tournament_id INTEGER NOT NULL REFERENCES tournaments (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (tournament_id, name COLLATE NOCASE);
CREATE INDEX teams_guild ON teams (guild_id, role_id);

CREATE TABLE player_profiles (
  guild_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  stream TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, user_id)
);

-- A side is a team (side_*_id = teams.id) or a member (side_*_id = user id, name snapshotted when scheduled).
CREATE TABLE matches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  guild_id TEXT NOT NULL,
  tournament_id INTEGER NOT NULL REFERENCES tournaments (id),
  side_a_kind TEXT NOT NULL CHECK (side_a_kind IN ('team', 'member')),
  side_a_id TEXT NOT NULL,
  side_a_name TEXT NOT NULL,
  side_b_kind TEXT NOT NULL CHECK (side_b_kind IN ('team', 'member')),
  side_b_id TEXT NOT NULL,
  side_b_name TEXT NOT NULL,
  title TEXT,
  round TEXT,
  scheduled_at INTEGER NOT NULL,
  stream_channel TEXT,
  status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'finished', 'deleted')),
  -- Bumped by every change that can alter the Discord event; the mirror loops until it has sent the latest.
  revision INTEGER NOT NULL DEFAULT 1,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX matches_upcoming ON matches (guild_id, status, scheduled_at);
CREATE INDEX matches_tournament ON matches (tournament_id, status);

-- The seed's DiscordScheduledEvent model. Fields hold what Discord was last sent (or seen to have), so
-- updates send only what changed. The lease serialises the live mirror and the sync for one match.
CREATE TABLE match_events (
  match_id INTEGER PRIMARY KEY,
  guild_id TEXT NOT NULL,
  scheduled_event_id TEXT,
  event_slug TEXT,
  name TEXT,
  description TEXT,
  location TEXT,
  start_at INTEGER,
  end_at INTEGER,
  event_status INTEGER,
  synced_revision INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX match_events_event ON match_events (scheduled_event_id) WHERE scheduled_event_id IS NOT NULL;
CREATE INDEX match_events_guild ON match_events (guild_id);

CREATE TABLE tournament_sync (
  guild_id TEXT PRIMARY KEY,
  last_sync_at INTEGER,
  result TEXT,
  permission_warning TEXT,
  updated_at INTEGER NOT NULL
);

-- The bot's guild-level permissions as last seen (from an interaction's app_permissions or a REST read).
CREATE TABLE bot_guild_permissions (
  guild_id TEXT PRIMARY KEY,
  permissions TEXT NOT NULL,
  checked_at INTEGER NOT NULL
);
