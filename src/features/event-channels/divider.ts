/**
 * The divider: the one object a guild's events share, so one owner keeps it: the guild's own timer (`ecg:{guild}`)
 * runs every change to it, one at a time, and its id is recorded from the moment it is asked for.
 */
import type { TimerAction } from "../../feature";
import type { Services } from "../../services";
import { gone } from "./actions";
import { findIntended } from "./ownership";
import { dividerOverwrites, TEXT } from "./plan";
import { readSettings } from "./settings";
import { getDivider, liveEvents, ownedChannelIds, setDivider } from "./storage";
import { dividerPayload } from "./timer-payloads";

export const guildTimerName = (guildId: string) => `ecg:${guildId}`;

/** Asks the guild's timer to bring the divider in line with the live events (coalesces: one pending item per guild). */
export async function queueDividerSync(s: Services, guildId: string): Promise<void> {
  // A fresh request id: a request after the last run must run again even at the same clock reading (no-op upsert).
  await s.timer(guildTimerName(guildId)).schedule("divider", s.now(), "ec.divider", { guild_id: guildId, request: crypto.randomUUID() });
}

/** Keeps the divider at the top of the category, visible to the roles of live events; removes it when none remain. */
export async function syncDivider(s: Services, guildId: string): Promise<void> {
  const settings = await readSettings(s.env.DB, guildId);
  const botId = s.env.DISCORD_APPLICATION_ID;
  let divider = await getDivider(s.env.DB, guildId);
  const roles = settings?.divider_enabled && settings.category_id ? (await liveEvents(s.env.DB, guildId)).flatMap((e) => (e.role_id ? [e.role_id] : [])) : [];
  if (divider.intent_name && divider.intent_at !== null && divider.intent_at !== undefined && !divider.channel_id) {
    // A creation that crashed before its id was written: adopt what it made, by the recorded intent only.
    const channels = await s.api.guilds.channels(guildId);
    const inCategory = channels.filter((c) => c.type === TEXT && "parent_id" in c && c.parent_id === settings?.category_id);
    const found = findIntended(
      inCategory.map((c) => ({ id: c.id, name: c.name ?? "" })),
      { name: divider.intent_name, at: divider.intent_at },
      await ownedChannelIds(s.env.DB, guildId),
    );
    // Its overwrites are unknown: an empty role list makes the step below set them.
    divider = { channel_id: found?.id ?? null, role_ids: [], intent_name: null, intent_at: null };
    await setDivider(s.env.DB, guildId, divider);
  }
  if (roles.length === 0 || !settings?.category_id) {
    if (divider.channel_id) await gone(s.api.channels.delete(divider.channel_id, { reason: "No event channels remain" }));
    await setDivider(s.env.DB, guildId, { channel_id: null, role_ids: [] });
    return;
  }
  const overwrites = dividerOverwrites(guildId, botId, roles, settings.whitelisted_roles);
  if (divider.channel_id) {
    if (JSON.stringify([...divider.role_ids].sort()) === JSON.stringify([...roles].sort())) return;
    const ok = await gone(s.api.channels.edit(divider.channel_id, { permission_overwrites: overwrites }));
    if (ok) {
      await setDivider(s.env.DB, guildId, { channel_id: divider.channel_id, role_ids: roles });
      return;
    }
  }
  await setDivider(s.env.DB, guildId, { channel_id: null, role_ids: [], intent_name: settings.divider_name, intent_at: Date.now() });
  const ch = await s.api.guilds.createChannel(
    guildId,
    { name: settings.divider_name, type: TEXT, parent_id: settings.category_id, position: 0, permission_overwrites: overwrites },
    { reason: "Event channels divider" },
  );
  await setDivider(s.env.DB, guildId, { channel_id: ch.id, role_ids: roles });
}

export const dividerKind: TimerAction<"ec.divider"> = {
  kind: "ec.divider",
  payload: dividerPayload,
  // Cosmetic (a heading above the event channels): it waits behind time-critical steps and fan-outs.
  lane: "background",
  async run(item, { services: s }) {
    await syncDivider(s, item.payload.guild_id);
  },
};
