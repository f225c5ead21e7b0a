import { describe, expect, it } from "vitest";
import { CAUGHT_UP_MS, currentSince } from "./freshness";
import { initialState, type RelayView } from "./relay-state";

const NOW = 1_800_000_000_000;
const view = (over: Partial<RelayView> = {}): RelayView => ({
  ...initialState([0, 1]),
  status: "ready",
  live_since: NOW - 1000,
  session_started_at: NOW - 60_000,
  connected: true,
  backlog: { rows: 0, bytes: 0, oldest_received_at: null },
  ...over,
});

describe("whether the gateway's view is current", () => {
  it("is current from the session's start while connected and caught up", () => {
    expect(currentSince(view(), NOW)).toBe(NOW - 60_000);
    expect(currentSince(view({ backlog: { rows: 3, bytes: 9, oldest_received_at: NOW - 100 } }), NOW)).toBe(NOW - 60_000);
  });

  it("is not current while disconnected, before the reconnect is caught up, or while behind", () => {
    expect(currentSince(view({ connected: false }), NOW)).toBeNull();
    expect(currentSince(view({ status: "resuming" }), NOW)).toBeNull();
    expect(currentSince(view({ live_since: null }), NOW)).toBeNull();
    expect(currentSince(view({ backlog: { rows: 900, bytes: 9, oldest_received_at: NOW - CAUGHT_UP_MS - 1 } }), NOW)).toBeNull();
  });
});
