/** How much one server can make in tournaments: each cap bounds the rows a Manage Events member can create, with the reply at the cap. */

/** Tournaments created in the last 30 days or with matches still to play (older, finished ones do not count). */
export const MAX_ACTIVE_TOURNAMENTS = 50;
/** A tournament counts as active this long after its creation even with no matches yet. */
export const ACTIVE_AFTER_CREATION_MS = 30 * 86_400_000;
export const MAX_TEAMS_PER_TOURNAMENT = 200;
/** Scheduled matches not yet started, per tournament. */
export const MAX_UPCOMING_MATCHES = 2000;

export const capMessages = {
  tournaments: () =>
    `This server has ${MAX_ACTIVE_TOURNAMENTS} active tournaments (created in the last 30 days or with matches still to play), the most it can have. Finish or delete the matches of an old one first.`,
  teams: (name: string) => `${name} has ${MAX_TEAMS_PER_TOURNAMENT} teams, the most a tournament can have. Remove a team without matches first.`,
  matches: (name: string) =>
    `${name} has ${MAX_UPCOMING_MATCHES} upcoming matches, the most a tournament can have. Finish or delete some first (\`/match finish\`, \`/match delete\`).`,
};
