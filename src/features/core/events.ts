/** Core events: failures every operator must see, and configuration changes. */
import type { EventDefinitions } from "../../events/catalog";
import type { RelayState } from "../../gateway/relay";
import { publicError } from "../../log";

type Obj = Record<string, unknown>;

/** The relay's state, without the session id (it lets anyone with the token resume our session). */
function relayState(o: unknown) {
  const s = o as RelayState;
  return {
    shard: s.shard,
    status: s.status,
    seq: s.seq,
    resumes: s.resumes,
    last_close: s.last_close,
    fatal: s.fatal ? { code: s.fatal.code, reason: s.fatal.reason } : null,
  };
}

export const coreEvents: EventDefinitions = {
  serializers: {
    "interaction.failed": (o, ctx) => ({ ref: (o as Obj).ref, error: publicError((o as Obj).error), interaction_type: ctx.interactionType }),
    "timer.failed": (o, ctx) => {
      const item = o as { key: string; kind: string; attempts: number };
      return { key: item.key, kind: item.kind, attempts: item.attempts, timer: ctx.timer, error: publicError(ctx.error) };
    },
    "bot.config_changed": (o, ctx) => ({ setting: (o as Obj).setting, value: (o as Obj).value, by_user_id: ctx.userId }),
    "message.scheduled_sent": (o) => ({ channel_id: (o as Obj).channel_id, message_id: (o as Obj).message_id }),
    "webhook.disabled": (o) => ({ webhook_id: (o as Obj).webhook_id, host: (o as Obj).host, failures: (o as Obj).failures, reason: (o as Obj).reason }),
    "gateway.connected": relayState,
    "gateway.disconnected": relayState,
    "gateway.fatal": relayState,
  },
  sets: {
    CRITICAL: ["interaction.failed", "timer.failed", "gateway.fatal", "webhook.disabled"],
    SYSTEM: ["bot.config_changed", "gateway.connected", "gateway.disconnected"],
    FULL: ["message.scheduled_sent"],
  },
};
