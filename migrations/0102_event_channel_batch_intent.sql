-- Event channels make the text and voice channels of an event in one go (each waits for its own REST slot, not for
-- the one before it): the intent recorded before the calls names every channel asked for, as a JSON list of
-- {"kind": "text" | "voice", "name": …}, so a crash between the calls and the write finds each one again.
ALTER TABLE event_channel_events ADD COLUMN intent_channels TEXT;
