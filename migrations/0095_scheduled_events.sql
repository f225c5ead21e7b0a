-- The one mirror of each guild's native scheduled events (src/scheduled-events/), fed by the gateway and the
-- reconciliation. Features read it through that module's functions; times are ms since the epoch.
CREATE TABLE scheduled_events (
  guild_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  location TEXT,
  channel_id TEXT,
  entity_type INTEGER NOT NULL,
  -- The occurrence Discord shows now (for a recurring event, the next or current one).
  start_at INTEGER NOT NULL,
  end_at INTEGER,
  -- Discord's status: 1 scheduled, 2 active, 3 completed, 4 canceled.
  status INTEGER NOT NULL,
  -- Discord's recurrence rule and its exceptions (cancelled or moved occurrences), as JSON; NULL when it does not recur.
  recurrence_rule TEXT,
  exceptions TEXT,
  creator_id TEXT,
  user_count INTEGER,
  -- Grows with every change the core reports; set when Discord deleted the event.
  revision INTEGER NOT NULL DEFAULT 1,
  deleted_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, event_id)
);
CREATE INDEX scheduled_events_by_start ON scheduled_events (guild_id, start_at);
-- When the hourly reconciliation last listed a guild's scheduled events from Discord (one list per guild per hour).
CREATE TABLE scheduled_event_guilds (
  guild_id TEXT PRIMARY KEY,
  reconciled_at INTEGER NOT NULL
);
