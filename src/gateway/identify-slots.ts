/**
 * When each shard may IDENTIFY: Discord lets `max_concurrency` shards identify per 5 s (a shard's rate-limit key is
 * its id % max_concurrency) and answers any more with an Invalid Session, which also spends a session start.
 * A pure schedule, kept by the RateGate object for every relay of the deployment.
 */

/**
 * How far apart one key's turns are: Discord's 5 s window, and a margin for the time between a turn and the IDENTIFY
 * frame it is for (the connection and its HELLO come in between).
 */
export const IDENTIFY_SPACING_MS = 5_500;
/** A shard told to wait asks again no sooner than this (clocks of the gate and the relay may differ a little). */
export const MIN_IDENTIFY_WAIT_MS = 100;

/** The rate-limit key of a shard (Discord's formula); a bad max_concurrency counts as 1. */
export function identifyKey(shardId: number, maxConcurrency: number): number {
  const m = Number.isInteger(maxConcurrency) && maxConcurrency > 0 ? maxConcurrency : 1;
  return shardId % m;
}

/** The gate's answer to a shard that would IDENTIFY now: go (the key's window is its from now), or ask again at `retryAt`. */
export type IdentifyTurn = { go: true } | { go: false; retryAt: number };

/**
 * A key's turn for a shard asking now. A turn is only ever given for now, never booked ahead: a shard told to wait
 * that wakes late (an alarm fires late under load) loses only its lateness. A slot booked ahead and missed held the
 * key's window for nobody, and booking again pushed the next slot on; with alarms steadily late a shard never
 * identified (at 10,000 guilds on this machine, shards identified up to 21 minutes after the first).
 */
export function takeIdentifyTurn(stored: number | undefined, now: number): { turn: IdentifyTurn; nextFree: number } {
  // No turn reaches past one window from now: a later stored time is a slot booked ahead before turns (a deployment
  // whose shards kept booking again held its keys for minutes), and must not hold the key now.
  const nextFree = stored === undefined ? undefined : Math.min(stored, now + IDENTIFY_SPACING_MS);
  if (nextFree === undefined || now >= nextFree) return { turn: { go: true }, nextFree: now + IDENTIFY_SPACING_MS };
  return { turn: { go: false, retryAt: nextFree }, nextFree };
}

/**
 * How long a shard must wait before it connects to IDENTIFY (0: go now). A single shard has nobody to race and never
 * asks; a gate that cannot answer costs no wait either (Discord's Invalid Session, answered after a 1–5 s wait, is
 * what is left).
 */
export async function identifyDelay(shard: [number, number], clock: () => number, ask: () => Promise<IdentifyTurn>): Promise<number> {
  if (shard[1] <= 1) return 0;
  const turn = await ask();
  // From when the answer came (asking may have read GET /gateway/bot first).
  return turn.go ? 0 : Math.max(MIN_IDENTIFY_WAIT_MS, turn.retryAt - clock());
}
