/** Sink that records every emitted event in D1 (`event_log`); the core's retention policy keeps it to 30 days. */
import type { Listener } from "../../feature";

export const eventLogSink: Listener = {
  on: "*",
  name: "event-log",
  async handle(event, services) {
    await services.env.DB.prepare("INSERT OR IGNORE INTO event_log (id, guild_id, name, level, data, occurred_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(event.id, event.guild_id, event.name, event.level, JSON.stringify(event.data), Date.parse(event.occurred_at))
      .run();
  },
};
