/** EventTimer: a Durable Object whose single alarm runs an agenda of due items, generic over action kinds. */
import { DurableObject } from "cloudflare:workers";
import type { Lane } from "../discord/budget";
import { DiscordApiError } from "../discord/errors";
import { BudgetDeferred } from "../discord/rate-gate";
import { describeError, logger } from "../log";
import { type AgendaItem, type AgendaStatus, backoffMs, cancelPattern, DEFAULT_MAX_ATTEMPTS, upsertDecision } from "./agenda";
import { PermanentError, type TimerKind } from "./kinds";

/** Items run per alarm invocation; the rest run in an immediately re-armed alarm (subrequest budget). */
const MAX_ITEMS_PER_ALARM = 20;
const KEEP_FINISHED_MS = 30 * 24 * 60 * 60_000;
/** Work due within this long needs no /health row of its own (/health calls a timer overdue a minute past due). */
export const UNLISTED_WITHIN_MS = 60_000;

type Row = {
  key: string;
  due_at: number;
  kind: string;
  payload: string;
  attempts: number;
  status: AgendaStatus;
  gen: number;
  last_error: string | null;
  updated_at: number;
};

export interface ScheduleResult {
  key: string;
  result: "insert" | "update" | "unchanged";
  dueAt: number;
}

export interface TimerHooks<S> {
  kinds: ReadonlyMap<string, TimerKind<S>>;
  services(): S;
  /** The services a kind with a lane runs with: every Discord call takes a slot of that lane for the guild. */
  gated?(services: S, lane: Lane, guildId: string): S;
  /** Called once when an item is given up (attempts exhausted or a permanent error). */
  gaveUp(item: AgendaItem, error: unknown, services: S, timerName: string): Promise<void>;
  /** Told the timer's pending count and next due time whenever they change (for /health). */
  report?(timerName: string, pending: number, nextDue: number | null): Promise<void>;
  /** Multiplies every retry backoff (the chaos suite compresses time); 1 when absent. */
  backoffScale?: number;
}

function toItem(r: Row): AgendaItem {
  return {
    key: r.key,
    dueAt: r.due_at,
    kind: r.kind,
    payload: JSON.parse(r.payload),
    attempts: r.attempts,
    status: r.status,
    lastError: r.last_error,
    updatedAt: r.updated_at,
  };
}

/** The guild a payload is for (every kind that calls Discord carries `guild_id`), for its REST budget lane. */
export function guildOf(payload: unknown): string | null {
  if (typeof payload !== "object" || payload === null || !("guild_id" in payload)) return null;
  return typeof payload.guild_id === "string" ? payload.guild_id : null;
}

