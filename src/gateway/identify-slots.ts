/**
 * When each shard may IDENTIFY: Discord lets `max_concurrency` shards identify per 5 s (a shard's rate-limit key is
 * its id % max_concurrency) and answers any more with an Invalid Session, which also spends a session start.
 * A pure schedule, kept by the RateGate object for every relay of the deployment.
 */

/** How late a booked slot may still be used: within it, the IDENTIFY stays 5 s before the key's next slot. */
export const IDENTIFY_SLOT_GRACE_MS = 500;
/** Discord's window, and a margin for the time between a slot and the IDENTIFY frame it is for. */
export const IDENTIFY_SPACING_MS = 5_000 + IDENTIFY_SLOT_GRACE_MS;

/** The rate-limit key of a shard (Discord's formula); a bad max_concurrency counts as 1. */
export function identifyKey(shardId: number, maxConcurrency: number): number {
  const m = Number.isInteger(maxConcurrency) && maxConcurrency > 0 ? maxConcurrency : 1;
  return shardId % m;
}

/**
 * Books a key's earliest identify slot: `now`, or its next free time if that is later. Returns the slot and the
 * key's next free time after it.
 */
export function bookIdentify(nextFree: number | undefined, now: number): { at: number; nextFree: number } {
  const at = Math.max(now, nextFree ?? 0);
  return { at, nextFree: at + IDENTIFY_SPACING_MS };
}

/**
 * How long a shard must wait before it connects to IDENTIFY (0: go now), booking a slot when it holds none that can
 * still be used. `held` is the slot booked earlier and not yet used; the caller stores `held` back. A single shard
 * has nobody to race and never waits; a gate that cannot answer costs no wait either (Discord's Invalid Session,
 * answered after a 1–5 s wait, is what is left).
 */
export async function identifyDelay(
  shard: [number, number],
  held: number | null,
  now: number,
  book: () => Promise<number>,
): Promise<{ waitMs: number; held: number | null }> {
  if (shard[1] <= 1) return { waitMs: 0, held: null };
  let at = held;
  // A slot missed by more than the grace (an alarm that fired late) would bring this IDENTIFY within 5 s of the
  // key's next one: book again.
  if (at === null || at < now - IDENTIFY_SLOT_GRACE_MS) at = await book();
  return { waitMs: Math.max(0, at - now), held: at };
}
