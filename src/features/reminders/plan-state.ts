/** Whether an event's reminders were fully planned for its current revision: what makes following it replay-safe. */

export interface PlanState {
  revision: number;
  planned_revision: number | null;
}

export async function planState(db: D1Database, guildId: string, eventId: string): Promise<PlanState | null> {
  return db.prepare("SELECT revision, planned_revision FROM reminder_events WHERE guild_id = ? AND event_id = ?").bind(guildId, eventId).first<PlanState>();
}

/** Marks the revision planned, unless a newer change arrived meanwhile (then that change plans it). */
export async function markPlanned(db: D1Database, guildId: string, eventId: string, revision: number): Promise<void> {
  await db
    .prepare("UPDATE reminder_events SET planned_revision = ? WHERE guild_id = ? AND event_id = ? AND revision = ?")
    .bind(revision, guildId, eventId, revision)
    .run();
}
