/** Occupancy from the gateway: joins cancel a pending deletion, the last leave schedules one; reconnects rebuild it. */
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { type GatewayHandler, gatewayHandler } from "../../feature";
import type { Services } from "../../services";
import { cancelDeletion, scheduleDeletion, timerName } from "./lifecycle";
import { forgetChannel, liveChannels, moveMember, occupants, replaceMembers } from "./storage";

async function settle(s: Services, guildId: string, channelId: string): Promise<void> {
  if ((await occupants(s.env.DB, guildId, channelId)) === 0) await scheduleDeletion(s, guildId, channelId);
  else await cancelDeletion(s, guildId, channelId);
}

export const gatewayHandlers: GatewayHandler[] = [
  gatewayHandler(GatewayDispatchEvents.VoiceStateUpdate, "voice.occupancy", async (state, s) => {
    if (!state.guild_id) return;
    const { left, joined } = await moveMember(s.env.DB, state.guild_id, state.user_id, state.channel_id);
    if (joined) await cancelDeletion(s, state.guild_id, joined);
    if (left) await settle(s, state.guild_id, left);
  }),
  gatewayHandler(GatewayDispatchEvents.GuildCreate, "voice.rebuild", async (guild, s) => {
    // After a fresh connection Discord lists everyone in voice: occupancy is rebuilt from that, so no
    // channel is stranded and none with people in it is deleted.
    if (!(await liveChannels(s.env.DB, guild.id)).length) return;
    await replaceMembers(
      s.env.DB,
      guild.id,
      (guild.voice_states ?? []).map((v) => ({ user_id: v.user_id, channel_id: v.channel_id })),
    );
    for (const ch of await liveChannels(s.env.DB, guild.id)) await settle(s, guild.id, ch.channel_id);
  }),
  gatewayHandler(GatewayDispatchEvents.ChannelDelete, "voice.deleted_by_hand", async (ch, s) => {
    const guildId = "guild_id" in ch ? ch.guild_id : undefined;
    if (!guildId) return;
    if (await forgetChannel(s.env.DB, guildId, ch.id)) await s.timer(timerName(guildId, ch.id)).cancel("*");
  }),
];
