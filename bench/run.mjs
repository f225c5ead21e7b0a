// `npm run bench`: POST /interactions on local workerd (Miniflare) for this bot and for a minimal
// sample-app-style handler, in the same run, with real Ed25519-signed requests. Two measurements:
// server time per request inside one isolate (the ratio that decides the target; no load generator
// competing for the CPU) and HTTP requests/s + latency percentiles under autocannon.

import autocannon from "autocannon";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { generateSigningKeys, signedHeaders } from "../test/emulator/sign.ts";
import { botStorage, bundle, CLK_TCK, workerBase, workerdCpuTicks } from "./lib.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const LOOP_N = Number(process.env.BENCH_LOOP_N ?? 3000);
const LOOP_ROUNDS = Number(process.env.BENCH_LOOP_ROUNDS ?? 15);

const keys = await generateSigningKeys();
const bindings = {
  DISCORD_PUBLIC_KEY: keys.publicKeyHex,
  DISCORD_APPLICATION_ID: "1100000000000000001",
  DISCORD_TOKEN: "bench",
  DISCORD_API_BASE: "http://127.0.0.1:9",
  LOG_LEVEL: "error",
  EVENT_LEVEL: "",
};
const worker = { ...workerBase, bindings };
const ours = new Miniflare(
  convertV4MiniflareOptions({
    port: 0,
    host: "127.0.0.1",
    workers: [
      {
        ...worker,
        name: "bot",
        scriptPath: await bundle("src/index.ts", "bot"),
        ...botStorage("bench-db"),
      },
    ],
  }),
);
const minimal = new Miniflare(
  convertV4MiniflareOptions({
    port: 0,
    host: "127.0.0.1",
    workers: [{ ...worker, name: "minimal", scriptPath: await bundle("bench/minimal-worker.js", "minimal") }],
  }),
);
const loop = new Miniflare(
  convertV4MiniflareOptions({
    port: 0,
    host: "127.0.0.1",
    workers: [
      {
        ...worker,
        name: "loop",
        scriptPath: await bundle("bench/loop-worker.js", "loop"),
        ...botStorage("bench-loop-db"),
      },
    ],
  }),
);
const targets = { ours: await ours.ready, minimal: await minimal.ready };
const loopUrl = await loop.ready;

const user = { id: "1574305666414280708", username: "bob", global_name: null };
const base = { application_id: "1100000000000000001", token: "bench-token", version: 1 };
const bodies = {
  ping: JSON.stringify({ ...base, id: "1574305666414280801", type: 1 }),
  command: JSON.stringify({
    ...base,
    id: "1574305666414280802",
    type: 2,
    guild_id: "1574305666414280705",
    channel_id: "1574305666414280710",
    member: { user, roles: [], permissions: "3165184", joined_at: "2026-01-01T00:00:00Z", deaf: false, mute: false, flags: 0 },
    data: { id: "1", name: "about", type: 1 },
    locale: "en-US",
    entitlements: [],
  }),
};

async function load(url, body, connections) {
  const headers = await signedHeaders(keys.privateKeyPkcs8Hex, body);
  // Sanity check: the request must be accepted, or we would be measuring 401s.
  const check = await fetch(new URL("/interactions", url), { method: "POST", headers, body });
  if (check.status !== 200) throw new Error(`${url} answered ${check.status}: ${await check.text()}`);
  const result = await autocannon({ url: new URL("/interactions", url).href, method: "POST", headers, body, connections, duration: SECONDS });
  if (result.non2xx || result.errors) throw new Error(`non-2xx=${result.non2xx} errors=${result.errors}`);
  return { rps: result.requests.average, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99 };
}

/**
 * Server time per request (µs): one HTTP request runs `n` interactions through the target inside workerd.
 * Wall time includes whatever else the shared 2-core machine does; workerd's CPU time does not, so the
 * ratio uses CPU time where /proc provides it.
 */
