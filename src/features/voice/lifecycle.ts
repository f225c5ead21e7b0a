/** Each temporary channel's timer: deleted `empty_minutes` after it empties (or after creation if nobody came). */
import { Routes } from "discord-api-types/v10";
import { DiscordApiError } from "../../discord/errors";
import type { TimerAction } from "../../feature";
import type { Services } from "../../services";
import { forgetChannel, getChannel, occupants, readVoiceSettings } from "./storage";

export const timerName = (guildId: string, channelId: string) => `vc:${guildId}:${channelId}`;

/** Empty now: deletion at now + empty minutes (the same key, so a later empty moment replaces it). */
export async function scheduleDeletion(s: Services, guildId: string, channelId: string): Promise<void> {
  const { empty_minutes } = await readVoiceSettings(s.env.DB, guildId);
  await s
    .timer(timerName(guildId, channelId))
    .schedule("delete", s.now() + empty_minutes * 60_000, "voice.delete", { guild_id: guildId, channel_id: channelId });
}

export async function cancelDeletion(s: Services, guildId: string, channelId: string): Promise<void> {
  await s.timer(timerName(guildId, channelId)).cancel("delete");
}

const deleteWhenEmpty: TimerAction = {
  kind: "voice.delete",
  // An empty channel left standing is what members see: it goes before bulk and background work.
  lane: "critical",
  async run(item, { services: s }) {
    const p = item.payload as { guild_id: string; channel_id: string };
    const ch = await getChannel(s.env.DB, p.guild_id, p.channel_id);
    if (!ch) return; // deleted by hand, already forgotten
    // Someone is in it (a join whose cancel raced this alarm): keep it; the next empty moment reschedules.
    if ((await occupants(s.env.DB, p.guild_id, p.channel_id)) > 0) return;
    try {
      await s.discord.delete(Routes.channel(p.channel_id), { reason: "Temporary voice channel empty" });
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

export const timerKinds: TimerAction[] = [deleteWhenEmpty];
