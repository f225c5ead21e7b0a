-- The guild-events core's mirror (scheduled_events) is the one table of a guild's scheduled events: the copy
-- reminders kept before it is no longer read or written by anything.
DROP INDEX IF EXISTS reminder_events_upcoming;
DROP INDEX IF EXISTS reminder_events_age;
DROP TABLE IF EXISTS reminder_events;
