-- At-least-once gateway: the revision of a followed event whose reminders were fully planned. A dispatch handled
-- again after a crash between saving the event and planning its reminders sees planned_revision < revision and
-- plans again, instead of taking the saved row for a finished job.
ALTER TABLE reminder_events ADD COLUMN planned_revision INTEGER;
