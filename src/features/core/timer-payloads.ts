/** What the core's timer kinds (scheduled messages, retention) are told when scheduled, parsed before they run. */
import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import * as z from "zod";
import { guildPayload } from "../../timers/payloads";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const sendMessagePayload = guildPayload.extend({
  channel_id: z.string().min(1),
  // The body is Discord's to judge (and clamped by the REST client); here it only has to be an object.
  message: z.custom<RESTPostAPIChannelMessageJSONBody>(isObject, "message must be an object"),
});

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "core.send_message": z.infer<typeof sendMessagePayload>;
    "retention.daily": z.infer<typeof guildPayload>;
    "retention.purge": z.infer<typeof guildPayload>;
  }
}
