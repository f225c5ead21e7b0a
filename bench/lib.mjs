// Shared bench plumbing: bundling the Worker for Miniflare and the bot's bindings and Durable Objects.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

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

export const CLK_TCK = (() => {
  try {
    return Number(execSync("getconf CLK_TCK", { encoding: "utf8" })) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, in ticks) of every workerd process, or null where /proc is missing. */
export function workerdCpuTicks() {
  if (!existsSync("/proc/self/stat")) return null;
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.includes("(workerd)")) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return ticks;
}

/** Applies every migration in order to a D1 database (the bench's equivalent of `wrangler d1 migrations apply`). */
export async function applyMigrations(db) {
  for (const file of readdirSync("migrations").sort()) {
    for (const stmt of readFileSync(`migrations/${file}`, "utf8").split(/;\s*$/m)) {
      const sql = stmt.replace(/^\s*--.*$/gm, "").trim();
      if (sql) await db.prepare(sql).run();
    }
  }
}

/**
 * The bot on local workerd (Miniflare) pointed at an in-process emulator, with every migration applied.
 * `opts.bindings` adds or overrides bindings; `opts.persist` keeps D1 and Durable Object storage (and their alarms) in a
 * directory, so `restart()` (a new workerd runtime: every Durable Object evicted, in-flight work cut) loses nothing
 * stored; `opts.port` pins the port across restarts; `opts.logs` receives the Worker's log lines; `opts.entry` bundles
 * another entry module instead of src/index.ts (bench:scale's counting wrapper around the bot); `opts.inspectorPort` opens
 * the bot's isolate to the inspector there.
 */
export async function botOnEmulator(emulator, storage, opts = {}) {
  const options = convertV4MiniflareOptions({
    port: opts.port ?? 0,
    host: "127.0.0.1",
    ...(opts.persist ? { resourcePersistencePath: opts.persist } : {}),
    // The Worker's log lines (structured), when the caller wants them instead of on stdout.
    ...(opts.logs ? { handleStructuredLogs: opts.logs } : {}),
    // A CPU profile through workerd's inspector (bench/scale/profile.mjs).
    ...(opts.inspectorPort ? { inspectorPort: opts.inspectorPort } : {}),
    workers: [
      {
        ...workerBase,
        ...(opts.inspectorPort ? { unsafeInspectorProxy: true } : {}),
        name: "bot",
        scriptPath: opts.entry ? await bundle(opts.entry, opts.entry.replace(/\W+/g, "-")) : await bundle("src/index.ts", "bot"),
        ...botStorage(storage),
        bindings: {
          DISCORD_PUBLIC_KEY: emulator.keys.publicKeyHex,
          DISCORD_APPLICATION_ID: emulator.applicationId,
          DISCORD_TOKEN: emulator.botToken,
          DISCORD_API_BASE: emulator.url,
          LOG_LEVEL: "error",
          EVENT_LEVEL: "",
          ...opts.bindings,
        },
      },
    ],
  });
  const mf = new Miniflare(options);
  await mf.ready;
  const db = await mf.getD1Database("DB");
  await applyMigrations(db);
  return { mf, db, restart: () => mf.setOptions(options) };
}
