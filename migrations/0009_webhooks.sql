-- Outbound webhooks (seed 003's plugins): bot events delivered to other systems, signed with a per-hook secret.
CREATE TABLE webhooks (
  guild_id TEXT NOT NULL,
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  -- event names or namespaces ("match.*"); [] = every event the guild's level lets through
  filter TEXT NOT NULL DEFAULT '[]',
  secret TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  failures INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (guild_id, id)
);
