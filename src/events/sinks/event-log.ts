/** Sink that records every emitted event in D1 (`event_log`), and the daily job that trims it. */
import type { CronJob, Listener } from "../../feature";

export const EVENT_LOG_RETENTION_DAYS = 30;

export const eventLogSink: Listener = {
  on: "*",
  name: "event-log",
  async handle(event, services) {
    await services.env.DB.prepare("INSERT OR IGNORE INTO event_log (id, guild_id, name, level, data, occurred_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(event.id, event.guild_id, event.name, event.level, JSON.stringify(event.data), Date.parse(event.occurred_at))
      .run();
  },
};

export const trimEventLog: CronJob = {
  name: "event-log.trim",
  cron: "30 4 * * *",
  async run(services, scheduledTime) {
    const cutoff = scheduledTime - EVENT_LOG_RETENTION_DAYS * 24 * 60 * 60_000;
    await services.env.DB.prepare("DELETE FROM event_log WHERE occurred_at < ?").bind(cutoff).run();
  },
};
