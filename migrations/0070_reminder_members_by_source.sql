-- Reminder recipients page through an event's members one source at a time ('remind', then 'interested'): with
-- the primary key (guild_id, event_id, user_id, source) an arm that has run out of its source's members scanned
-- the rest of the other source's on every page. This index makes each arm a range scan of its own source.
CREATE INDEX reminder_event_members_source ON reminder_event_members (guild_id, event_id, source, user_id);
