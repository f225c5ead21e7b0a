/** Each temporary channel's timer: deleted `empty_minutes` after it empties, once its emptiness is certain. */
import { DiscordApiError } from "../../discord/errors";
import type { TimerAction } from "../../feature";
import { gatewayCurrentSince } from "../../gateway/freshness";
import { logger } from "../../log";
import type { Services } from "../../services";
import { dropIntent, getIntent, trackFromIntent } from "./intents";
import { adoptable, INTENT_WINDOW_MS, type Intent } from "./ownership";
import { forgetChannel, getChannel, liveChannels, occupancyRebuiltAt, occupants, readVoiceSettings, type TempChannel } from "./storage";
import { deletePayload, intentPayload } from "./timer-payloads";

export const timerName = (guildId: string, channelId: string) => `vc:${guildId}:${channelId}`;
/** Creation intents are reconciled on the guild's voice timer. */
export const guildTimerName = (guildId: string) => `vg:${guildId}`;
/** While occupancy cannot be trusted (the relay is down or catching up), deletion is looked at again this often. */
export const STALE_RETRY_MS = 60_000;

/**
 * (Re)arms the channel's check at now + empty minutes (the same key, so a later moment replaces it). Joins call
 * it too: the check finds the channel occupied and looks again later, so a channel always has a pending check
 * and a leave that a crash lost can never strand it.
 */
export async function scheduleDeletion(s: Services, guildId: string, channelId: string): Promise<void> {
  const { empty_minutes } = await readVoiceSettings(s.env.DB, guildId);
  await s
    .timer(timerName(guildId, channelId))
    .schedule("delete", s.now() + empty_minutes * 60_000, "voice.delete", { guild_id: guildId, channel_id: channelId });
}

/**
 * Occupancy in D1 is complete only if the gateway has been current since the channel was made (or since the
 * guild's last GUILD_CREATE rebuilt it): otherwise someone may have joined while the relay was down.
 */
async function occupancyTrusted(s: Services, ch: TempChannel): Promise<{ ok: boolean; since: number | null }> {
  const since = await gatewayCurrentSince(s.env, ch.guild_id, s.now());
  if (since === null) return { ok: false, since };
  const complete = Math.max(ch.created_at, (await occupancyRebuiltAt(s.env.DB, ch.guild_id)) ?? 0);
  return { ok: complete >= since, since };
}

const deleteWhenEmpty: TimerAction<"voice.delete"> = {
  kind: "voice.delete",
  payload: deletePayload,
  // An empty channel left standing is what members see: it goes before bulk and background work.
  lane: "critical",
  async run(item, { services: s, now }) {
    const p = item.payload;
    const ch = await getChannel(s.env.DB, p.guild_id, p.channel_id);
    if (!ch) return; // deleted by hand, already forgotten
    const { empty_minutes } = await readVoiceSettings(s.env.DB, p.guild_id);
    // Someone is in it: look again later (the last leave brings this forward).
    if ((await occupants(s.env.DB, p.guild_id, p.channel_id)) > 0) return { again: { dueAt: now + empty_minutes * 60_000 } };
    // Discord has no list of a channel's voice members outside the gateway: wait until the gateway is current
    // and has (re)told us who is where, rather than delete a channel someone joined while we were not listening.
    const trusted = await occupancyTrusted(s, ch);
    if (!trusted.ok) {
      logger.info("voice.delete_deferred", { guild_id: p.guild_id, channel_id: p.channel_id, gateway_since: trusted.since });
      return { again: { dueAt: now + STALE_RETRY_MS } };
    }
    try {
      await s.api.channels.delete(p.channel_id, { reason: "Temporary voice channel empty" });
    } catch (err) {
      if (!(err instanceof DiscordApiError && err.notFound)) throw err;
    }
    await forgetChannel(s.env.DB, p.guild_id, p.channel_id);
    await s.bus.emit(
      "voice.channel_deleted",
      { channel_id: p.channel_id, name: ch.name, kind: ch.kind, lived_ms: s.now() - ch.created_at },
      { guildId: p.guild_id },
    );
  },
};

/** After the intent's window: adopt what its POST made that D1 does not know (a crash, a retried create). */
const reconcileIntent: TimerAction<"voice.reconcile"> = {
  kind: "voice.reconcile",
  payload: intentPayload,
  lane: "background",
  async run(item, { services: s }) {
    const p = item.payload;
    const intent = await getIntent(s.env.DB, p.guild_id, p.nonce);
    if (!intent) return;
    // The bot's records after Discord's list (which waits for its REST slot), never older than it.
    const channels = await s.api.guilds.channels(p.guild_id);
    const live = await liveChannels(s.env.DB, p.guild_id);
    const found = adoptable(channels, intent, new Set(live.map((c) => c.channel_id)));
    for (const ch of found) await adopt(s, intent, ch.id);
    // Its answer came back and the channel is tracked, but the deletion check is planned after that write: an
    // invocation that ended in between left a channel nothing would ever remove.
    if (intent.channel_id && live.some((c) => c.channel_id === intent.channel_id)) await ensureDeletionCheck(s, p.guild_id, intent.channel_id);
    await dropIntent(s.env.DB, p.guild_id, p.nonce);
  },
};

/** Plans the channel's deletion check unless one is pending (a pending one keeps its time). */
async function ensureDeletionCheck(s: Services, guildId: string, channelId: string): Promise<void> {
  const items = await s.timer(timerName(guildId, channelId)).list();
  if (!items.some((i) => i.key === "delete" && i.status === "pending")) await scheduleDeletion(s, guildId, channelId);
}

/** Tracks a channel an intent's POST made (found by its mark) and plans its deletion check. */
export async function adopt(s: Services, intent: Intent, channelId: string): Promise<void> {
  // A duplicate of a match channel gets no match key (the unique one is taken): it is just removed when empty.
  if (!(await trackFromIntent(s.env.DB, intent, channelId, intent.match_key))) await trackFromIntent(s.env.DB, intent, channelId, null);
  await scheduleDeletion(s, intent.guild_id, channelId);
  logger.warn("voice.adopted", { guild_id: intent.guild_id, channel_id: channelId, intent: intent.nonce });
}

/** Plans the intent's reconciliation before its POST is sent, so a crash at any point is covered. */
export async function planReconcile(s: Services, intent: Intent): Promise<void> {
  await s
    .timer(guildTimerName(intent.guild_id))
    .schedule(`intent:${intent.nonce}`, intent.created_at + INTENT_WINDOW_MS, "voice.reconcile", { guild_id: intent.guild_id, nonce: intent.nonce });
}

export const timerKinds: TimerAction[] = [deleteWhenEmpty, reconcileIntent];
