-- The audit-channel sink posts the event log in coalesced messages; this is how far each guild has been posted.
CREATE TABLE audit_cursor (
  guild_id TEXT PRIMARY KEY,
  last_at INTEGER NOT NULL,
  last_id TEXT NOT NULL
);