const describeIssues = (issues: readonly { path: readonly PropertyKey[]; message: string }[]) =>
  issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".") || "payload"}: ${i.message}`)
    .join("; ");

function isPermanent(err: unknown): boolean {
  if (err instanceof PermanentError) return true;
  if (err instanceof DiscordApiError) return !err.transient;
  return false;
}

export abstract class TimerObject<E, S> extends DurableObject<E> {
  /** Replaced in tests to move time without sleeping. */
  clock: () => number = () => Date.now();
  private readonly sql: SqlStorage;

  protected abstract hooks(): TimerHooks<S>;

  constructor(ctx: DurableObjectState, env: E) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS agenda (
      key TEXT PRIMARY KEY, due_at INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'pending',
      gen INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated_at INTEGER NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS agenda_pending ON agenda (status, due_at)");
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    // The generation counter starts above every row's once (agendas from before the counter existed); after that it
    // only counts up, so a schedule never scans the agenda (finished rows stay 30 days: thousands on a busy event).
    this.sql.exec("INSERT OR IGNORE INTO meta (k, v) SELECT 'gen', COALESCE(MAX(gen), 0) FROM agenda");
  }

  /** Idempotent upsert by key. Re-scheduling a fired item with the same time and payload does nothing. */
  async schedule(key: string, dueAt: number, kind: string, payload: unknown = {}, timerName?: string): Promise<ScheduleResult> {
    if (!key || key.length > 200) throw new Error("timer key must be 1-200 characters");
    if (!Number.isFinite(dueAt)) throw new Error("dueAt must be a finite epoch-ms number");
    if (timerName) this.sql.exec("INSERT OR IGNORE INTO meta (k, v) VALUES ('name', ?)", timerName);
    const payloadJson = JSON.stringify(payload ?? {});
    const existing = this.sql.exec<Row>("SELECT * FROM agenda WHERE key = ?", key).toArray()[0];
    const decision = upsertDecision(existing ? { dueAt: existing.due_at, kind: existing.kind, status: existing.status, payloadJson: existing.payload } : null, {
      dueAt,
      kind,
      payloadJson,
    });
    const now = this.clock();
    if (decision === "insert") {
      this.sql.exec(
        "INSERT INTO agenda (key, due_at, kind, payload, gen, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        key,
        dueAt,
        kind,
        payloadJson,
        this.nextGen(),
        now,
      );
    } else if (decision === "update") {
      this.sql.exec(
        "UPDATE agenda SET due_at = ?, kind = ?, payload = ?, attempts = 0, status = 'pending', last_error = NULL, gen = ?, updated_at = ? WHERE key = ?",
        dueAt,
        kind,
        payloadJson,
        this.nextGen(),
        now,
        key,
      );
    }
    await this.rearm();
    return { key, result: decision, dueAt };
  }

  /**
   * A generation no row of this timer has had, even one since cancelled: a step still running when its key is
   * cancelled and planned again (a reschedule) must not finish, re-arm or retry the new plan as if it were its own.
   */
  private nextGen(): number {
    return this.sql.exec<{ v: number }>("UPDATE meta SET v = CAST(v AS INTEGER) + 1 WHERE k = 'gen' RETURNING CAST(v AS INTEGER) AS v").one().v;
  }

  /** Removes one key, or every key starting with the prefix when the argument ends in `*`. */
  async cancel(keyOrPrefix: string): Promise<number> {
    const p = cancelPattern(keyOrPrefix);
    const cursor =
      "exact" in p ? this.sql.exec("DELETE FROM agenda WHERE key = ?", p.exact) : this.sql.exec("DELETE FROM agenda WHERE key LIKE ? ESCAPE '\\'", p.like);
    const removed = cursor.rowsWritten;
    await this.rearm();
    return removed;
  }

  async list(): Promise<AgendaItem[]> {
    return this.sql.exec<Row>("SELECT * FROM agenda ORDER BY due_at, key").toArray().map(toItem);
  }

  /** The epoch ms the alarm is set to, or null; exposed so tests and /health can see it. */
  async nextAlarm(): Promise<number | null> {
    return this.ctx.storage.getAlarm();
  }

  /** The alarm run under way, so that a second invocation (overlapping a runtime retry, or a test's) waits for it. */
  private alarmRun: Promise<void> = Promise.resolve();

  override async alarm(): Promise<void> {
    // Two runs interleaving at their awaits both saw "no divider yet" and made two: one run at a time per timer.
    const run = this.alarmRun.then(() => this.runDue());
    this.alarmRun = run.catch(() => undefined);
    return run;
  }

  /** Runs every due item (and what they schedule for now), then re-arms for the next. */
  private async runDue(): Promise<void> {
    const hooks = this.hooks();
    const now = this.clock();
    const timerName = this.name();
    let services: S | undefined;
    // Items an item schedules for now (a step's follow-ups) run in the same invocation; each key at most once per
    // invocation, so an item that asks to run again at once (the next page of a fan-out) waits for the next alarm.
    const ran = new Set<string>();
    const nextDue = (): Row | undefined =>
      ran.size >= MAX_ITEMS_PER_ALARM
        ? undefined
        : this.sql
            .exec<Row>("SELECT * FROM agenda WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, key LIMIT ?", this.clock(), 2 * MAX_ITEMS_PER_ALARM + 1)
            .toArray()
            .find((r) => !ran.has(r.key));
    for (let row = nextDue(); row; row = nextDue()) {
      ran.add(row.key);
      services ??= hooks.services();
      await this.runItem(row, services, hooks, timerName);
    }
    this.sql.exec("DELETE FROM agenda WHERE status != 'pending' AND updated_at < ?", now - KEEP_FINISHED_MS);
    // The alarm ran: a promise to run near work without a /health row is kept (see `unlisted`).
    this.sql.exec("DELETE FROM meta WHERE k = 'promised'");
    await this.rearm();
  }

  /** Runs one due item and records what became of it: done, due again, put off by the budget, retried, or given up. */
  private async runItem(row: Row, services: S, hooks: TimerHooks<S>, timerName: string): Promise<void> {
    const item = toItem(row);
    const kind = hooks.kinds.get(item.kind);
    const attempts = row.attempts + 1;
    try {
      if (!kind) throw new PermanentError(`no handler registered for timer kind "${item.kind}"`);
      const parsed = kind.payload.safeParse(item.payload);
      if (!parsed.success) throw new PermanentError(`payload of "${item.kind}" does not fit: ${describeIssues(parsed.error.issues)}`);
      // Fair shares are per guild; an item of no guild shares as its timer. A kind that names no lane still never
      // calls Discord outside the budget: its calls (if any) are background work.
      const itemServices = hooks.gated ? hooks.gated(services, kind.lane ?? "background", guildOf(parsed.data) ?? timerName) : services;
      // Each item sees the clock when it starts (follow-ups run later in the same invocation).
      const outcome = await kind.run({ ...item, payload: parsed.data }, { services: itemServices, now: this.clock(), timerName });
      if (outcome && "again" in outcome) {
        const payload = JSON.stringify(outcome.again.payload ?? item.payload);
        // A new generation: whatever still holds the old one (a run of this row that overlapped) cannot touch it.
        this.sql.exec(
          "UPDATE agenda SET due_at = ?, payload = ?, attempts = 0, last_error = NULL, gen = ?, updated_at = ? WHERE key = ? AND gen = ?",
          outcome.again.dueAt,
          payload,
          this.nextGen(),
          this.clock(),
          row.key,
          row.gen,
        );
      } else {
        this.finish(row, "done", attempts, null);
      }
      logger.debug("timer.ran", { timer: timerName, key: row.key, kind: row.kind });
    } catch (error) {
      await this.failed(row, { ...item, attempts }, kind?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, error, services, hooks, timerName);
    }
  }

  /** A run that threw: put off (the budget had no slot), retried with backoff, or given up for good. */
  private async failed(row: Row, item: AgendaItem, max: number, error: unknown, services: S, hooks: TimerHooks<S>, timerName: string): Promise<void> {
    if (error instanceof BudgetDeferred && !error.late) {
      // The REST budget is full for a while: run again when the gate has room, as if not yet due.
      this.sql.exec(
        "UPDATE agenda SET due_at = ?, gen = ?, updated_at = ? WHERE key = ? AND gen = ?",
        error.retryAt,
        this.nextGen(),
        this.clock(),
        row.key,
        row.gen,
      );
      logger.info("timer.budget_deferred", { timer: timerName, key: row.key, kind: row.kind, retry_at: error.retryAt });
      return;
    }
    const attempts = item.attempts;
    const message = JSON.stringify(describeError(error));
    if (isPermanent(error) || attempts >= max) {
      this.finish(row, "failed", attempts, message);
      logger.error("timer.gave_up", { timer: timerName, key: row.key, kind: row.kind, attempts, error });
      await hooks
        .gaveUp({ ...item, status: "failed", lastError: message }, error, services, timerName)
        .catch((e) => logger.error("timer.gave_up_hook_failed", { timer: timerName, key: row.key, error: e }));
      return;
    }
    const retryAt = this.clock() + backoffMs(attempts, hooks.backoffScale ?? 1);
    this.sql.exec(
      "UPDATE agenda SET attempts = ?, due_at = ?, last_error = ?, updated_at = ? WHERE key = ? AND gen = ?",
      attempts,
      retryAt,
      message,
      this.clock(),
      row.key,
      row.gen,
    );
    logger.warn("timer.retry", { timer: timerName, key: row.key, kind: row.kind, attempts, retry_at: retryAt, error });
  }

  /** Marks an item finished unless it was re-scheduled while its handler ran (then the new schedule stands). */
  private finish(row: Row, status: AgendaStatus, attempts: number, error: string | null): void {
    this.sql.exec(
      "UPDATE agenda SET status = ?, attempts = ?, last_error = ?, updated_at = ? WHERE key = ? AND gen = ?",
      status,
      attempts,
      error,
      this.clock(),
      row.key,
      row.gen,
    );
  }

  /** Points the single alarm at the earliest pending item, from stored state; clears it when nothing is pending. */
  private async rearm(): Promise<void> {
    await this.reportState();
    // Read after the report: its D1 write lets other calls in, which may have changed the agenda meanwhile.
    const { due: next } = this.pendingState();
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const current = await this.ctx.storage.getAlarm();
    if (current !== next) await this.ctx.storage.setAlarm(next);
  }

  private pendingState(): { due: number | null; n: number } {
    return this.sql.exec<{ due: number | null; n: number }>("SELECT MIN(due_at) AS due, COUNT(*) AS n FROM agenda WHERE status = 'pending'").one();
  }

  private meta(k: string): string | null {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v ?? null;
  }

  /** Reports run one at a time, each on the agenda as it stands when its turn comes (a D1 write yields to other calls). */
  private reporting: Promise<void> = Promise.resolve();

  private reportState(): Promise<void> {
    const run = this.reporting.then(() => this.reportNow());
    this.reporting = run.catch(() => undefined);
    return run;
  }

  /**
   * Tells /health the agenda's state when it changed since the last report, which is kept in storage (`none`: no
   * row; absent: not known, as in a timer from before this was kept) so an evicted timer does not write it again.
   * A timer with no row whose work is all due within UNLISTED_WITHIN_MS of now gets none (see `unlisted`). The hourly
   * per-guild runs (queued seconds ahead, done in seconds) so cost no D1 write, where they cost two.
   */
  private async reportNow(): Promise<void> {
    const report = this.hooks().report;
    if (!report) return;
    const { due: next, n: pending } = this.pendingState();
    if (pending === 0) this.sql.exec("DELETE FROM meta WHERE k = 'promised'");
    const key = pending === 0 ? "none" : `${pending}|${next}`;
    const last = this.meta("reported");
    if (key === last || (last === "none" && next !== null && this.unlisted(next))) return;
    try {
      await report(this.name(), pending, next);
      this.sql.exec("INSERT INTO meta (k, v) VALUES ('reported', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", key);
    } catch (error) {
      logger.warn("timer.report_failed", { timer: this.name(), error });
    }
  }

  /**
   * Whether work due at `next` may go without a row: its alarm runs it before /health would call it overdue. The
   * earliest such due time is kept as a promise until an alarm runs; one found broken (over a minute past, no alarm
   * run since: a stuck timer, which an hourly run's next enqueue reaches) is listed, so /health shows it.
   */
  private unlisted(next: number): boolean {
    const now = this.clock();
    if (Math.abs(next - now) > UNLISTED_WITHIN_MS) return false;
    const promised = this.meta("promised");
    if (promised !== null && Number(promised) < now - UNLISTED_WITHIN_MS) return false;
    this.sql.exec("INSERT OR IGNORE INTO meta (k, v) VALUES ('promised', ?)", String(next));
    return true;
  }

  private name(): string {
    return this.meta("name") ?? this.ctx.id.name ?? this.ctx.id.toString();
  }
}
