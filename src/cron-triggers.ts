/**
 * The Worker's cron triggers, named. `wrangler.toml`'s `[triggers] crons` must list exactly these (a test reads
 * it), and a job can only name one of them, so a job can never wait on a trigger that does not exist.
 */
export const CRON = {
  /** Relay keep-alive and other minute-level checks. */
  everyMinute: "* * * * *",
  /** Syncs and reconciliation. */
  hourly: "0 * * * *",
  /** Cleanups and retention, at a quiet hour (UTC). */
  daily: "30 4 * * *",
} as const;

export type CronTrigger = (typeof CRON)[keyof typeof CRON];

export const isCronTrigger = (cron: string): cron is CronTrigger => (Object.values(CRON) as string[]).includes(cron);
