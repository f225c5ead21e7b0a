/**
 * The audit-channel sink: events that passed the guild's level are posted to its audit channel, coalesced —
 * every event in a 5-second window becomes one embed in one message, so a busy hour never trips rate limits.
 * It reads from the event log (written by the event-log sink), so nothing is held in memory.
 */
import { TimestampStyles, time } from "@discordjs/formatters";
import type { APIEmbed } from "discord-api-types/v10";
import type { z } from "zod";
import { DiscordApiError } from "../../discord/errors";
import { LIMITS } from "../../discord/message-limits";
import { postOnce } from "../../discord/post-once";
import type { Listener, TimerAction } from "../../feature";
import { readGuildSettings } from "../../guild-settings";
import { cappedList } from "../../interactions/list-view";
import { logger } from "../../log";
import { guildPayload } from "../../timers/payloads";

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "audit.flush": z.infer<typeof guildPayload>;
  }
}

export const AUDIT_WINDOW_MS = 5_000;
const PER_MESSAGE = 40;
const COLORS: Record<string, number> = { CRITICAL: 0xed4245, SYSTEM: 0x5865f2, FULL: 0x99aab5 };
const ORDER = ["FULL", "SYSTEM", "CRITICAL"];

export const auditTimer = (guildId: string) => `audit:${guildId}`;

export const auditSink: Listener = {
  on: "*",
  name: "audit-channel",
  async handle(event, s) {
    if (!event.guild_id) return;
    const { audit_channel_id } = await readGuildSettings(s.env.DB, event.guild_id);
    if (!audit_channel_id) return;
    // One flush per window: every event in it schedules the same key and time, a no-op after the first.
    const windowEnd = (Math.floor(Date.parse(event.occurred_at) / AUDIT_WINDOW_MS) + 1) * AUDIT_WINDOW_MS;
    await s.timer(auditTimer(event.guild_id)).schedule(`flush:${windowEnd}`, windowEnd, "audit.flush", { guild_id: event.guild_id });
  },
};

type Row = { id: string; name: string; level: string; data: string; occurred_at: number };
/** What one audit post covers: up to which event, and how many. */
type Covered = { last_at: number; last_id: string; count: number };

function line(r: Row): string {
  const data = JSON.parse(r.data) as Record<string, unknown>;
  const fields = Object.entries(data)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== "object")
    .slice(0, 4)
    .map(([k, v]) => `${k}=${String(v).slice(0, 60)}`)
    .join(" ");
  return `${time(new Date(r.occurred_at), TimestampStyles.MediumTime)} ${r.level === "CRITICAL" ? "🔴" : r.level === "SYSTEM" ? "🔵" : "⚪"} \`${r.name}\`${fields ? ` ${fields}` : ""}`;
}

export function auditEmbed(rows: readonly Row[]): APIEmbed {
  const top = rows.reduce((a, r) => (ORDER.indexOf(r.level) > ORDER.indexOf(a) ? r.level : a), "FULL");
  const description = cappedList("", rows.map(line), LIMITS.embedDescription, (n) => `… and ${n} more (see the event log)`);
  return { title: rows.length === 1 ? "Bot event" : `${rows.length} bot events`, description, color: COLORS[top] };
}

const flush: TimerAction<"audit.flush"> = {
  kind: "audit.flush",
  payload: guildPayload,
  lane: "background",
  async run(item, { services: s }) {
    const guildId = item.payload.guild_id;
    const { audit_channel_id } = await readGuildSettings(s.env.DB, guildId);
    if (!audit_channel_id) return;
    const cursor = await s.env.DB.prepare("SELECT last_at, last_id FROM audit_cursor WHERE guild_id = ?")
      .bind(guildId)
      .first<{ last_at: number; last_id: string }>();
    const rows = (
      await s.env.DB.prepare(
        "SELECT id, name, level, data, occurred_at FROM event_log WHERE guild_id = ? AND (occurred_at > ? OR (occurred_at = ? AND id > ?)) ORDER BY occurred_at, id LIMIT ?",
      )
        .bind(guildId, cursor?.last_at ?? 0, cursor?.last_at ?? 0, cursor?.last_id ?? "", PER_MESSAGE)
        .all<Row>()
    ).results;
    const first = rows[0];
    const last = rows.at(-1);
    if (!first || !last) return;
    // The post is named by where it starts; its intent records where it ends, so a retry (after a crash
    // between the post and the cursor, even past the nonce window) posts nothing twice and skips nothing.
    let covered: Covered = { last_at: last.occurred_at, last_id: last.id, count: rows.length };
    try {
      const posted = await postOnce(s, {
        key: `audit:${guildId}:${first.id}`,
        guildId,
        channelId: audit_channel_id,
        body: { embeds: [auditEmbed(rows)], allowed_mentions: { parse: [] } },
        meta: covered,
      });
      covered = posted.meta as Covered;
    } catch (err) {
      // A deleted audit channel or lost access: these events are not postable; move on rather than retry forever.
      if (!(err instanceof DiscordApiError && (err.notFound || err.forbidden))) throw err;
      logger.warn("audit.channel_unusable", { guild_id: guildId, channel_id: audit_channel_id, error: err });
    }
    await s.env.DB.prepare(
      "INSERT INTO audit_cursor (guild_id, last_at, last_id) VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET last_at = excluded.last_at, last_id = excluded.last_id",
    )
      .bind(guildId, covered.last_at, covered.last_id)
      .run();
    // A backlog goes out one message per window, not all at once.
    if (covered.count === PER_MESSAGE) return { again: { dueAt: s.now() + AUDIT_WINDOW_MS } };
  },
};

export const auditTimerKinds: TimerAction[] = [flush];
