// `npm run bench`: requests/s and latency of POST /interactions on local workerd (Miniflare), for this bot and
// for a minimal sample-app-style handler, in the same run, with real Ed25519-signed requests (autocannon).

import { mkdir } from "node:fs/promises";
import autocannon from "autocannon";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { generateSigningKeys, signedHeaders } from "../test/emulator/sign.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const OUT = "node_modules/.cache/eventbot/bench";

async function bundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser", "import"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    outfile,
    logLevel: "error",
  });
  return outfile;
}

const keys = await generateSigningKeys();
const bindings = {
  DISCORD_PUBLIC_KEY: keys.publicKeyHex,
  DISCORD_APPLICATION_ID: "1100000000000000001",
  DISCORD_TOKEN: "bench",
  DISCORD_API_BASE: "http://127.0.0.1:9",
  LOG_LEVEL: "error",
  EVENT_LEVEL: "",
};
await mkdir(OUT, { recursive: true });
const worker = { modules: true, compatibilityDate: "2026-11-01", compatibilityFlags: ["nodejs_compat"], bindings };
const ours = new Miniflare(
  convertV4MiniflareOptions({
    port: 0,
    host: "127.0.0.1",
    workers: [
      {
        ...worker,
        name: "bot",
        scriptPath: await bundle("src/index.ts", `${OUT}/bot.mjs`),
        d1Databases: { DB: "bench-db" },
        durableObjects: { EVENT_TIMER: { className: "EventTimer", useSQLite: true } },
      },
    ],
  }),
);
const minimal = new Miniflare(
  convertV4MiniflareOptions({
    port: 0,
    host: "127.0.0.1",
    workers: [{ ...worker, name: "minimal", scriptPath: await bundle("bench/minimal-worker.js", `${OUT}/minimal.mjs`) }],
  }),
);
const targets = { ours: await ours.ready, minimal: await minimal.ready };

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
