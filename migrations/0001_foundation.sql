-- Foundation: per-guild settings and cron bookkeeping.
CREATE TABLE guilds (
  guild_id TEXT PRIMARY KEY,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  event_level TEXT CHECK (event_level IS NULL OR event_level IN ('NONE', 'CRITICAL', 'SYSTEM', 'FULL')),
  audit_channel_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per cron job: when it last started/finished and how it ended (shown by /health).
CREATE TABLE cron_runs (
  job TEXT PRIMARY KEY,
  last_started_at INTEGER NOT NULL,
  last_finished_at INTEGER,
  last_status TEXT,
  last_error TEXT
);
