/** D1 storage for custom commands; every query is scoped to one guild. */

export interface CustomCommand {
  guild_id: string;
  name: string;
  response: string;
  creator_id: string;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  uses: number;
  warned_at: number | null;
}

/** Discord's rule for command names (lowercase; letters, digits, - and _; 1–32). */
export const NAME_RULE = /^[-_\p{Ll}\p{Lo}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

export async function getCommand(db: D1Database, guildId: string, name: string): Promise<CustomCommand | null> {
  return db.prepare("SELECT * FROM custom_commands WHERE guild_id = ? AND name = ?").bind(guildId, name).first<CustomCommand>();
}

export async function listCommands(db: D1Database, guildId: string): Promise<CustomCommand[]> {
  return (await db.prepare("SELECT * FROM custom_commands WHERE guild_id = ? ORDER BY name").bind(guildId).all<CustomCommand>()).results;
}

/** Inserts a new command; false when the guild already has one of that name. */
export async function createCommand(db: D1Database, c: Pick<CustomCommand, "guild_id" | "name" | "response" | "creator_id">, now: number): Promise<boolean> {
  const r = await db
    .prepare("INSERT OR IGNORE INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(c.guild_id, c.name, c.response, c.creator_id, now, now)
    .run();
  return r.meta.changes > 0;
}

export async function updateResponse(db: D1Database, guildId: string, name: string, response: string, now: number): Promise<boolean> {
  const r = await db
    .prepare("UPDATE custom_commands SET response = ?, updated_at = ? WHERE guild_id = ? AND name = ?")
    .bind(response, now, guildId, name)
    .run();
  return r.meta.changes > 0;
}

export async function deleteCommand(db: D1Database, guildId: string, name: string): Promise<boolean> {
  return (await db.prepare("DELETE FROM custom_commands WHERE guild_id = ? AND name = ?").bind(guildId, name).run()).meta.changes > 0;
}

/** A use: counted, timestamped, and the idle warning cleared (a new idle period starts). */
export async function recordUse(db: D1Database, guildId: string, name: string, now: number): Promise<void> {
  await db
    .prepare("UPDATE custom_commands SET uses = uses + 1, last_used_at = ?, warned_at = NULL WHERE guild_id = ? AND name = ?")
    .bind(now, guildId, name)
    .run();
}
