// The hourly cron run to completion: the cron itself, then every guild's sync on its own timer, until the bot is quiet.

import { lastSeq, ownWorkerdCpuMs, quiet, readStats, until, workBetween } from "./measure.mjs";

/** The hourly jobs' work still pending: their fan-out rounds (which start after a delay) and each guild's run. */
export async function pendingSyncs(botUrl) {
  const res = await fetch(new URL("/__bench/pending?prefix=fanout:,tsync:,sec:,ecr:", botUrl));
  return (await res.json()).armed;
}

/** Runs `cron` ("0 * * * *" by default) and waits for its work to end; returns what it cost. */
export async function settleSync(ctx, { cron = "0 * * * *", deadlineMs = 600_000 } = {}) {
  const { emulator, botUrl } = ctx;
  const before = await readStats(botUrl);
  const seq0 = lastSeq(emulator);
  const cpu0 = ownWorkerdCpuMs();
  const started = Date.now();
  await ctx.cron(cron);
  const cronMs = Date.now() - started;
  const deadline = Date.now() + deadlineMs;
  const done = (await until(async () => (await pendingSyncs(botUrl)) === 0, deadline, 500)) && (await quiet(emulator, 3_000, deadline));
  const after = await readStats(botUrl);
  const work = workBetween(before, after, emulator, seq0, lastSeq(emulator));
  work.cpu_ms = cpu0 === null ? null : ownWorkerdCpuMs() - cpu0;
  // The quiet spell at the end is not part of the run.
  return { cron, done, cron_ms: cronMs, wall_ms: Date.now() - started - 3_000, work };
}
