/**
 * Whether gateway-fed state (e.g. voice occupancy) can be trusted: the relay serving a guild is connected, has
 * handled everything up to its last (re)connect, and is not behind. Features compare the time their state was
 * last complete with the relay's session start. A guild's GUILD_CREATE may still be set aside, unreconciled, when
 * this says current: state only a GUILD_CREATE refreshes counts as complete from that guild's own reconciliation
 * (its received time), never from this alone.
 */

import { shardOf } from "./protocol";
import type { RelayView } from "./relay-state";

/** Dispatches waiting longer than this mean the handlers are behind: state they feed is not current. */
export const CAUGHT_UP_MS = 5_000;

/**
 * From when the relay's view of its guilds is complete (its session start), or null when it is not current:
 * disconnected, not yet caught up with its last (re)connect, or behind on its queue.
 */
export function currentSince(view: RelayView, now: number): number | null {
  if (!view.connected || view.status !== "ready" || view.live_since === null || view.session_started_at === null) return null;
  const oldest = view.backlog.oldest_received_at;
  if (oldest !== null && now - oldest > CAUGHT_UP_MS) return null;
  return view.session_started_at;
}

export interface RelayDirectory {
  DB: D1Database;
  GATEWAY_RELAY: { get(id: DurableObjectId): unknown; idFromString(id: string): DurableObjectId };
}

/** Records a relay object (by its id) as serving its shard, on each connect. */
export async function recordRelay(db: D1Database, objectId: string, shard: [number, number], now: number): Promise<void> {
  await db
    .prepare(
      "INSERT INTO gateway_relays (object_id, shard_id, shard_count, connected_at) VALUES (?, ?, ?, ?) ON CONFLICT (object_id) DO UPDATE SET shard_id = excluded.shard_id, shard_count = excluded.shard_count, connected_at = excluded.connected_at",
    )
    .bind(objectId, shard[0], shard[1], now)
    .run();
}

/**
 * The earliest time from which the gateway has told us everything about this guild, or null when no relay
 * serving it is current. State complete since a time at or after it is trustworthy.
 */
export async function gatewayCurrentSince(env: RelayDirectory, guildId: string, now: number): Promise<number | null> {
  const rows = await env.DB.prepare("SELECT object_id, shard_id, shard_count FROM gateway_relays").all<{
    object_id: string;
    shard_id: number;
    shard_count: number;
  }>();
  let best: number | null = null;
  for (const r of rows.results) {
    if (r.shard_count < 1 || shardOf(guildId, r.shard_count) !== r.shard_id) continue;
    const stub = env.GATEWAY_RELAY.get(env.GATEWAY_RELAY.idFromString(r.object_id)) as { status(): Promise<RelayView> };
    const view = await stub.status();
    if (view.shard[0] !== r.shard_id || view.shard[1] !== r.shard_count) continue;
    const since = currentSince(view, now);
    if (since !== null && (best === null || since < best)) best = since;
  }
  return best;
}
