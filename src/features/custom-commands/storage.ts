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

/** Most custom commands one guild can hold, and one member can make (unless they have Manage Server). */
export const MAX_COMMANDS_PER_GUILD = 500;
export const MAX_COMMANDS_PER_MEMBER = 25;

export type CreateOutcome = "created" | "exists" | "guild_full" | "member_full";

/**
 * Inserts a new command unless the name is taken or a cap is reached; the caps are checked inside the insert,
 * so members racing each other cannot push the guild past them. `memberCap` null: no per-member cap.
 */
export async function createCommand(
  db: D1Database,
  c: Pick<CustomCommand, "guild_id" | "name" | "response" | "creator_id">,
  now: number,
  memberCap: number | null = MAX_COMMANDS_PER_MEMBER,
): Promise<CreateOutcome> {
  const r = await db
    .prepare(
      `INSERT OR IGNORE INTO custom_commands (guild_id, name, response, creator_id, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?5
       WHERE (SELECT COUNT(*) FROM custom_commands WHERE guild_id = ?1) < ?6
         AND (?7 IS NULL OR (SELECT COUNT(*) FROM custom_commands WHERE guild_id = ?1 AND creator_id = ?4) < ?7)`,
    )
    .bind(c.guild_id, c.name, c.response, c.creator_id, now, MAX_COMMANDS_PER_GUILD, memberCap)
    .run();
  if (r.meta.changes > 0) return "created";
  if (await getCommand(db, c.guild_id, c.name)) return "exists";
  const counts = await countCommands(db, c.guild_id, c.creator_id);
  return counts.guild >= MAX_COMMANDS_PER_GUILD ? "guild_full" : "member_full";
}

export async function countCommands(db: D1Database, guildId: string, creatorId: string): Promise<{ guild: number; member: number }> {
  const r = await db
    .prepare("SELECT COUNT(*) AS guild, COALESCE(SUM(creator_id = ?2), 0) AS member FROM custom_commands WHERE guild_id = ?1")
    .bind(guildId, creatorId)
    .first<{ guild: number; member: number }>();
  return { guild: r?.guild ?? 0, member: r?.member ?? 0 };
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
