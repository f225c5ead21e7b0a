// `npm start`: runs the bot locally. With credentials in .dev.vars it talks to Discord; without, it runs fully
// offline against the emulator, with the sandbox page, a demo guild, registered commands, a cron ticker and a prompt.
// `npm start -- --json` prints the bot's replies at the prompt as raw JSON.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { credentials, sleep } from "./lib.mjs";

const PORT = Number(process.env.PORT ?? 8787);
const EMULATOR_PORT = Number(process.env.EMULATOR_PORT ?? 8790);
const ONLINE = !!credentials();
/**
 * wrangler's local state (D1, Durable Objects). Offline, the emulated guild is new on every run, so the state of an
 * earlier run (rows of its guild, its timers, the relay's gateway session) would point at a Discord that is gone:
 * offline runs start from an empty folder of their own. EVENTBOT_STATE_DIR chooses another folder.
 */
const PERSIST_TO = process.env.EVENTBOT_STATE_DIR ?? (ONLINE ? undefined : ".wrangler/offline-state");
if (!ONLINE && !process.env.EVENTBOT_STATE_DIR) rmSync(PERSIST_TO, { recursive: true, force: true });
const LOG_FILE = process.env.EVENTBOT_WRANGLER_LOG ?? ".wrangler/logs/npm-start.log";
const JSON_REPLIES = process.argv.includes("--json");
const BOT = `http://127.0.0.1:${PORT}`;
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const persist = PERSIST_TO ? ["--persist-to", PERSIST_TO] : [];
let stopAll = () => {};

function runToEnd(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...env, CI: "true" } });
    let out = "";
    const collect = (d) => {
      out += d;
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (err) => reject(new Error(`${cmd} could not start (${err.message}); run it through npm (npm start)`)));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} failed:\n${out}`))));
  });
}

function shutdown(code = 0) {
  stopAll();
  process.exit(code);
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

console.log("Applying D1 migrations to the local database…");
try {
  await runToEnd("wrangler", ["d1", "migrations", "apply", "DB", "--local", ...persist]);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}

if (ONLINE) await startOnline();
else await startOffline();

async function startOnline() {
  console.log("Credentials found: running against the real Discord.");
  // stdin ignored: wrangler's hotkeys never take the terminal; its output is shown as it comes.
  const child = spawn("wrangler", ["dev", "--port", String(PORT), "--test-scheduled", "--show-interactive-dev-session=false", ...persist], {
    stdio: ["ignore", "inherit", "inherit"],
    env,
  });
  stopAll = () => child.kill("SIGTERM");
  for (let i = 0; i < 240; i++) {
    try {
      const res = await fetch(`${BOT}/health`);
      if (res.status === 200 || res.status === 503) break;
    } catch {}
    await sleep(500);
  }
  console.log(
    `\nThe bot listens on ${BOT}/interactions. Expose it (e.g. a tunnel) and set that URL as the Interactions Endpoint URL,\nthen register commands: npm run register -- --guild <your test guild id>`,
  );
}

async function startOffline() {
  const { startOffline: start } = await import("../sandbox/offline.ts");
  const { HELP, startPrompt } = await import("../sandbox/prompt.ts");
  let say = (line) => console.log(line);
  console.log(`No credentials in .dev.vars: running offline against the Discord emulator (wrangler dev's output: ${LOG_FILE}).`);
  let off;
  try {
    off = await start({ port: PORT, emulatorPort: EMULATOR_PORT, persistTo: PERSIST_TO, logFile: LOG_FILE, say: (line) => say(line) });
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  stopAll = () => off.stop();
  const { guild } = off;
  console.log(`
Bot ${off.version} is up on ${BOT} (health: ${BOT}/health).

  Open the sandbox: ${off.pageUrl}
  (the emulated server as a Discord-like page: channels, events, DMs, a command box, fault switches, a live timeline)

Emulated guild ${guild.guild_id}: users owner=${guild.owner_id} alice (admin)=${guild.admin_id} bob (member)=${guild.member_id}.
Registered: ${off.registered.map((c) => `/${c}`).join(", ")}

At this prompt, as alice unless a line starts with a member's name:
${HELP}
e.g. /eventchannels category category:${guild.channels.category}   then   event "Raid Night" 5
Ctrl+C stops everything. From another shell:
  curl -s -X POST ${off.emulator.url}/_emulator/interactions -d '{"send":true,"kind":"command","name":"about","guild_id":"${guild.guild_id}","user_id":"${guild.member_id}"}'
`);
  if (process.stdin.isTTY || process.env.EVENTBOT_PROMPT) {
    const prompt = startPrompt({
      emulatorUrl: off.emulator.url,
      guildId: guild.guild_id,
      defaultUser: guild.admin_id,
      json: JSON_REPLIES,
      onClose: () => shutdown(0),
    });
    say = prompt.say;
  }
}
