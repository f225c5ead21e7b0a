/** Changes to the events the bot mirrors, from the guild-events core: status changes are noted, deletions by hand are repaired. */
import type { ScheduledEventConsumer } from "../../scheduled-events";
import type { Services } from "../../services";
import { noteEventState } from "./mapping-storage";
import { mirrorLive } from "./mirror";

async function noted(s: Services, guildId: string, eventId: string, status: number | null): Promise<void> {
  const mapping = await noteEventState(s.env.DB, guildId, eventId, status, s.now());
  // Ended or deleted by hand while the match is still to be played: the mirror puts it back (or lets it go).
  if (mapping && mapping.scheduled_event_id === null) await mirrorLive(s, guildId, mapping.match_id);
}

/** Every reported change but a creation (the mirror records its own creates), as Discord's UPDATE and DELETE were. */
export const tournamentsConsumer: ScheduledEventConsumer = {
  name: "tournaments",
  async handle({ before, after, changes }, s) {
    if (!before || !changes.length) return;
    await noted(s, after.guild_id, after.event_id, after.deleted_at !== null ? null : after.status);
  },
};
