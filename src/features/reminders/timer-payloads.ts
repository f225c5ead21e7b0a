/** What each reminder delivery step is told when it is scheduled, parsed before it runs. */
import * as z from "zod";
import { guildPayload } from "../../timers/payloads";

export const deliveryKeyPayload = guildPayload.extend({
  event_id: z.string().min(1),
  start_at: z.number().int(),
  offset_s: z.number().int().nonnegative(),
});
export const fanoutPayload = deliveryKeyPayload.extend({
  cursor: z.string().optional(),
  /** Items queued before fan-out starts were recorded carry the first attempt's decision here. */
  mode: z.enum(["send", "skip"]).optional(),
  /** A chunk the REST budget deferred keeps the deadline it began waiting with. */
  slot_deadline: z.number().optional(),
  /** The event sits in a channel @everyone cannot see: only members who marked Interested or asked are reminded. */
  hidden: z.boolean().optional(),
  totals: z.object({ sent: z.number(), failed: z.number(), skipped: z.number(), retry: z.number() }).optional(),
});
export const retryPayload = deliveryKeyPayload.extend({ round: z.number().int().positive() });

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "reminders.dm": z.infer<typeof fanoutPayload>;
    "reminders.retry": z.infer<typeof retryPayload>;
    "reminders.channel": z.infer<typeof deliveryKeyPayload>;
  }
}
