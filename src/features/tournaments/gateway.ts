/** Scheduled-event dispatches for events the bot mirrors: status changes are noted, deletions by hand are repaired. */
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { type GatewayHandler, gatewayHandler } from "../../feature";
import type { Services } from "../../services";
import { noteEventState } from "./mapping-storage";
import { mirrorLive } from "./mirror";

async function noted(s: Services, guildId: string, eventId: string, status: number | null): Promise<void> {
  const mapping = await noteEventState(s.env.DB, guildId, eventId, status, s.now());
  // Ended or deleted by hand while the match is still to be played: the mirror puts it back (or lets it go).
  if (mapping && mapping.scheduled_event_id === null) await mirrorLive(s, guildId, mapping.match_id);
}

export const gatewayHandlers: GatewayHandler[] = [
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventUpdate, "tournaments.event_status", async (ev, s) => {
    await noted(s, ev.guild_id, ev.id, ev.status);
  }),
  gatewayHandler(GatewayDispatchEvents.GuildScheduledEventDelete, "tournaments.event_deleted", async (ev, s) => {
    await noted(s, ev.guild_id, ev.id, null);
  }),
];
