/** Voice retention: creation intents are kept a day (their reconciliation runs after 2 minutes); a guild the bot left is forgotten. */
import { deleteBatch, purgeTables } from "../../retention/batch";
import { DAY_MS, type RetentionPolicy } from "../../retention/policy";

export const voiceRetention: RetentionPolicy = {
  name: "voice",
  retention: (db, guildId, now, limit) => deleteBatch(db, "voice_intents", "guild_id = ? AND created_at < ?", [guildId, now - DAY_MS], limit),
  purgeGuild: (db, guildId, limit) => purgeTables(db, guildId, ["voice_intents", "voice_members", "voice_channels", "voice_settings"], limit),
};
