/** What each event-channel step is told when it is scheduled, parsed before it runs. */
import * as z from "zod";
import { guildPayload } from "../../timers/payloads";

export const eventRefPayload = guildPayload.extend({ event_id: z.string().min(1) });
export const grantPayload = eventRefPayload.extend({ role_id: z.string().nullable().optional() });
export const cleanupPayload = eventRefPayload.extend({ reason: z.string() });
export const memberPayload = eventRefPayload.extend({ user_id: z.string().min(1), add: z.boolean() });
export const dividerPayload = guildPayload.extend({ request: z.string().optional() });

type EventRefPayload = z.infer<typeof eventRefPayload>;

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "ec.create": EventRefPayload;
    "ec.grant": z.infer<typeof grantPayload>;
    "ec.announce": EventRefPayload;
    "ec.start": EventRefPayload;
    "ec.warn": EventRefPayload;
    "ec.member": z.infer<typeof memberPayload>;
    "ec.restore_role": EventRefPayload;
    "ec.resync": EventRefPayload;
    "ec.delete": EventRefPayload;
    "ec.cleanup": z.infer<typeof cleanupPayload>;
    "ec.divider": z.infer<typeof dividerPayload>;
  }
}
