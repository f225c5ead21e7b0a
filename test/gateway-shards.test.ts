/**
 * Several gateway shards of one deployment: they IDENTIFY in turn as Discord's identify concurrency allows (one per
 * 5 s per rate-limit key), instead of all at once and answered with Invalid Sessions.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayRelay } from "../src/index";
import { emu } from "./helpers";
import { type EmulatedSession, privateRelay, type Relay, ready } from "./relay-helpers";

const started: Relay[] = [];
afterEach(async () => {
  for (const stub of started.splice(0)) await stub.stop();
});

/** Two relays of a two-shard deployment whose GET /gateway/bot said `max_concurrency`. */
async function twoShards(maxConcurrency: number): Promise<Relay[]> {
  const relays = [await privateRelay(), await privateRelay()];
  for (const relay of relays) {
    const info = await relay.gatewayInfo(true);
    await runInDurableObject(relay as unknown as DurableObjectStub<GatewayRelay>, (_r, state) =>
      state.storage.put("gateway_info", { ...info, shards: 2, max_concurrency: maxConcurrency }),
    );
    started.push(relay);
  }
  return relays;
}

/** The emulator's record (Discord's view) of the session a relay identified. */
async function identifiedAt(relay: Relay): Promise<number> {
  const id = (await relay.status()).session_id;
  const all = await emu<{ sessions: EmulatedSession[] }>("/_emulator/gateway");
  const s = all.sessions.find((x) => x.id === id);
  if (!s) throw new Error(`no session ${id}`);
  return s.identified_at;
}

/** How far apart (ms, as Discord saw it) the two shards' IDENTIFYs came when both were started at once. */
async function identifyGap(maxConcurrency: number): Promise<number> {
  const [a, b] = (await twoShards(maxConcurrency)) as [Relay, Relay];
  await Promise.all([a.ensure([0, 2]), b.ensure([1, 2])]);
  await Promise.all([ready(a), ready(b)]);
  return Math.abs((await identifiedAt(a)) - (await identifiedAt(b)));
}

describe("gateway shards", () => {
  // max_concurrency 2 first: its keys are free; the 1 cases then take key 0's turns after it.
  it("identify side by side when max_concurrency lets them", async () => {
    expect(await identifyGap(2)).toBeLessThan(2_000);
  }, 30_000);

  it("a shard whose alarms fire a second late still identifies, a window after the other", async () => {
    const [a, b] = (await twoShards(1)) as [Relay, Relay];
    // Under load an alarm fires late. This relay sets every alarm a second later than it asks (its clock runs ahead),
    // so it wakes a second after each turn it was told to wait for.
    await runInDurableObject(b as unknown as DurableObjectStub<GatewayRelay>, (relay) => {
      relay.clock = () => Date.now() + 1_000;
    });
    await a.ensure([0, 2]);
    // Asked at once, while the first shard's window is taken: told to wait.
    expect((await b.ensure([1, 2])).status).toBe("backoff");
    await ready(a);
    // A turn booked ahead and missed by more than the grace was booked again, further on, each time: it never came.
    await ready(b);
    const gap = (await identifiedAt(b)) - (await identifiedAt(a));
    // Discord's window, and the second's lateness at most (with a loaded machine's margin).
    expect(gap).toBeGreaterThanOrEqual(5_000);
    expect(gap).toBeLessThan(12_000);
  }, 40_000);

  it("identify a 5 s window apart when max_concurrency is 1", async () => {
    // Slots are 5.5 s apart; the first shard's connection may take a little of the margin.
    expect(await identifyGap(1)).toBeGreaterThanOrEqual(4_500);
  }, 40_000);
});
