/** Custom commands are bounded by their own 90-day cleanup; a guild the bot left is forgotten. */
import { purgeTables } from "../../retention/batch";
import type { RetentionPolicy } from "../../retention/policy";

export const customCommandsRetention: RetentionPolicy = {
  name: "custom-commands",
  purgeGuild: (db, guildId, limit) => purgeTables(db, guildId, ["custom_commands", "custom_command_settings"], limit),
};
