/** What each temporary-voice step is told when it is scheduled, parsed before it runs. */
import * as z from "zod";
import { guildPayload } from "../../timers/payloads";

export const deletePayload = guildPayload.extend({ channel_id: z.string().min(1) });
export const intentPayload = guildPayload.extend({ nonce: z.string().min(1) });

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "voice.delete": z.infer<typeof deletePayload>;
    "voice.reconcile": z.infer<typeof intentPayload>;
  }
}
