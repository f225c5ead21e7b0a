/** The reminder lists members and admins read (`/reminders mine`, `types list`, `failures`), page by page, with their Prev/Next buttons. */

import { TimestampStyles, time, userMention } from "@discordjs/formatters";
import { PermissionFlagsBits } from "discord-api-types/v10";
import { truncate } from "../../discord/message-limits";
import type { Component } from "../../feature";
import { listPage, pagedList } from "../../interactions/list-view";
import { type MessageData, reply } from "../../interactions/reply";
import { customId, UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { matchEventIds } from "../tournaments/league-query";
import { formatOffset } from "./offsets";
import { listTypes, matchingTypes, readReminderSettings, STARTER_TYPES } from "./settings";
import { getSubscription, upcomingEvents } from "./storage";
import { type Viewer, viewerOf, visibleEvents } from "./visibility";

/** How many upcoming events `/reminders mine` looks through (its pages cover them all). */
export const MINE_EVENTS = 1000;
const FAILURES_PER_PAGE = 10;
const MINE_PAGE = "rm:mine";
const TYPES_PAGE = "rm:typelist";
const FAILURES_PAGE = "rm:failures";

export const when = (offsets: number[]) => offsets.map((o) => (o === 0 ? "at the start" : `${formatOffset(o)} before`)).join(", ");

/** The next reminders this member gets: subscribed types, single-event and Interested reminders. */
export async function mineView(s: Services, guildId: string, viewer: Viewer | null, page: number): Promise<MessageData> {
  const userId = viewer?.userId ?? "";
  const [upcoming, types, settings, sub, members, matchIds] = await Promise.all([
    upcomingEvents(s.env.DB, guildId, s.now(), MINE_EVENTS),
    listTypes(s.env.DB, guildId),
    readReminderSettings(s.env.DB, guildId),
    getSubscription(s.env.DB, guildId, userId),
    s.env.DB.prepare("SELECT event_id, source FROM reminder_event_members WHERE guild_id = ? AND user_id = ?")
      .bind(guildId, userId)
      .all<{ event_id: string; source: string }>(),
    matchEventIds(s.env.DB, guildId),
  ]);
  const own = new Set(members.results.map((m) => `${m.source}:${m.event_id}`));
  // Events in channels the member cannot see are not theirs to know about; type subscriptions skip private channels.
  const events = await visibleEvents(s, guildId, viewer, upcoming);
  const lines: string[] = [];
  for (const ev of events) {
    const byType = sub && !ev.channel_id && matchingTypes(types, ev.name, matchIds.has(ev.event_id)).some((t) => sub.types.includes(t));
    const offsets = byType || own.has(`remind:${ev.event_id}`) ? (sub?.offsets.length ? sub.offsets : settings.default_offsets) : [];
    const interested = own.has(`interested:${ev.event_id}`) && settings.interested_enabled && !sub?.interested_opt_out ? settings.default_offsets : [];
    const all = [...new Set([...offsets, ...interested])].filter((o) => ev.start_at - o * 1000 > s.now()).sort((a, b) => b - a);
    if (all.length) lines.push(`• **${truncate(ev.name, 80)}** ${time(new Date(ev.start_at), TimestampStyles.LongDateShortTime)} — ${when(all)}`);
  }
  return pagedList({
    header: "Your next reminders:",
    lines,
    page,
    empty: "No reminders coming up. Use `/subscribe`, `/remind`, or click **Interested** on an event.",
    pageId: (n) => customId(MINE_PAGE, n),
  });
}

export async function typesView(s: Services, guildId: string, page: number): Promise<MessageData> {
  const types = await listTypes(s.env.DB, guildId);
  const starters = STARTER_TYPES.map((t) => `• \`/reminders types action:add name:${t.name} keywords:${t.keywords.join(", ")}\``);
  return pagedList({
    header: `Types (${types.length}, plus **all**):`,
    lines: types.map((t) => `• **${t.name}**: ${truncate(t.keywords.join(", "), 200)}`),
    page,
    empty: `No types yet; members can still pick **all**. Starters you could add:\n${starters.join("\n")}`,
    pageId: (n) => customId(TYPES_PAGE, n),
  });
}

type Failure = { user_id: string; event_name: string; start_at: number; offset_s: number; reason: string; updated_at: number };

/** The failed-DM log, newest first, 10 a page (paged in SQL: the log can be long). */
export async function failuresView(s: Services, guildId: string, page: number): Promise<MessageData> {
  const count = await s.env.DB.prepare("SELECT COUNT(*) AS n FROM reminder_deliveries WHERE guild_id = ? AND status = 'failed'")
    .bind(guildId)
    .first<{ n: number }>();
  const pages = Math.max(Math.ceil((count?.n ?? 0) / FAILURES_PER_PAGE), 1);
  const at = Math.min(Math.max(page, 1), pages);
  const rows = await s.env.DB.prepare(
    "SELECT user_id, event_name, start_at, offset_s, reason, updated_at FROM reminder_deliveries WHERE guild_id = ? AND status = 'failed' ORDER BY updated_at DESC LIMIT ? OFFSET ?",
  )
    .bind(guildId, FAILURES_PER_PAGE, (at - 1) * FAILURES_PER_PAGE)
    .all<Failure>();
  if (!rows.results.length) return { content: "No failed DMs.", components: [] };
  const lines = rows.results.map(
    (r) =>
      `• ${userMention(r.user_id)} — **${truncate(r.event_name, 60)}** (${formatOffset(r.offset_s)}) — ${truncate(r.reason, 80)} — ${time(new Date(r.updated_at), TimestampStyles.RelativeTime)}`,
  );
  return {
    ...listPage({ header: `Failed DMs (${count?.n ?? 0}):`, lines, page: at, pages, pageId: (n) => customId(FAILURES_PAGE, n) }),
    allowed_mentions: { parse: [] },
  };
}

const pageButton = (
  id: string,
  view: (s: Services, guildId: string, viewer: Viewer | null, page: number) => Promise<MessageData>,
  admin: boolean,
): Component => ({
  id,
  ...(admin ? { requires: PermissionFlagsBits.ManageGuild } : {}),
  async run(ctx) {
    if (!ctx.guildId) throw new UserError("Use this in a server.");
    return reply.update(await view(ctx.services, ctx.guildId, viewerOf(ctx.interaction), Number(ctx.args[0]) || 1));
  },
});

export const listButtons: Component[] = [
  pageButton(MINE_PAGE, mineView, false),
  pageButton(TYPES_PAGE, (s, g, _u, p) => typesView(s, g, p), true),
  pageButton(FAILURES_PAGE, (s, g, _u, p) => failuresView(s, g, p), true),
];
