-- Custom commands (seed 004): per-guild text commands with usage tracking for the daily cleanup.
CREATE TABLE custom_commands (
  guild_id TEXT NOT NULL,
  name TEXT NOT NULL,
  response TEXT NOT NULL,
  creator_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER,
  uses INTEGER NOT NULL DEFAULT 0,
  -- set when the 60-day warning went out; using the command clears it (a new idle period)
  warned_at INTEGER,
  PRIMARY KEY (guild_id, name)
);
CREATE INDEX custom_commands_idle ON custom_commands (guild_id, last_used_at);
