-- DM reminders (seed 002): the seed's JSON trackers as tables. Offsets are seconds before the start (0 = "now").
CREATE TABLE reminder_settings (
  guild_id TEXT PRIMARY KEY,
  -- offsets members may pick, and the ones used when they pick none (and for Interested members)
  allowed_offsets TEXT NOT NULL DEFAULT '[86400,43200,14400,3600,900,0]',
  default_offsets TEXT NOT NULL DEFAULT '[3600,0]',
  interested_enabled INTEGER NOT NULL DEFAULT 1,
  channel_id TEXT,
  channel_everyone INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);

CREATE TABLE reminder_types (
  guild_id TEXT NOT NULL,
  name TEXT NOT NULL,
  keywords TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (guild_id, name)
);

CREATE TABLE reminder_subscriptions (
  guild_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  types TEXT NOT NULL,
  -- [] = the guild's default offsets
  offsets TEXT NOT NULL DEFAULT '[]',
  interested_opt_out INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, user_id)
);

-- One member, one event: "/remind" and the Remind-me button ('remind'), or clicking Interested ('interested').
CREATE TABLE reminder_event_members (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('remind', 'interested')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, event_id, user_id, source)
);

-- The scheduled events reminders follow (from the gateway), for the DM text, /remind and /reminders mine.
CREATE TABLE reminder_events (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  name TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  location TEXT,
  channel_id TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, event_id)
);
CREATE INDEX reminder_events_upcoming ON reminder_events (guild_id, active, start_at);

-- Exactly once: a row is claimed before the DM is sent; its status records how it ended.
CREATE TABLE reminder_deliveries (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  start_at INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  offset_s INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('claimed', 'retry', 'sent', 'failed', 'skipped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  event_name TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, event_id, start_at, user_id, offset_s)
);
CREATE INDEX reminder_deliveries_status ON reminder_deliveries (guild_id, status, updated_at);

-- A user's DM channel id: after the first DM, a reminder is one REST call.
CREATE TABLE dm_channels (
  user_id TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- The last channel reminder per event, deleted when the next one is posted.
CREATE TABLE reminder_channel_posts (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  PRIMARY KEY (guild_id, event_id)
);
