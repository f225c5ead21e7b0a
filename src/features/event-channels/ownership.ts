/**
 * What makes a Discord object the bot's: its id recorded at creation. An object asked for but never recorded (a
 * crash between the POST and the D1 write) is found again only by its recorded intent: same kind and name, created
 * within moments of the intent, and claimed by no record. A role or channel found by name alone is never touched.
 */
import { snowflakeTime } from "../../discord/snowflake";

/** How long a create call may take (timeouts, retries, 429 waits) before its object would appear. */
export const INTENT_WINDOW_MS = 2 * 60_000;
const SKEW_MS = 10_000;

export interface Intent {
  name: string;
  at: number;
}

export interface Candidate {
  id: string;
  name: string;
}

/** The object an unrecorded intent produced, if it exists: the earliest match inside the window. */
export function findIntended<C extends Candidate>(candidates: readonly C[], intent: Intent, known: ReadonlySet<string>): C | null {
  const inWindow = candidates.filter((c) => {
    if (known.has(c.id) || c.name !== intent.name) return false;
    const t = snowflakeTime(c.id);
    return t >= intent.at - SKEW_MS && t <= intent.at + INTENT_WINDOW_MS;
  });
  inWindow.sort((a, b) => snowflakeTime(a.id) - snowflakeTime(b.id));
  return inWindow[0] ?? null;
}
