-- When a delivery's first send began: Discord's nonce dedups a retry only for a few minutes after it, so an
-- older unconfirmed delivery is looked for in the DM channel instead of being sent again.
ALTER TABLE reminder_deliveries ADD COLUMN first_try_at INTEGER;
