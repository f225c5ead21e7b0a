// `npm run import:red -- settings.json --guild ID [--remote]`: moves the EventChannels cog's Red Config
// (settings, and the event → text/voice/role records) into D1, local by default.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { importSrc } from "./lib.mjs";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--") && args[args.indexOf(a) - 1] !== "--guild");
const guildId = args[args.indexOf("--guild") + 1];
const remote = args.includes("--remote");
if (!file || args.indexOf("--guild") < 0 || !/^\d{15,25}$/.test(guildId ?? "")) {
  console.error("usage: npm run import:red -- settings.json --guild GUILD_ID [--remote]");
  process.exit(2);
}
const { importRedConfig } = await importSrc("src/features/event-channels/import-red.ts");
let result;
try {
  result = importRedConfig(readFileSync(file, "utf8"), guildId);
} catch (err) {
  console.error(`Could not read ${file}: ${err.message}`);
  process.exit(1);
}
const q = (v) => (v === null || v === undefined ? "NULL" : `'${String(v).replaceAll("'", "''")}'`);
const now = Date.now();
const sql = [
  `INSERT INTO event_channel_settings (guild_id, settings, configured_by, updated_at) VALUES (${q(guildId)}, ${q(JSON.stringify(result.settings))}, NULL, ${now})
   ON CONFLICT (guild_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at;`,
  // Imported records are live with an unknown start: the next gateway update or hourly reconciliation fills in
  // the event's times and plans the deletion.
  ...result.events.map(
    (e) => `INSERT INTO event_channel_events (guild_id, event_id, name, start_at, state, text_id, voice_ids, role_id, role_created, updated_at)
   VALUES (${q(guildId)}, ${q(e.event_id)}, 'imported event', 0, 'live', ${q(e.text_id)}, ${q(JSON.stringify(e.voice_ids))}, ${q(e.role_id)}, ${e.role_id ? 1 : 0}, ${now})
   ON CONFLICT (guild_id, event_id) DO NOTHING;`,
  ),
].join("\n");
mkdirSync("node_modules/.cache/eventbot", { recursive: true });
const out = "node_modules/.cache/eventbot/import-red.sql";
writeFileSync(out, sql);
execFileSync("npx", ["wrangler", "d1", "execute", "DB", remote ? "--remote" : "--local", "--file", out], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
console.log(`Imported settings and ${result.events.length} event record(s) for guild ${guildId} (${remote ? "remote" : "local"} D1).`);
if (result.skipped.length) console.log(`Not carried over: ${result.skipped.join("; ")}`);
