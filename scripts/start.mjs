// `npm start`: runs the bot locally. With credentials in .dev.vars it talks to Discord; without, it runs
// fully offline against the emulator, with a demo guild, registered commands, a cron ticker and a prompt.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { cronMatches, cronsFromToml } from "./cron.mjs";
import { credentials, importSrc, sleep } from "./lib.mjs";

const PORT = Number(process.env.PORT ?? 8787);
const EMULATOR_PORT = Number(process.env.EMULATOR_PORT ?? 8790);
const BOT = `http://127.0.0.1:${PORT}`;
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const children = [];

function run(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: opts.quiet ? ["ignore", "pipe", "pipe"] : "inherit", env });
  children.push(child);
  return child;
}

function runToEnd(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...env, CI: "true" } });
    let out = "";
    const collect = (d) => {
      out += d;
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} failed:\n${out}`))));
  });
}

async function waitForBot() {
  for (let i = 0; i < 120; i++) {
    try {
      const res = await fetch(`${BOT}/health`);
      if (res.status === 200 || res.status === 503) return res.json();
    } catch {}
    await sleep(500);
  }
  throw new Error(`the Worker did not answer on ${BOT} within 60 s`);
}

function shutdown(code = 0) {
  for (const c of children) c.kill("SIGTERM");
  process.exit(code);
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));

console.log("Applying D1 migrations to the local database…");
await runToEnd("wrangler", ["d1", "migrations", "apply", "DB", "--local"]);

const creds = credentials();
if (creds) {
  console.log("Credentials found: running against the real Discord.");
  run("wrangler", ["dev", "--port", String(PORT), "--test-scheduled"]);
  await waitForBot();
  console.log(
    `\nThe bot listens on ${BOT}/interactions. Expose it (e.g. a tunnel) and set that URL as the Interactions Endpoint URL,\nthen register commands: npm run register -- --guild <your test guild id>`,
  );
} else {
  const { startEmulator } = await import("../test/emulator/server.ts");
  const emulator = await startEmulator({ port: EMULATOR_PORT, botUrl: `${BOT}/interactions` });
  const vars = {
    DISCORD_API_BASE: emulator.url,
    DISCORD_PUBLIC_KEY: emulator.keys.publicKeyHex,
    DISCORD_APPLICATION_ID: emulator.applicationId,
    DISCORD_TOKEN: emulator.botToken,
  };
  console.log(`No credentials in .dev.vars: running offline against the Discord emulator on ${emulator.url}`);
  run("wrangler", [
    "dev",
    "--port",
    String(PORT),
    "--ip",
    "127.0.0.1",
    "--test-scheduled",
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ]);
  const health = await waitForBot();
  const guild = emulator.world.createGuild({ name: "Offline Guild" });
  const { createDiscord, registry, registerCommands } = await importSrc("scripts/register-entry.ts");
  const registered = await registerCommands(createDiscord(vars), emulator.applicationId, registry.commands.values(), guild.guild_id);
  startCronTicker();
  console.log(`
Bot ${health.version} is up on ${BOT} (health: ${BOT}/health).
Emulated guild ${guild.guild_id}: users owner=${guild.owner_id} admin(alice)=${guild.admin_id} member(bob)=${guild.member_id}.
Registered: ${registered.map((c) => `/${c.name}`).join(", ")}

Type a slash command as alice (admin), e.g.
  /about
  /bot-config view
  /bot-config timezone zone:Europe/Berlin
  /bot-config check
  /eventchannels category category:${guild.channels.category}
  event "Raid Night" 16          # bob schedules an event starting in 16 minutes and marks Interested
Prefix with "bob " to act as the plain member. "state" prints the emulated guild. Ctrl+C stops everything.
Or from another shell:
  curl -s -X POST ${emulator.url}/_emulator/interactions -d '{"send":true,"kind":"command","name":"about","guild_id":"${guild.guild_id}","user_id":"${guild.member_id}"}'
