/** The bot under chaos: local workerd (Miniflare) against the emulator, restartable mid-step, with the runner's crons. */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { botOnEmulator } from "../bench/lib.mjs";
import type { Emulator } from "../test/emulator/server.ts";

export interface BotOptions {
  /** Multiplies the EventTimer's retry backoff (the bot's TIMER_BACKOFF_SCALE). */
  backoffScale: number;
  logLevel?: string;
  /** A restart is never started sooner than this after the last one. */
  minRestartGapMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

type Miniflare = Awaited<ReturnType<typeof botOnEmulator>>["mf"];

/** One line the bot logged (src/log.ts writes one JSON object per line). */
export interface BotLogLine {
  at: number;
  level: string;
  event: string;
  line: Record<string, unknown>;
}

export class Bot {
  readonly url: string;
  /** What the bot logged at warn and above, oldest first (for the dump and the report's summary). */
  readonly logs: BotLogLine[];
  /** Restarts done, and why. */
  readonly restarts: { at: number; reason: string }[] = [];
  private restarting: Promise<void> | null = null;
  private inFlight = 0;
  private lastRestartAt = 0;
  private disposed = false;

  private readonly mf: Miniflare;
  private readonly doRestart: () => Promise<void>;
  private readonly dir: string;
  private readonly minGapMs: number;

  private constructor(mf: Miniflare, doRestart: () => Promise<void>, dir: string, port: number, minGapMs: number, logs: BotLogLine[]) {
    this.logs = logs;
    this.mf = mf;
    this.doRestart = doRestart;
    this.dir = dir;
    this.minGapMs = minGapMs;
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(emulator: Emulator, opts: BotOptions): Promise<Bot> {
    const dir = mkdtempSync(join(tmpdir(), "eventbot-chaos-"));
    const port = await freePort();
    const logs: BotLogLine[] = [];
    const { mf, restart } = await botOnEmulator(emulator, "chaos", {
      port,
      persist: dir,
      logs: (log: { timestamp: number; level: string; message: string }) => {
        try {
          const line = JSON.parse(log.message) as Record<string, unknown>;
          logs.push({ at: log.timestamp, level: String(line.level ?? log.level), event: String(line.event ?? ""), line });
          if (logs.length > 50_000) logs.splice(0, logs.length - 50_000);
        } catch {
          // Not one of the bot's JSON lines (workerd's own); not needed.
        }
      },
      bindings: {
        LOG_LEVEL: opts.logLevel ?? "warn",
        TIMER_BACKOFF_SCALE: String(opts.backoffScale),
        // The webhook sink is the emulator, on loopback.
        WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
      },
    });
    return new Bot(mf, restart, dir, port, opts.minRestartGapMs ?? 15_000, logs);
  }

  /** Resolves once no restart is under way (new work must not start into a dying runtime). */
  async ready(): Promise<void> {
    while (this.restarting) await this.restarting;
  }

  /** Runs `fn` as work the runtime must not be restarted under (a member's interaction and its deferred reply). */
  async guarded<T>(fn: () => Promise<T>): Promise<T> {
    await this.ready();
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  /**
   * Work a restart waits for, at most `graceMs`: an interaction's `waitUntil` (its deferred reply). Cloudflare gives
   * waitUntil 30 s after the response, deploy or not, and cancels it then; a restart after that cuts it the same way.
   */
  hold(work: Promise<unknown>, graceMs = 30_000): void {
    const entry = Promise.race([work.catch(() => undefined), sleep(graceMs)]).then(() => {
      this.held.delete(entry);
    });
    this.held.add(entry);
  }
  private readonly held = new Set<Promise<void>>();

  /**
   * A new workerd runtime: every Durable Object evicted, alarms and timers cut mid-step (they resume from storage),
   * the gateway socket dropped. Waits for members' interactions in flight first: deploys on Cloudflare let those finish.
   */
  restart(reason: string, opts: { deploy: boolean } = { deploy: true }): Promise<void> {
    if (this.restarting) return this.restarting;
    this.restarting = (async () => {
      // A deploy lets waitUntil work finish (up to its grace); an eviction does not wait for it.
      while (this.inFlight > 0 || (opts.deploy && this.held.size > 0)) {
        if (opts.deploy) await Promise.all([...this.held]);
        await sleep(20);
      }
      this.restarts.push({ at: Date.now(), reason });
      await this.doRestart();
      this.lastRestartAt = Date.now();
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  /**
   * The emulator's eviction hook: restart now, mid-request, if allowed (none under way, no interaction being
   * answered, not too soon after the last). Deferred replies still being worked on are cut: see `cutSince`.
   */
  tryEvict(reason: string): boolean {
    if (this.disposed || this.restarting || this.inFlight > 0 || Date.now() - this.lastRestartAt < this.minGapMs) return false;
    void this.restart(reason, { deploy: false });
    return true;
  }

  /** Whether an eviction restarted the runtime since `t` (work in a waitUntil then was cut by the runner, not the bot). */
  cutSince(t: number): boolean {
    return this.restarts.some((r) => r.at >= t && r.reason.startsWith("evict"));
  }

  /** Fires a cron trigger as Cloudflare would (wrangler dev and Miniflare do not on their own). */
  async cron(cron: string): Promise<void> {
    await this.ready();
    try {
      const worker = await this.mf.getWorker();
      // Bounded: a run must not wait on a cron cut short by a restart.
      await Promise.race([worker.scheduled({ cron, scheduledTime: new Date() }), sleep(60_000)]);
    } catch {
      // A restart cut it short; the next tick runs it again, as the next cron run would.
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.ready();
    await this.mf.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
