-- Guild presence from the gateway (GUILD_CREATE / GUILD_DELETE): which guilds the bot is in, for the cron's per-guild work.
ALTER TABLE guilds ADD COLUMN joined_at INTEGER;
ALTER TABLE guilds ADD COLUMN left_at INTEGER;
