/** Runs the cron jobs features registered for a trigger, recording each run in `cron_runs` for /health. */
import { isCronTrigger } from "./cron-triggers";
import type { CronJob } from "./feature";
import { logger } from "./log";
import type { Services } from "./services";

export async function runCron(jobs: readonly CronJob[], cron: string, scheduledTime: number, services: Services): Promise<{ job: string; ok: boolean }[]> {
  const db = services.env.DB;
  const results: { job: string; ok: boolean }[] = [];
  // A trigger set in the dashboard (or an old wrangler.toml) that no job listens to: worth a line, not a failure.
  if (!isCronTrigger(cron)) logger.warn("cron.unknown_trigger", { cron });
  for (const job of jobs.filter((j) => j.cron === cron)) {
    const started = services.now();
    await db
      .prepare(
        "INSERT INTO cron_runs (job, last_started_at, last_status) VALUES (?, ?, 'running') ON CONFLICT (job) DO UPDATE SET last_started_at = excluded.last_started_at, last_status = 'running'",
      )
      .bind(job.name, started)
      .run();
    try {
      await job.run(services, scheduledTime);
      await db.prepare("UPDATE cron_runs SET last_finished_at = ?, last_status = 'ok', last_error = NULL WHERE job = ?").bind(services.now(), job.name).run();
      logger.info("cron.finished", { job: job.name, ms: services.now() - started });
      results.push({ job: job.name, ok: true });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await db
        .prepare("UPDATE cron_runs SET last_finished_at = ?, last_status = 'error', last_error = ? WHERE job = ?")
        .bind(services.now(), message.slice(0, 500), job.name)
        .run();
      logger.error("cron.failed", { job: job.name, error });
      results.push({ job: job.name, ok: false });
    }
  }
  return results;
}