`);
  if (process.stdin.isTTY || process.env.EVENTBOT_PROMPT) prompt(emulator, guild);
}

function startCronTicker() {
  const crons = cronsFromToml(readFileSync("wrangler.toml", "utf8"));
  let last = -1;
  setInterval(async () => {
    const now = new Date();
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute === last) return;
    last = minute;
    for (const cron of crons.filter((c) => cronMatches(c, now))) {
      try {
        const res = await fetch(`${BOT}/__scheduled?cron=${encodeURIComponent(cron)}`);
        if (!res.ok) console.error(`[cron] ${cron}: ${res.status}`);
      } catch (err) {
        console.error(`[cron] ${cron}: ${err.message}`);
      }
    }
  }, 5_000);
}

/** Parses `/name [sub [group]] key:value …` into an emulator interaction request. */
function parseCommand(line) {
  const words =
    line
      .trim()
      .slice(1)
      .match(/(?:[^\s"]+|"[^"]*")+/g) ?? [];
  const [name, ...rest] = words;
  const sub = [];
  const options = {};
  for (const w of rest) {
    const i = w.indexOf(":");
    if (i > 0) {
      const raw = w.slice(i + 1).replace(/^"|"$/g, "");
      options[w.slice(0, i)] = /^-?\d+(\.\d+)?$/.test(raw) && raw.length < 15 ? Number(raw) : raw === "true" ? true : raw === "false" ? false : raw;
    } else sub.push(w);
  }
  return { name, subcommand: sub.join(" ") || undefined, options };
}

/** `event "Name" MINUTES`: a member schedules an event (the gateway tells the bot) and marks Interested. */
async function scheduleEvent(emulator, guild, args) {
  const m = args.match(/^"([^"]+)"\s+(\d+)$/) ?? args.match(/^(\S+)\s+(\d+)$/);
  if (!m) return console.error('usage: event "Name" MINUTES_FROM_NOW');
  const start = Date.now() + Number(m[2]) * 60_000;
  const post = (path, body) => fetch(`${emulator.url}${path}`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json());
  const ev = await post(`/_emulator/guilds/${guild.guild_id}/scheduled-events`, {
    name: m[1],
    scheduled_start_time: new Date(start).toISOString(),
    scheduled_end_time: new Date(start + 3_600_000).toISOString(),
    creator_id: guild.member_id,
  });
  await post(`/_emulator/guilds/${guild.guild_id}/scheduled-events/${ev.id}/users`, { user_ids: [guild.member_id] });
  console.log(`Scheduled event ${ev.id} "${ev.name}" at ${ev.scheduled_start_time}; "state" shows the channels once they exist.`);
}

function prompt(emulator, guild) {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "> " });
  rl.prompt();
  rl.on("line", async (line) => {
    const text = line.trim();
    try {
      if (text === "state") console.dir(emulator.world.snapshot(guild.guild_id), { depth: 6 });
      else if (text.startsWith("event ")) await scheduleEvent(emulator, guild, text.slice(6));
      else if (text) {
        const asBob = text.startsWith("bob ");
        const cmd = parseCommand(asBob ? text.slice(4) : text);
        const res = await fetch(`${emulator.url}/_emulator/interactions`, {
          method: "POST",
          body: JSON.stringify({ send: true, kind: "command", guild_id: guild.guild_id, user_id: asBob ? guild.member_id : guild.admin_id, ...cmd }),
        });
        const out = await res.json();
        console.log(JSON.stringify(out.response, null, 2));
        if (out.response?.type === 5) {
          await sleep(1500);
          const rec = await (await fetch(`${emulator.url}/_emulator/interactions/${out.id}`)).json();
          console.log("followup:", JSON.stringify(rec.original ?? "(none yet)", null, 2));
        }
      }
    } catch (err) {
      console.error(err.message);
    }
    rl.prompt();
  });
  rl.on("close", () => shutdown(0));
}
