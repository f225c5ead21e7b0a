/** Helpers for tests of the guild-events core and its consumers: recurring events as members make them, the mirror. */
import { env } from "cloudflare:workers";
import { HOUR } from "./event-channel-helpers";
import { emu, type Fixture, WAIT_MS } from "./helpers";

export const WEEK = 7 * 24 * HOUR;
export type Mirror = {
  name: string;
  start_at: number;
  end_at: number | null;
  status: number;
  recurrence_rule: string | null;
  revision: number;
  deleted_at: number | null;
};

/** A weekly event on the start's UTC weekday, as a member makes it in the Events tab. */
export async function weeklyEvent(g: Fixture, name: string, start: number, opts: { silent?: boolean } = {}) {
  const iso = new Date(start).toISOString();
  return emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
    body: {
      name,
      scheduled_start_time: iso,
      scheduled_end_time: new Date(start + HOUR).toISOString(),
      recurrence_rule: { start: iso, frequency: 2, interval: 1, by_weekday: [(new Date(start).getUTCDay() + 6) % 7] },
      ...opts,
    },
  });
}

export const mirror = (guildId: string, eventId: string) =>
  env.DB.prepare("SELECT * FROM scheduled_events WHERE guild_id = ? AND event_id = ?").bind(guildId, eventId).first<Mirror>();

export async function untilMirror(guildId: string, eventId: string, ok: (m: Mirror) => boolean): Promise<Mirror> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const m = await mirror(guildId, eventId);
    if (m && ok(m)) return m;
    if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(m)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
