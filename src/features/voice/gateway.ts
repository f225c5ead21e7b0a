/**
 * Occupancy from the gateway: every move (re)arms the affected channels' checks; reconnects rebuild it.
 * Replay-safe: the same dispatch handled twice records the same place and re-arms the same checks.
 */
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { type GatewayHandler, gatewayHandler } from "../../feature";
import { scheduleDeletion, timerName } from "./lifecycle";
import { forgetChannel, liveChannels, moveMember, readVoiceSettings, replaceMembers } from "./storage";

export const gatewayHandlers: GatewayHandler[] = [
  gatewayHandler(GatewayDispatchEvents.VoiceStateUpdate, "voice.occupancy", async (state, s) => {
    if (!state.guild_id) return;
    const { left, joined } = await moveMember(s.env.DB, state.guild_id, state.user_id, state.channel_id);
    // A join pushes the check back (it finds the channel occupied and looks again); a leave starts the empty time.
    if (joined) await scheduleDeletion(s, state.guild_id, joined);
    if (left) await scheduleDeletion(s, state.guild_id, left);
  }),
  gatewayHandler(GatewayDispatchEvents.GuildCreate, "voice.rebuild", async (guild, s, meta) => {
    // After a fresh connection Discord lists everyone in voice: occupancy is rebuilt from that, so no
    // channel is stranded and none with people in it is deleted.
    // An outage's GUILD_CREATE (`unavailable`) lists nobody: it says nothing about who is in voice.
    if (("unavailable" in guild && guild.unavailable) || !Array.isArray(guild.voice_states)) return;
    const live = await liveChannels(s.env.DB, guild.id);
    if (!live.length && !(await readVoiceSettings(s.env.DB, guild.id)).category_id) return;
    await replaceMembers(
      s.env.DB,
      guild.id,
      guild.voice_states.map((v) => ({ user_id: v.user_id, channel_id: v.channel_id })),
      // Complete as of when Discord sent it (it may be reconciled much later, set aside off the dispatch path).
      meta.received_at,
    );
    for (const ch of live) await scheduleDeletion(s, guild.id, ch.channel_id);
  }),
  gatewayHandler(GatewayDispatchEvents.ChannelDelete, "voice.deleted_by_hand", async (ch, s) => {
    const guildId = "guild_id" in ch ? ch.guild_id : undefined;
    if (!guildId) return;
    if (await forgetChannel(s.env.DB, guildId, ch.id)) await s.timer(timerName(guildId, ch.id)).cancel("*");
  }),
];
