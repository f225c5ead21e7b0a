/** Handles the relay's durable queue in order, one entry at a time, in the background of the socket's events. */
import { logger } from "../log";
import type { Inbox, InboxRow } from "./inbox";
import { MAX_DISPATCH_ATTEMPTS, retryDelayMs } from "./inbox-policy";

export interface DrainHooks {
  /** Runs an entry's handlers; `failed` names the ones to retry. May throw (then the whole entry is retried). */
  handle(row: InboxRow): Promise<{ done: string[]; failed: string[] }>;
  /** After each entry leaves the queue (the relay resumes reading once the backlog is small again). */
  afterEach(): Promise<void>;
  /** Lower-priority work done only while the queue is empty, one piece at a time; false when there is none. */
  idle?(): Promise<boolean>;
}

/** The part of the queue the drainer uses (the real one is SQLite in the relay's storage). */
export type DrainQueue = Pick<Inbox, "oldest" | "remove" | "failed">;

/** How long the drain may hold the object's event loop before it lets the socket's frames in. */
const YIELD_EVERY_MS = 20;

export class Drainer {
  private running = false;

  constructor(
    private readonly inbox: DrainQueue,
    private readonly hooks: DrainHooks,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Starts draining unless it already runs. Never awaited by the socket or alarm handlers: each handler call
   * awaits D1 or a timer, and meanwhile heartbeats, ACKs and new dispatches are served.
   */
  kick(): void {
    if (this.running) return;
    this.running = true;
    this.loop()
      .catch((error) => logger.error("gateway.drain_failed", { error }))
      .finally(() => {
        this.running = false;
      });
  }

  get busy(): boolean {
    return this.running;
  }

  private async loop(): Promise<void> {
    let lastYield = Date.now();
    for (;;) {
      const row = this.inbox.oldest();
      if (!row) {
        // Nothing queued: a piece of the background work, then look at the queue again (a new entry goes first).
        if (!(await this.idleStep())) return;
      } else await this.handleRow(row);
      // A macrotask boundary now and then: the socket's frames (heartbeat ACKs, op 1 requests) are delivered only
      // between tasks, and a chain of awaited calls alone never leaves one (measured: ACKs waited for the whole queue).
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await this.sleep(0);
        lastYield = Date.now();
      }
    }
  }

  private async idleStep(): Promise<boolean> {
    try {
      return (await this.hooks.idle?.()) ?? false;
    } catch (error) {
      logger.error("gateway.idle_work_failed", { error });
      return false;
    }
  }

  private async handleRow(row: InboxRow): Promise<void> {
    let outcome: { done: string[]; failed: string[] };
    try {
      outcome = await this.hooks.handle(row);
    } catch (error) {
      logger.error("gateway.entry_failed", { entry: row.t, kind: row.kind, error });
      outcome = { done: row.done, failed: [row.t] };
    }
    if (outcome.failed.length === 0) this.inbox.remove(row.id);
    else await this.retryLater(row, outcome);
    await this.hooks.afterEach();
  }

  /** The queue waits with a failing entry (order matters: a leave must not overtake its join), a bounded number of times. */
  private async retryLater(row: InboxRow, outcome: { done: string[]; failed: string[] }): Promise<void> {
    const attempts = row.attempts + 1;
    if (attempts >= MAX_DISPATCH_ATTEMPTS) {
      logger.error("gateway.dispatch_gave_up", { entry: row.t, seq: row.s, attempts, handlers: outcome.failed });
      this.inbox.remove(row.id);
      return;
    }
    this.inbox.failed(row.id, attempts, outcome.done);
    logger.warn("gateway.dispatch_retry", { entry: row.t, seq: row.s, attempts, handlers: outcome.failed });
    await this.sleep(retryDelayMs(attempts));
  }
}
