-- A create in flight: its nonce is stored before the POST, so a create whose answer was lost (a crash, a
-- timeout, a lease that ran out) is looked for by the marker the bot writes into each event before another is made.
ALTER TABLE match_events ADD COLUMN create_nonce TEXT;
ALTER TABLE match_events ADD COLUMN create_started_at INTEGER;
