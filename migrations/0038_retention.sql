-- Data retention: when each guild's retention timer last ran or was armed (the daily cron re-arms guilds whose
-- timer went quiet), and the guild each timer row belongs to, so old rows are pruned per guild.
ALTER TABLE guilds ADD COLUMN retention_at INTEGER;
ALTER TABLE timers ADD COLUMN guild_id TEXT;
CREATE INDEX timers_guild ON timers (guild_id, pending, updated_at);
CREATE INDEX guilds_retention ON guilds (retention_at);
