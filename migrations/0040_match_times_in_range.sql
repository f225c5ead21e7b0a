-- Before match times were range-checked, a pasted `<t:9999999999999>` stored an instant no date can hold, and
-- the mirror threw on it at every sync. Such matches cannot be played or shown: set them aside as deleted.
UPDATE matches
SET status = 'deleted', revision = revision + 1, updated_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE status = 'scheduled' AND (scheduled_at > 8640000000000000 OR scheduled_at < -8640000000000000);
