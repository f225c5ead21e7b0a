// A CPU profile of the bot's isolate (every Durable Object and the Worker share it locally) over one part of the bench,
// through workerd's inspector: where the single thread spends the time that stalls every other object's timers.
// Enabled with SCALE_PROFILE=<inspector port>; writes the raw profile (.cpuprofile, for DevTools) and prints the
// functions with the most self time, over the whole window and inside the stalls given.
import { writeFileSync } from "node:fs";
import WebSocket from "ws";

/** The inspector port asked for with SCALE_PROFILE (undefined: no profile). */
export function profilePort() {
  const port = Number(process.env.SCALE_PROFILE);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** Starts sampling the bot's isolate; the returned function stops it and resolves with the profile. */
export async function startProfile(port, workerName = "bot", intervalUs = 500) {
  // Miniflare's inspector proxy accepts only a local Origin (Node's own WebSocket sends none).
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${workerName}`, { headers: { origin: "http://localhost" } });
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", (e) => reject(new Error(`inspector: ${e.message ?? "connection failed"}`)), { once: true });
  });
  let id = 0;
  const pending = new Map();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data));
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  // An answer that never comes must not hold the bench: the hour starts only after the profile does.
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), 30_000);
      pending.set(++id, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: intervalUs });
  // The profile starts somewhere between the request and its answer: the midpoint places samples within half a round trip.
  const asked = Date.now();
  await send("Profiler.start");
  const startedAt = Math.round((asked + Date.now()) / 2);
  return async () => {
    const { result } = await send("Profiler.stop");
    ws.close();
    return { profile: result.profile, startedAt };
  };
}

/**
 * The functions with the most self time (ms), over samples whose wall time passes `keep` (default: all); with
 * `inclusive`, time in the function or anything it called.
 */
export function selfTimes(profile, startedAt, keep = () => true, top = 25, inclusive = false) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (f) => `${f.functionName || "(anonymous)"} ${f.url.split("/").pop()}:${f.lineNumber + 1}`;
  const totals = new Map();
  // Sample times are microseconds from the profile's start (deltas); mapped onto wall time from when it started.
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const wall = startedAt + (t - profile.startTime) / 1000;
    if (!keep(wall)) continue;
    const keys = new Set();
    for (let node = profile.samples[i]; node !== undefined; node = inclusive ? parent.get(node) : undefined) {
      const f = byId.get(node)?.callFrame;
      if (f) keys.add(name(f));
    }
    for (const key of keys) totals.set(key, (totals.get(key) ?? 0) + dt);
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, ms]) => [fn, Math.round(ms)]);
}

export function saveProfile(path, profile) {
  writeFileSync(path, JSON.stringify(profile));
}
