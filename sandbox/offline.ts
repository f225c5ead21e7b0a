/**
 * `npm start` without credentials: the emulator with the sandbox page, `wrangler dev` pointed at it (never reading the
 * terminal; its output goes to a log file and its structured logs to the page's timeline), a demo guild with the
 * commands registered, and the cron ticker that wrangler dev lacks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { cronMatches, cronsFromToml } from "../scripts/cron.mjs";
import { importSrc, sleep } from "../scripts/lib.mjs";
import { type Emulator, startEmulator } from "../test/emulator/server.ts";
import { createSandbox, type Sandbox } from "./server.ts";
import { fromWorkerLog } from "./timeline.ts";

export interface OfflineOptions {
  port: number;
  emulatorPort: number;
  /** wrangler's local state directory (D1, Durable Objects); wrangler's default when unset. */
  persistTo?: string;
  logFile: string;
  /** Prints a line for the person at the terminal (the prompt redraws itself around it). */
  say: (line: string) => void;
}

export interface Offline {
  emulator: Emulator;
  sandbox: Sandbox;
  guild: ReturnType<Emulator["world"]["createGuild"]>;
  botUrl: string;
  pageUrl: string;
  version: string;
  registered: string[];
  stop(): void;
}

/** ANSI colour codes, which wrangler prints even into a pipe. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function startWrangler(opts: OfflineOptions, vars: Record<string, string>, onLine: (line: string) => void): ChildProcess {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: "w" });
  const args = ["dev", "--port", String(opts.port), "--ip", "127.0.0.1", "--test-scheduled", "--show-interactive-dev-session=false"];
  if (opts.persistTo) args.push("--persist-to", opts.persistTo);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  // stdin ignored: wrangler's hotkeys (b, c, d, l, x) must never take what a person types at the prompt.
  const child = spawn("wrangler", args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" },
  });
  child.on("error", (err) => onLine(`{"level":"error","event":"wrangler.spawn_failed","error":${JSON.stringify(err.message)}}`));
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    stream.pipe(log, { end: false });
    createInterface({ input: stream }).on("line", (line) => onLine(line.replace(ANSI, "")));
  }
  return child;
}

async function waitForBot(url: string, child: ChildProcess, logFile: string): Promise<{ version: string }> {
  for (let i = 0; i < 240; i++) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}; see ${logFile}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200 || res.status === 503) return (await res.json()) as { version: string };
    } catch {}
    await sleep(500);
  }
  throw new Error(`the Worker did not answer on ${url} within 2 minutes; see ${logFile}`);
}

function startCronTicker(botUrl: string, sandbox: Sandbox): ReturnType<typeof setInterval> {
  const crons = cronsFromToml(readFileSync("wrangler.toml", "utf8"));
  let last = -1;
  return setInterval(async () => {
    const now = new Date();
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute === last) return;
    last = minute;
    for (const cron of crons.filter((c: string) => cronMatches(c, now))) {
      try {
        const res = await fetch(`${botUrl}/__scheduled?cron=${encodeURIComponent(cron)}`);
        sandbox.timeline.add({ kind: "cron", title: `cron "${cron}" triggered`, detail: String(res.status), level: res.ok ? "ok" : "error" });
      } catch (err) {
        sandbox.timeline.add({ kind: "cron", title: `cron "${cron}" failed`, detail: err instanceof Error ? err.message : String(err), level: "error" });
      }
    }
  }, 5_000);
}

export async function startOffline(opts: OfflineOptions): Promise<Offline> {
  const botUrl = `http://127.0.0.1:${opts.port}`;
  const sandbox = createSandbox();
  const emulator = await startEmulator({ port: opts.emulatorPort, botUrl: `${botUrl}/interactions`, page: sandbox.page, quiet: true });
  const vars = {
    DISCORD_API_BASE: emulator.url,
    DISCORD_PUBLIC_KEY: emulator.keys.publicKeyHex,
    DISCORD_APPLICATION_ID: emulator.applicationId,
    DISCORD_TOKEN: emulator.botToken,
    // timer.ran is logged at debug: the timeline shows timer firings from it.
    LOG_LEVEL: "debug",
  };
  const child = startWrangler(opts, vars, (line) => {
    const entry = fromWorkerLog(line);
    if (entry) sandbox.timeline.add(entry);
    if (entry?.level === "error") opts.say(`[bot error] ${entry.title}${entry.detail ? ` ${entry.detail}` : ""}`);
  });
  let stopping = false;
  child.on("exit", (code) => {
    if (!stopping) opts.say(`wrangler dev exited (code ${code}); its log: ${opts.logFile}`);
  });
  let health: { version: string };
  try {
    health = await waitForBot(botUrl, child, opts.logFile);
  } catch (err) {
    child.kill("SIGTERM");
    await emulator.close();
    throw err;
  }
  const guild = emulator.world.createGuild({ name: "Offline Guild" });
  sandbox.attach(emulator, guild.guild_id);
  const { createDiscord, registry, registerCommands } = await importSrc("scripts/register-entry.ts");
  const registered = await registerCommands(createDiscord(vars), emulator.applicationId, registry.commands.values(), guild.guild_id);
  const ticker = startCronTicker(botUrl, sandbox);
  return {
    emulator,
    sandbox,
    guild,
    botUrl,
    pageUrl: `${emulator.url}/`,
    version: health.version,
    registered: (registered as { name: string }[]).map((c) => c.name),
    stop() {
      stopping = true;
      clearInterval(ticker);
      sandbox.close();
      child.kill("SIGTERM");
      void emulator.close();
    },
  };
}
