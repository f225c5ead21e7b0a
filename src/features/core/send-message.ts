/** Timer kind `core.send_message`: posts a message to a channel when due, once across retries and restarts. */
import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { DiscordApiError } from "../../discord/errors";
import { postOnce } from "../../discord/post-once";
import type { TimerAction } from "../../feature";
import { NO_MENTIONS } from "../../interactions/reply";
import { PermanentError } from "../../timers/kinds";
import { stableId } from "../../util/hash";
import { sendMessagePayload } from "./timer-payloads";

export const sendMessage: TimerAction<"core.send_message"> = {
  kind: "core.send_message",
  payload: sendMessagePayload,
  // A message scheduled for a time: due then, ahead of bulk and background work.
  lane: "critical",
  maxAttempts: 5,
  async run(item, { services, timerName }) {
    const p = item.payload;
    // One post per item and content: a retry (even after Discord's nonce window) finds the first one;
    // the item re-scheduled with another message posts that one.
    const key = `send:${timerName}:${item.key}:${stableId(JSON.stringify([p.channel_id, p.message]))}`;
    const body: RESTPostAPIChannelMessageJSONBody = { allowed_mentions: NO_MENTIONS, ...p.message };
    try {
      const posted = await postOnce(services, { key, guildId: p.guild_id, channelId: p.channel_id, body });
      if (posted.status === "posted" || posted.status === "found")
        await services.bus.emit("message.scheduled_sent", { channel_id: posted.channelId, message_id: posted.messageId }, { guildId: p.guild_id });
    } catch (err) {
      if (err instanceof DiscordApiError && err.notFound) throw new PermanentError(`channel ${p.channel_id} no longer exists`);
      throw err;
    }
  },
};