async function serverTime(target, body, n) {
  // Discord always sends Content-Length; without it the body-size check would have to stream the body.
  const headers = { ...(await signedHeaders(keys.privateKeyPkcs8Hex, body)), "content-length": String(Buffer.byteLength(body)) };
  const cpuBefore = workerdCpuTicks();
  const started = performance.now();
  const res = await fetch(loopUrl, { method: "POST", body: JSON.stringify({ target, n, headers, body }) });
  const elapsed = performance.now() - started;
  const out = await res.json();
  if (res.status !== 200 || out.failures) throw new Error(`loop ${target}: ${res.status} ${JSON.stringify(out)}`);
  const cpuAfter = workerdCpuTicks();
  const wall = (elapsed * 1000) / n;
  const cpu = cpuBefore === null ? wall : ((cpuAfter - cpuBefore) * 1e6) / CLK_TCK / n;
  return { wall, cpu };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loopRows = [];
for (const scenario of ["ping", "command"]) {
  const times = { ours: [], minimal: [] };
  const walls = { ours: [], minimal: [] };
  // Warm both isolates (JIT, key import) before timing.
  for (const target of Object.keys(times)) await serverTime(target, bodies[scenario], 500);
  for (let round = 0; round < LOOP_ROUNDS; round++) {
    // Alternate the order so neither target always runs on a warmer or cooler machine.
    const order = round % 2 ? ["minimal", "ours"] : ["ours", "minimal"];
    for (const target of order) {
      const { wall, cpu } = await serverTime(target, bodies[scenario], LOOP_N);
      times[target].push(cpu);
      walls[target].push(wall);
    }
  }
  const o = median(times.ours);
  const m = median(times.minimal);
  // Each round's pair ran back to back, so its ratio cancels the machine's drift between rounds.
  const ratios = times.ours.map((t, i) => times.minimal[i] / t).sort((a, b) => a - b);
  const q = (p) => ratios[Math.floor((ratios.length - 1) * p)];
  loopRows.push({
    scenario,
    "ours CPU µs/req": o.toFixed(1),
    "minimal CPU µs/req": m.toFixed(1),
    "wall µs/req ours/minimal": `${median(walls.ours).toFixed(1)}/${median(walls.minimal).toFixed(1)}`,
    "ours req/s/core": Math.round(1e6 / o),
    "minimal req/s/core": Math.round(1e6 / m),
    "ratio ours/minimal (median of pairs)": q(0.5).toFixed(2),
    "ratio IQR": `${q(0.25).toFixed(2)}–${q(0.75).toFixed(2)}`,
  });
}
console.log(
  `\nServer time inside one workerd isolate: ${LOOP_N} signed interactions per run, ${LOOP_ROUNDS} paired runs, order alternating; ` +
    `CPU = workerd's user+system time from /proc; ratio > 1 means ours is faster`,
);
console.table(loopRows);

const results = {};
for (const scenario of ["ping", "command"]) {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of Object.entries(targets)) {
      const throughput = await load(url, bodies[scenario], CONNECTIONS);
      // One connection: no queueing, so latency is the server's time plus a loopback round trip.
      const latency = await load(url, bodies[scenario], 1);
      const key = `${scenario}/${name}`;
      results[key] ??= [];
      results[key].push({ rps: throughput.rps, p50: latency.p50, p90: latency.p90, p99: latency.p99 });
    }
  }
}

const mean = (list, f) => list.reduce((a, r) => a + r[f], 0) / list.length;
const rows = [];
for (const scenario of ["ping", "command"]) {
  const o = results[`${scenario}/ours`];
  const m = results[`${scenario}/minimal`];
  rows.push({
    scenario,
    "ours req/s": Math.round(mean(o, "rps")),
    "minimal req/s": Math.round(mean(m, "rps")),
    ratio: (mean(o, "rps") / mean(m, "rps")).toFixed(2),
    "ours p50/p90/p99 ms": `${mean(o, "p50").toFixed(1)}/${mean(o, "p90").toFixed(1)}/${mean(o, "p99").toFixed(1)}`,
    "minimal p50/p90/p99 ms": `${mean(m, "p50").toFixed(1)}/${mean(m, "p90").toFixed(1)}/${mean(m, "p99").toFixed(1)}`,
  });
}
console.log(
  `\nPOST /interactions on local workerd: req/s with ${CONNECTIONS} connections; latency with 1 connection (client-observed over loopback, an upper bound of server time); ${SECONDS}s per run, ${ROUNDS} rounds, targets alternating`,
);
console.table(rows);
await ours.dispose();
await minimal.dispose();
await loop.dispose();
