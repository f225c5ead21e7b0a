// `npm run bench:reminders`: 10,000 subscribers on one event, the emulator enforcing Discord's 50 requests/s
// global limit. Reports the time to deliver every DM, REST calls per DM, 429s received and the delivery rate
// as a fraction of the 50/s bound. The bot runs on local workerd (Miniflare) against the in-process emulator;
// the event reaches it through the gateway relay, and the T−0 reminder fans out on the event's timer.

import { startEmulator } from "../test/emulator/server.ts";
import { botOnEmulator } from "./lib.mjs";
import { retry } from "./scale/measure.mjs";

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
const LEAD_MS = 8_000;

const emulator = await startEmulator({ quiet: true });
const { mf, db } = await botOnEmulator(emulator, "bench-reminders");

// A guild with 10,000 members subscribed to "all" at T−0, each with a DM channel opened earlier (their
// welcome DM), as after /subscribe.
const guild = emulator.world.createGuild({ name: "Bench" });
const g = emulator.world.guilds.get(guild.guild_id);
const users = [];
for (let i = 0; i < SUBSCRIBERS; i++) {
  const u = emulator.world.addUser(`member${i}`);
  g.members.set(u.id, { roles: [], joined_at: new Date().toISOString(), nick: null });
  const dm = emulator.world.addChannel({ type: 1, recipients: [u] });
  emulator.world.dmChannels.set(u.id, dm.id);
  users.push({ id: u.id, dm: dm.id });
}
// Seeded as multi-row inserts (50 rows a statement: D1 binds at most 100 values), 10 statements a batch, each batch
// again after a lost proxy connection (the inserts are idempotent): one batch of 1,000 statements broke the proxy.
const ROWS = 50;
const statements = [];
for (let i = 0; i < users.length; i += ROWS) {
  const chunk = users.slice(i, i + ROWS);
  statements.push(
    db
      .prepare(
        `INSERT OR IGNORE INTO reminder_subscriptions (guild_id, user_id, types, offsets, created_at, updated_at) VALUES ${chunk.map(() => "(?, ?, '[\"all\"]', '[0]', 0, 0)").join(", ")}`,
      )
      .bind(...chunk.flatMap((u) => [guild.guild_id, u.id])),
    db
      .prepare(`INSERT OR IGNORE INTO dm_channels (user_id, channel_id, updated_at) VALUES ${chunk.map(() => "(?, ?, 0)").join(", ")}`)
      .bind(...chunk.flatMap((u) => [u.id, u.dm])),
  );
}
for (let i = 0; i < statements.length; i += 10) await retry(() => db.batch(statements.slice(i, i + 10)));

// The relay connects (the every-minute cron), then a member schedules the event: the gateway tells the bot.
const bot = await mf.getWorker();
await bot.scheduled({ cron: "* * * * *", scheduledTime: new Date() });
for (let i = 0; i < 100 && !emulator.gateway.snapshot().sessions.some((s) => s.connected && s.identifies); i++) await new Promise((r) => setTimeout(r, 50));
const start = Date.now() + LEAD_MS;
const seqBefore = emulator.requests.at(-1)?.seq ?? 0;
const limitedBefore = emulator.requests.filter((r) => r.status === 429).length;
await fetch(`${emulator.url}/_emulator/guilds/${guild.guild_id}/scheduled-events`, {
  method: "POST",
  body: JSON.stringify({
    name: "Bench raid",
    scheduled_start_time: new Date(start).toISOString(),
    scheduled_end_time: new Date(start + 3_600_000).toISOString(),
  }),
});
console.log(`${SUBSCRIBERS} subscribers; the T−0 reminder is due in ${LEAD_MS / 1000} s; delivering …`);

const sentCount = () =>
  emulator.requests.filter((r) => r.seq > seqBefore && r.method === "POST" && r.route === "POST /channels/:id/messages" && r.status === 200).length;
const deadline = start + (SUBSCRIBERS / 50) * 1000 * 2 + 60_000;
let last = -1;
while (Date.now() < deadline) {
  const n = sentCount();
  if (n >= SUBSCRIBERS) break;
  if (Math.floor(n / 1000) !== Math.floor(last / 1000)) console.log(`  ${n} sent`);
  last = n;
  await new Promise((r) => setTimeout(r, 1000));
}

const during = emulator.requests.filter((r) => r.seq > seqBefore);
const dms = during.filter((r) => r.route === "POST /channels/:id/messages" && r.status === 200);
const first = dms[0]?.at ?? start;
const lastAt = dms.at(-1)?.at ?? Date.now();
const seconds = (lastAt - first) / 1000;
// Every REST call the bot made for the fan-out (the DMs and anything else), per DM delivered.
const restCalls = during.filter((r) => r.user_agent?.includes("DiscordBot")).length;
const limited = emulator.requests.filter((r) => r.status === 429).length - limitedBefore;
const delivered = await db.prepare("SELECT status, COUNT(*) AS n FROM reminder_deliveries GROUP BY status").all();
const rate = dms.length / Math.max(seconds, 0.001);
console.table([
  {
    subscribers: SUBSCRIBERS,
    "DMs delivered": dms.length,
    "time to deliver all (s)": seconds.toFixed(1),
    "REST calls per DM": (restCalls / Math.max(dms.length, 1)).toFixed(3),
    "429s received": limited,
    "DMs/s": rate.toFixed(1),
    "fraction of 50/s": (rate / 50).toFixed(3),
    "first DM after due (ms)": first - start,
  },
]);
console.log("delivery rows:", JSON.stringify(delivered.results));
await mf.dispose();
await emulator.close();
process.exit(dms.length === SUBSCRIBERS ? 0 : 1);
