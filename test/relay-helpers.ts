/** Test helpers for the gateway relay: a private relay per test, waiting on its state, and the emulator's view of it. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { RelayStub } from "../src/gateway/client";
import type { RelayState } from "../src/gateway/relay";
import type { GatewayRelay } from "../src/index";
import { emu, WAIT_MS } from "./helpers";

export type Relay = RelayStub & DurableObjectStub<GatewayRelay>;

export interface EmulatedSession {
  id: string;
  shard: [number, number];
  intents: number;
  seq: number;
  connected: boolean;
  acks: boolean;
  heartbeats: number;
  identifies: number;
  resumes: number;
  closes: (number | "dropped")[];
  invalid: boolean;
  /** When the emulator accepted its IDENTIFY. */
  identified_at: number;
}

/** A relay object of its own (not a production shard name), with the heartbeat jitter pinned to a full interval. */
export async function privateRelay(name = `test-${crypto.randomUUID()}`): Promise<Relay> {
  const stub = env.GATEWAY_RELAY.getByName(name) as unknown as Relay;
  await runInDurableObject(stub as unknown as DurableObjectStub<GatewayRelay>, (relay: GatewayRelay) => {
    relay.random = () => 1;
  });
  return stub;
}

/**
 * Waits until the relay's state satisfies `ok`, running its alarm whenever one is due (a reconnect is an
 * alarm at "now"); the only waiting is for the emulator's frames to arrive over the socket.
 */
export async function until(
  stub: Relay,
  ok: (s: RelayState & { connected: boolean }) => boolean,
  what = "relay state",
): Promise<RelayState & { connected: boolean }> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const s = await stub.status();
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last state ${JSON.stringify(s)}`);
    const due = await runInDurableObject(stub as unknown as DurableObjectStub<GatewayRelay>, (_r, state) => state.storage.getAlarm());
    if (due !== null && due <= Date.now()) await runDurableObjectAlarm(stub as unknown as DurableObjectStub<GatewayRelay>);
    else await new Promise((r) => setTimeout(r, 10));
  }
}

export const ready = (stub: Relay) => until(stub, (s) => s.status === "ready" && s.connected, "READY");

export async function session(id: string | null): Promise<EmulatedSession> {
  const all = await emu<{ sessions: EmulatedSession[] }>("/_emulator/gateway");
  const s = all.sessions.find((x) => x.id === id);
  if (!s) throw new Error(`the emulator has no gateway session ${id}`);
  return s;
}

export function gatewayControl(action: string, body: Record<string, unknown>) {
  return emu(`/_emulator/gateway/${action}`, { body });
}
