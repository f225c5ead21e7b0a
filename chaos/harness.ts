/**
 * One chaos run: the emulator with seeded faults, the bot on local workerd, every feature's lifecycle side by side,
 * disruptions, then the faults stop, everything settles, and each feature's oracle says what a server saw.
 */
import { writeFileSync } from "node:fs";
import { importSrc } from "../scripts/lib.mjs";
import { seededRandom } from "../test/emulator/chaos.ts";
import { type Emulator, startEmulator } from "../test/emulator/server.ts";
import { Bot } from "./bot.ts";
import { disrupt } from "./disruptions.ts";
import { eventChannels } from "./features/event-channels.ts";
import { reminders } from "./features/reminders.ts";
import { tournaments } from "./features/tournaments.ts";
import { voice } from "./features/voice.ts";
import { sleep } from "./members.ts";
import { clean, type FeatureReport } from "./oracle.ts";
import type { Ctx, Feature, Size, Step } from "./scenario.ts";

export interface RunOptions {
  seed: number;
  size: Size;
  /** Share of REST requests (and webhook deliveries) that fail. */
  faultRate: number;
  /** Share of failing writes that Discord carried out before the answer was lost. */
  commitShare: number;
  /** Share of requests during which the runtime is restarted (Durable Objects evicted mid-step). */
  evictRate: number;
  /** The bot's TIMER_BACKOFF_SCALE. */
  backoffScale: number;
  /** Longest wait for everything to settle once the faults stop. */
  settleMs: number;
  gatewayEveryMs: [number, number];
  restartEveryMs: [number, number];
  log(line: string): void;
  /** Writes the emulator's request log and the bot's log lines here (`<dump>-seed<N>.json`), to diagnose findings. */
  dump?: string;
}

export interface SeedReport {
  seed: number;
  size: Size;
  duration_ms: number;
  /** From the faults' end until the oracles were satisfied (or gave up). */
  settle_ms: number;
  requests: number;
  faults: Record<string, number>;
  restarts: { at: number; reason: string }[];
  gateway: string[];
  /** The bot's error lines by event (e.g. timer.gave_up: steps it stopped retrying). */
  bot_errors: Record<string, number>;
  features: FeatureReport[];
}

export const defaults = (seed: number, size: Size, log: (l: string) => void): RunOptions => ({
  seed,
  size,
  faultRate: 0.2,
  commitShare: 0.5,
  evictRate: 0.05,
  backoffScale: 0.2,
  settleMs: size === "full" ? 120_000 : 90_000,
  gatewayEveryMs: size === "full" ? [15_000, 35_000] : [6_000, 12_000],
  restartEveryMs: size === "full" ? [40_000, 80_000] : [12_000, 20_000],
  log,
});

/** The commands the bot registers, put in the emulator so interactions carry typed options and `resolved` data. */
let commandModule: Promise<{
  createDiscord(env: { DISCORD_API_BASE: string; DISCORD_TOKEN: string }): unknown;
  registry: { commands: Map<string, unknown> };
  registerCommands(discord: unknown, appId: string, commands: Iterable<unknown>, guildId?: string): Promise<unknown>;
}> | null = null;

async function registerCommands(e: Emulator): Promise<void> {
  commandModule ??= importSrc("scripts/register-entry.ts");
  const m = await commandModule;
  await m.registerCommands(m.createDiscord({ DISCORD_API_BASE: e.url, DISCORD_TOKEN: e.botToken }), e.applicationId, m.registry.commands.values());
}

async function untilConnected(e: Emulator, bot: Bot, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (e.gateway.snapshot().sessions.some((s) => s.connected && !s.invalid)) return;
    await bot.cron("* * * * *");
    await sleep(500);
  }
  throw new Error("the bot's gateway relay never connected");
}

function features(ctx: Ctx): Feature[] {
  return [eventChannels(ctx), reminders(ctx), ...tournaments(ctx), ...(ctx.size === "full" ? [voice(ctx)] : [])];
}

/** A feature's steps at their times: each actor's one after another (a late step runs once the one before is done). */
async function runSteps(ctx: Ctx, f: Feature): Promise<void> {
  const lanes = new Map<string, Step[]>();
  for (const step of f.steps()) lanes.set(step.actor ?? "admin", [...(lanes.get(step.actor ?? "admin") ?? []), step]);
  await Promise.all([...lanes.values()].map((steps) => runLane(ctx, f, steps)));
}

