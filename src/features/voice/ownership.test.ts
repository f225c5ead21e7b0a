import { type APIChannel, ChannelType } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { adoptable, type Intent, markBitrate } from "./ownership";

const EPOCH = 1_420_070_400_000n;
const idAt = (ms: number, n = 0) => String(((BigInt(ms) - EPOCH) << 22n) + BigInt(n));
const T = 1_800_000_000_000;
const intent: Intent = {
  guild_id: "1",
  nonce: "n-1",
  kind: "public",
  name: "Movie Night",
  parent_id: "cat",
  owner_id: "u",
  match_key: null,
  created_at: T,
  channel_id: null,
};
const voice = (id: string, over: Partial<{ name: string; parent_id: string | null; bitrate: number; type: number }> = {}) =>
  ({ id, type: ChannelType.GuildVoice, name: "Movie Night", parent_id: "cat", bitrate: markBitrate("n-1"), ...over }) as unknown as APIChannel;

describe("which voice channels an intent may adopt", () => {
  it("takes the bot's marked channel of that name, category and window, not yet tracked", () => {
    const mine = voice(idAt(T + 500));
    expect(adoptable([mine], intent, new Set()).map((c) => c.id)).toEqual([mine.id]);
    expect(adoptable([mine], intent, new Set([mine.id]))).toEqual([]);
  });

  it("never takes a channel by name alone: unmarked, another mark, another category, type or time", () => {
    const others = [
      voice(idAt(T + 1), { bitrate: 64_000 }),
      voice(idAt(T + 2), { bitrate: markBitrate("n-2") === markBitrate("n-1") ? 64_000 : markBitrate("n-2") }),
      voice(idAt(T + 3), { parent_id: "other" }),
      voice(idAt(T + 4), { type: ChannelType.GuildText }),
      voice(idAt(T - 60_000)),
      voice(idAt(T + 10 * 60_000)),
      voice(idAt(T + 5), { name: "movie night" }),
    ];
    expect(adoptable(others, intent, new Set())).toEqual([]);
  });

  it("marks with an inaudible bitrate just above the 64 kbps default, the same for the same nonce", () => {
    for (const n of ["a", "b", "c", crypto.randomUUID()]) {
      expect(markBitrate(n)).toBeGreaterThan(64_000);
      expect(markBitrate(n)).toBeLessThan(65_000);
      expect(markBitrate(n)).toBe(markBitrate(n));
    }
  });
});
