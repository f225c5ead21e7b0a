-- Each EventTimer reports its pending count and next due time here when they change, for /health.
CREATE TABLE timers (
  name TEXT PRIMARY KEY,
  pending INTEGER NOT NULL,
  next_due INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX timers_pending ON timers (pending, next_due);