async function runLane(ctx: Ctx, f: Feature, steps: Step[]): Promise<void> {
  for (const step of steps) {
    const wait = ctx.start + step.at - Date.now();
    if (wait > 0) await sleep(wait);
    ctx.log(`${f.name}: ${step.what}`);
    try {
      await step.run();
    } catch (error) {
      ctx.log(`${f.name}: ${step.what} failed in the runner: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Polls the oracles until all are clean and stay clean for a quiet spell, or the settle time is up. */
async function settle(list: Feature[], settleMs: number): Promise<FeatureReport[]> {
  const deadline = Date.now() + settleMs;
  let reports = list.map((f) => f.check());
  while (Date.now() < deadline) {
    if (reports.every(clean)) {
      // Clean now; a late retry could still make a second of something, so look again after a quiet spell.
      await sleep(Math.min(settleMs / 4, 15_000, Math.max(0, deadline - Date.now())));
      return list.map((f) => f.check());
    }
    await sleep(3000);
    reports = list.map((f) => f.check());
  }
  return reports;
}

function countErrors(bot: Bot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of bot.logs) if (l.level === "error") out[l.event] = (out[l.event] ?? 0) + 1;
  return out;
}

/** Faults on, every feature's lifecycle side by side, faults off: what was injected and what the gateway went through. */
async function faultPhase(o: RunOptions, ctx: Ctx, list: Feature[]): Promise<{ faults: Record<string, number>; gateway: string[] }> {
  const { emulator } = ctx;
  ctx.start = Date.now();
  emulator.setChaos({ seed: o.seed, rate: o.faultRate, commitShare: o.commitShare, evictRate: o.evictRate });
  const disruptions = disrupt(ctx, seededRandom(o.seed * 104_729 + 3), { gatewayEveryMs: o.gatewayEveryMs, restartEveryMs: o.restartEveryMs });
  ctx.log(`faults on: ${Math.round(o.faultRate * 100)} % of requests, seed ${o.seed}`);
  let faults: Record<string, number> = {};
  try {
    await Promise.all(list.map((f) => runSteps(ctx, f)));
    const end = ctx.start + Math.max(...list.map((f) => f.endsAt()));
    if (end > Date.now()) await sleep(end - Date.now());
  } finally {
    faults = { ...(emulator.chaos()?.counts ?? {}) };
    emulator.setChaos(null);
    await disruptions.stop();
    ctx.log("faults off; settling");
  }
  return { faults, gateway: disruptions.log };
}

export async function runSeed(o: RunOptions): Promise<SeedReport> {
  const t0 = Date.now();
  const log = (line: string) => o.log(`[seed ${o.seed} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  let bot: Bot | null = null;
  const emulator = await startEmulator({
    quiet: true,
    maxLog: 1_000_000,
    onEvict: (r) => {
      const taken = bot?.tryEvict(`evicted during ${r.method} ${r.route}`) ?? false;
      if (taken) log(`runtime restart during ${r.method} ${r.route} (Durable Objects evicted mid-step)`);
      return taken;
    },
  });
  try {
    await registerCommands(emulator);
    const b = await Bot.start(emulator, { backoffScale: o.backoffScale });
    bot = b;
    await untilConnected(emulator, b);
    const ctx: Ctx = { emulator, bot: b, log, start: 0, size: o.size, random: seededRandom(o.seed * 7919 + 17), botId: emulator.applicationId };
    const list = features(ctx);
    for (const f of list) await f.setup();
    // The every-minute cron keeps the gateway relay up, as on Cloudflare.
    const ticker = setInterval(() => void b.cron("* * * * *"), 60_000);
    try {
      const injected = await faultPhase(o, ctx, list);
      const faultsEnd = Date.now();
      await untilConnected(emulator, b);
      const reports = await settle(list, o.settleMs);
      if (o.dump)
        writeFileSync(
          `${o.dump}-seed${o.seed}.json`,
          JSON.stringify({ start: ctx.start, requests: emulator.requests, gateway: emulator.gateway.history, bot: b.logs }, null, 1),
        );
      const timing = { duration_ms: Date.now() - t0, settle_ms: Date.now() - faultsEnd };
      return {
        seed: o.seed,
        size: o.size,
        ...timing,
        requests: emulator.requests.length,
        ...injected,
        restarts: b.restarts,
        bot_errors: countErrors(b),
        features: reports,
      };
    } finally {
      clearInterval(ticker);
    }
  } finally {
    await bot?.dispose().catch(() => undefined);
    await emulator.close();
  }
}
