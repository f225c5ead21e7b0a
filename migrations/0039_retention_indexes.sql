-- Retention prunes each guild's rows by age: these keep those deletes from scanning a large guild's table.
CREATE INDEX reminder_deliveries_age ON reminder_deliveries (guild_id, start_at);
CREATE INDEX reminder_events_age ON reminder_events (guild_id, start_at);
