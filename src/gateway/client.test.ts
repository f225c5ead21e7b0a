import { GatewayCloseCodes } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { keepRelaysAlive, type RelayNamespace } from "./client";
import type { RelayView } from "./relay";

/**
 * Relays of a bot that outgrew one shard: Discord closes a shard holding more than `perShard` guilds with 4011 and
 * now recommends `recommended` shards; GET /gateway/bot is cached until read with `force`.
 */
function fleet(guilds: number, perShard: number, recommended: number) {
  let cached = 1;
  const started: string[] = [];
  const ns: RelayNamespace = {
    getByName: () => ({
      gatewayInfo: async (force?: boolean) => {
        if (force) cached = recommended;
        return { url: "wss://gateway", shards: cached, max_concurrency: 1, fetched_at: 0 };
      },
      ensure: async (shard: [number, number]) => {
        started.push(`${shard[0]}/${shard[1]}`);
        const tooMany = guilds / shard[1] > perShard;
        return { status: tooMany ? "fatal" : "ready", fatal: tooMany ? { code: GatewayCloseCodes.ShardingRequired } : null } as unknown as RelayView;
      },
    }),
  };
  return { ns, started };
}

describe("keeping the shards' relays alive", () => {
  it("reads the shard count again at once when a shard is closed with 4011 Sharding required", async () => {
    const { ns, started } = fleet(3_000, 2_500, 2);
    expect(await keepRelaysAlive(ns)).toEqual({ shards: 1, states: ["fatal"] });
    // The next minute's run starts the shards Discord now recommends, not the cached count for the rest of the hour.
    expect(await keepRelaysAlive(ns)).toEqual({ shards: 2, states: ["ready", "ready"] });
    expect(started).toEqual(["0/1", "0/2", "1/2"]);
  });
});
