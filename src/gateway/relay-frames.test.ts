import { GatewayOpcodes } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { controlFrame, planDispatch } from "./relay-frames";
import { initialState } from "./relay-state";

const ctx = { now: 10_000, random: () => 0.5, token: "Bot t" };
/** A dispatch frame with only the fields the relay reads (the rest of, say, READY's object is not looked at). */
const frame = (t: string, s: number, d: unknown) => ({ op: GatewayOpcodes.Dispatch, s, t, d }) as unknown as Parameters<typeof planDispatch>[1];

describe("relay frames", () => {
  it("answers HELLO with IDENTIFY for a new session and RESUME for a stored one, the first heartbeat jittered", () => {
    const fresh = initialState([1, 4]);
    const step = controlFrame(fresh, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: 40_000 }, t: null, s: null }, ctx);
    expect(step?.send).toMatchObject({ op: GatewayOpcodes.Identify, d: { token: "Bot t", shard: [1, 4] } });
    expect(step?.alarmAt).toBe(30_000);
    expect(fresh).toMatchObject({ status: "identifying", identifies: 1, heartbeat_interval: 40_000, awaiting_ack: false });

    const stored = { ...initialState([0, 1]), session_id: "s", resume_gateway_url: "wss://r", seq: 41 };
    expect(controlFrame(stored, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: 40_000 }, t: null, s: null }, ctx)?.send).toEqual({
      op: GatewayOpcodes.Resume,
      d: { token: "Bot t", session_id: "s", seq: 41 },
    });
    expect(stored.status).toBe("resuming");
  });

  it("forgets the session on a non-resumable Invalid Session and waits 1–5 s; keeps it on a resumable one", () => {
    const st = { ...initialState([0, 1]), session_id: "s", resume_gateway_url: "wss://r", seq: 41 };
    const kept = controlFrame(st, { op: GatewayOpcodes.InvalidSession, d: true, t: null, s: null }, ctx);
    expect(kept).toEqual({ close: "invalid session", alarmAt: 10_000 });
    expect(st.session_id).toBe("s");
    const lost = controlFrame(st, { op: GatewayOpcodes.InvalidSession, d: false, t: null, s: null }, ctx);
    expect(lost?.alarmAt).toBe(10_000 + 3_000);
    expect(st).toMatchObject({ session_id: null, resume_gateway_url: null, seq: null, status: "backoff" });
  });

  it("records a heartbeat's ACK", () => {
    const st = { ...initialState([0, 1]), awaiting_ack: true };
    expect(controlFrame(st, { op: GatewayOpcodes.HeartbeatAck, d: undefined, t: null, s: null }, ctx)).toEqual({});
    expect(st).toMatchObject({ awaiting_ack: false, last_ack_at: 10_000 });
  });

  it("heartbeats with the last seq when asked, and reconnects at once on op 7", () => {
    const st = { ...initialState([0, 1]), seq: 7 };
    expect(controlFrame(st, { op: GatewayOpcodes.Heartbeat, d: undefined, t: null, s: null }, ctx)?.send).toEqual({ op: GatewayOpcodes.Heartbeat, d: 7 });
    expect(st.awaiting_ack).toBe(true);
    expect(controlFrame(st, { op: GatewayOpcodes.Reconnect, d: undefined, t: null, s: null }, ctx)).toEqual({ close: "reconnect requested", reopen: true });
  });

  it("queues READY as a new session, a GUILD_CREATE as a snapshot, and drops a forwarded dispatch without its object", () => {
    const st = initialState([0, 1]);
    const r = planDispatch(st, frame("READY", 1, { session_id: "s", resume_gateway_url: "wss://r" }), "{}", 5);
    expect(r.marker).toMatchObject({ change: "connected", fresh: true });
    expect(r.entry).toBeNull();
    expect(st).toMatchObject({ session_id: "s", seq: 1, status: "ready" });

    expect(planDispatch(st, frame("GUILD_CREATE", 2, { id: "g1" }), "raw", 6)).toMatchObject({
      snapshot: true,
      entry: { guild_id: "g1", payload: "raw", s: 2 },
    });

    // A GUILD_CREATE without its id is queued like any dispatch (there is no guild to set it aside for).
    expect(planDispatch(st, frame("GUILD_CREATE", 3, {}), "raw", 7)).toMatchObject({ snapshot: false, entry: { guild_id: null } });

    expect(planDispatch(st, frame("VOICE_STATE_UPDATE", 4, null), "raw", 8)).toMatchObject({ malformed: true, entry: null });
    // Its seq still counts: a RESUME must not replay it.
    expect(st.seq).toBe(4);

    const resumed = planDispatch(st, frame("RESUMED", 5, {}), "{}", 9);
    expect(resumed.marker).toMatchObject({ change: "connected", fresh: false });
    expect(st).toMatchObject({ resumes: 1, status: "ready", seq: 5 });
  });
});
