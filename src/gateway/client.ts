/** How the Worker reaches the relay: one GatewayRelay object per shard, kept alive by the cron. */
import { GatewayCloseCodes } from "discord-api-types/v10";
import type { RelayState, RelayView } from "./relay";

export interface RelayStub {
  ensure(shard?: [number, number]): Promise<RelayView>;
  stop(): Promise<RelayState>;
  status(): Promise<RelayView>;
  gatewayInfo(force?: boolean): Promise<{ url: string; shards: number; max_concurrency: number; fetched_at: number }>;
}

export interface RelayNamespace {
  getByName(name: string): unknown;
}

export const relayName = (shard: number) => `shard-${shard}`;

export function relayFor(ns: RelayNamespace, shard: number): RelayStub {
  return ns.getByName(relayName(shard)) as RelayStub;
}

/**
 * Starts or keeps every shard's relay; shard 0 knows the shard count (GET /gateway/bot, cached for an hour). A shard
 * closed with 4011 (Sharding required: it grew past 2,500 guilds) has the count read again at once, so the next run
 * starts the shards Discord now recommends instead of waiting out the hour.
 */
export async function keepRelaysAlive(ns: RelayNamespace): Promise<{ shards: number; states: string[] }> {
  const { shards } = await relayFor(ns, 0).gatewayInfo();
  const states: string[] = [];
  let outgrown = false;
  for (let i = 0; i < shards; i++) {
    const view = await relayFor(ns, i).ensure([i, shards]);
    states.push(view.status);
    if (view.fatal?.code === GatewayCloseCodes.ShardingRequired) outgrown = true;
  }
  if (outgrown) await relayFor(ns, 0).gatewayInfo(true);
  return { shards, states };
}

/** What /health shows: each shard's status without secrets. */
export async function relayHealth(ns: RelayNamespace): Promise<unknown> {
  const first = await relayFor(ns, 0).status();
  const count = first.shard[1];
  const all = [first];
  for (let i = 1; i < count; i++) all.push(await relayFor(ns, i).status());
  return all.map((s) => ({
    shard: s.shard,
    state: s.status,
    connected: s.connected,
    session: s.session_id !== null,
    seq: s.seq,
    last_dispatch_at: s.last_dispatch_at,
    last_ack_at: s.last_ack_at,
    resumes: s.resumes,
    // Dispatches received and not yet handled, and since when the handlers are caught up (null: not now).
    backlog: s.backlog?.rows ?? 0,
    // A reconnect's GUILD_CREATEs still to reconcile (off the dispatch path).
    guilds_pending: s.backlog?.guilds_pending ?? 0,
    live_since: s.live_since ?? null,
    last_close: s.last_close,
    fatal: s.fatal ? { code: s.fatal.code, reason: s.fatal.reason, at: s.fatal.at } : null,
  }));
}
