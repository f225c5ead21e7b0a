-- Custom commands as guild slash commands (seed 004, optional per guild): the switch and the last registration.
CREATE TABLE custom_command_settings (
  guild_id TEXT PRIMARY KEY,
  register_slash INTEGER NOT NULL DEFAULT 0,
  registered_count INTEGER,
  registered_at INTEGER,
  last_error TEXT,
  updated_at INTEGER NOT NULL
);
