// Shared bench plumbing: bundling the Worker for Miniflare and the bot's bindings and Durable Objects.
import { mkdir } from "node:fs/promises";
import { build } from "esbuild";

export const OUT = "node_modules/.cache/eventbot/bench";

export async function bundle(entry, name) {
  await mkdir(OUT, { recursive: true });
  const outfile = `${OUT}/${name}.mjs`;
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

export const workerBase = { modules: true, compatibilityDate: "2026-11-01", compatibilityFlags: ["nodejs_compat"] };

/** The bot's storage and Durable Objects, as wrangler.toml declares them. */
export const botStorage = (db) => ({
  d1Databases: { DB: db },
  durableObjects: {
    EVENT_TIMER: { className: "EventTimer", useSQLite: true },
    GATEWAY_RELAY: { className: "GatewayRelay", useSQLite: true },
    RATE_GATE: { className: "RateGate", useSQLite: true },
  },
});
