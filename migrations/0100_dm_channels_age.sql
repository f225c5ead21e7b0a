-- The retention cron trims DM channel ids nobody stored for half a year (re-opening one is a single call).
CREATE INDEX dm_channels_updated ON dm_channels (updated_at);
