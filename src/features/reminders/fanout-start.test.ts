import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { chunkDeadline, LATE_MS, onTime, startFanout } from "./fanout-start";

const due = 1_800_000_000_000;

describe("reminder lateness", () => {
  it("is on time up to a minute after the reminder's time", () => {
    expect(onTime(due, due + LATE_MS)).toBe(true);
    expect(onTime(due, due + LATE_MS + 1)).toBe(false);
  });

  it("gives a chunk that starts after a restart's delay its own minute for send slots", () => {
    expect(chunkDeadline(due, due + 5_000)).toBe(due + 5_000 + LATE_MS);
    expect(chunkDeadline(due, due + 85_000)).toBe(due + 85_000 + LATE_MS);
    expect(chunkDeadline(due, due - 1_000)).toBe(due + LATE_MS);
  });

  it("is decided by a fan-out's first attempt: a retry 85 s later keeps it", async () => {
    const key = { guild_id: "g-fanout", event_id: "e1", start_at: due + 3_600_000, offset_s: 3600 };
    expect(await startFanout(env.DB, key, "dm", due, true)).toEqual({ startedAt: due, onTime: true });
    expect(await startFanout(env.DB, key, "dm", due + 85_000, false)).toEqual({ startedAt: due, onTime: true });
    // Each offset and each kind of reminder is its own fan-out.
    expect(await startFanout(env.DB, { ...key, offset_s: 0 }, "dm", due + 85_000, false)).toEqual({ startedAt: due + 85_000, onTime: false });
    expect(await startFanout(env.DB, key, "channel", due + 85_000, false)).toEqual({ startedAt: due + 85_000, onTime: false });
  });
});
