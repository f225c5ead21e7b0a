/** Tournament events on the bus; `match.*` listeners do the Discord side (seed 001 data flow). */
import { type EventDefinitions, pickFields } from "../../events/catalog";
import type { Listener } from "../../feature";
import { mirrorLive } from "./mirror";

const withUser = (...keys: string[]) => {
  const pick = pickFields(...keys);
  return (o: unknown, ctx: Record<string, unknown>) => ({ ...pick(o), user_id: ctx.userId });
};

export const tournamentEvents: EventDefinitions = {
  serializers: {
    "tournament.created": withUser("tournament_id", "slug", "name"),
    "tournament.updated": withUser("tournament_id", "slug", "changed"),
    "tournament.synced": pickFields("created", "updated", "deleted", "unchanged", "over_limit", "failed", "calls", "error"),
    "tournament.permission_missing": pickFields("warning"),
    "team.created": withUser("team_id", "tournament_id", "name", "role_id"),
    "team.updated": withUser("team_id", "tournament_id", "name", "role_id", "changed"),
    "team.deleted": withUser("team_id", "tournament_id", "name"),
    "match.scheduled": withUser("match_id", "tournament_id", "slug", "scheduled_at", "changed"),
    "match.updated": withUser("match_id", "tournament_id", "slug", "scheduled_at", "changed"),
    "match.finished": withUser("match_id", "tournament_id", "slug", "changed"),
    "match.deleted": withUser("match_id", "tournament_id", "slug", "changed"),
  },
  sets: {
    CRITICAL: ["tournament.permission_missing"],
    SYSTEM: ["tournament.created", "tournament.updated", "tournament.synced"],
    FULL: ["team.created", "team.updated", "team.deleted", "match.scheduled", "match.updated", "match.finished", "match.deleted"],
  },
};

/** Every match change brings its Discord event in line; it runs whatever the guild's event level. */
export const mirrorListener: Listener = {
  on: "match.*",
  name: "tournaments.mirror-event",
  always: true,
  async handle(event, services) {
    const matchId = Number(event.data.match_id);
    if (!event.guild_id || !Number.isInteger(matchId)) return;
    await mirrorLive(services, event.guild_id, matchId);
  },
};
