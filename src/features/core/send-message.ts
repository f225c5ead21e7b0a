/** Timer kind `core.send_message`: posts a message to a channel when due (announcements, start messages, channel reminders). */
import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { Routes } from "discord-api-types/v10";
import { DiscordApiError } from "../../discord/errors";
import type { TimerAction } from "../../feature";
import { NO_MENTIONS } from "../../interactions/reply";
import { PermanentError } from "../../timers/kinds";
import { stableId } from "../../util/hash";

export interface SendMessagePayload {
  guild_id: string;
  channel_id: string;
  message: RESTPostAPIChannelMessageJSONBody;
}

export const sendMessage: TimerAction = {
  kind: "core.send_message",
  maxAttempts: 5,
  async run(item, { services, timerName }) {
    const p = item.payload as SendMessagePayload;
    if (!p?.channel_id || !p.message) throw new PermanentError("payload needs channel_id and message");
    // The nonce makes a retry after a lost response a no-op on Discord's side (enforce_nonce).
    const body: RESTPostAPIChannelMessageJSONBody = {
      allowed_mentions: NO_MENTIONS,
      ...p.message,
      nonce: stableId(`${timerName}|${item.key}`),
      enforce_nonce: true,
    };
    try {
      const msg = await services.discord.post<{ id: string }>(Routes.channelMessages(p.channel_id), { body });
      await services.bus.emit("message.scheduled_sent", { channel_id: p.channel_id, message_id: msg.id }, { guildId: p.guild_id });
    } catch (err) {
      if (err instanceof DiscordApiError && err.notFound) throw new PermanentError(`channel ${p.channel_id} no longer exists`);
      throw err;
    }
  },
};
