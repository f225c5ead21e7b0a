/** The contract between the retention job and features: each feature prunes and purges its own tables. */
import type { Pruned } from "./batch";

export const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  /** The feature's name, for logs. */
  name: string;
  /** Removes this guild's rows past their retention (at most `limit` per statement). */
  retention?(db: D1Database, guildId: string, now: number, limit: number): Promise<Pruned>;
  /** Removes everything the feature holds for a guild the bot has left (at most `limit` per statement). */
  purgeGuild(db: D1Database, guildId: string, limit: number): Promise<Pruned>;
  /** The core's policy holds the guild's own row: it is purged after every other feature's data. */
  last?: boolean;
}
