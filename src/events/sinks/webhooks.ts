/**
 * Outbound webhooks: each event a guild's hook wants is delivered as signed JSON (HMAC-SHA256 over
 * `timestamp.body`), at least once, with the event id for idempotency, retried on the EventTimer; a hook
 * that keeps failing is switched off with a CRITICAL `webhook.disabled`.
 */

import * as z from "zod";
import type { Env } from "../../env";
import type { Listener, TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { PermanentError } from "../../timers/kinds";
import { guildPayload } from "../../timers/payloads";
import type { EmittedEvent } from "../bus";
import { checkWebhookUrl, parseAllowHosts, type Refusal } from "./webhook-host";

const deliveryPayload = guildPayload.extend({
  webhook_id: z.string().min(1),
  event: z.custom<EmittedEvent>((v) => typeof v === "object" && v !== null && "id" in v && typeof v.id === "string", "event must be an emitted event"),
});

declare module "../../timers/payloads" {
  interface TimerPayloads {
    "webhooks.deliver": z.infer<typeof deliveryPayload>;
  }
}

/** Failed attempts in a row (each retry counts) before a hook is switched off. */
export const MAX_FAILURES = 8;
const TIMEOUT_MS = 10_000;

export interface Webhook {
  guild_id: string;
  id: string;
  url: string;
  filter: string[];
  enabled: boolean;
  failures: number;
}

type Row = Omit<Webhook, "filter" | "enabled"> & { filter: string; enabled: number; secret: string };

export async function listWebhooks(db: D1Database, guildId: string): Promise<(Webhook & { secret: string })[]> {
  const rows = await db.prepare("SELECT * FROM webhooks WHERE guild_id = ? ORDER BY created_at").bind(guildId).all<Row>();
  return rows.results.map((r) => ({ ...r, filter: JSON.parse(r.filter), enabled: r.enabled === 1 }));
}

export const wants = (filter: readonly string[], name: string) =>
  filter.length === 0 || filter.some((f) => f === name || (f.endsWith(".*") && name.startsWith(f.slice(0, -1))));

const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");

/** `sha256=` + hex HMAC-SHA256 of `${timestamp}.${body}` with the hook's secret (the README shows how to check it). */
export async function sign(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `sha256=${hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${body}`)))}`;
}

export const webhookTimer = (guildId: string) => `webhooks:${guildId}`;

export const webhookSink: Listener = {
  on: "*",
  name: "webhooks",
  async handle(event, s) {
    if (!event.guild_id) return;
    const hooks = (await listWebhooks(s.env.DB, event.guild_id)).filter((h) => h.enabled && wants(h.filter, event.name));
    for (const h of hooks) {
      await s
        .timer(webhookTimer(event.guild_id))
        .schedule(`deliver:${h.id}:${event.id}`, s.now(), "webhooks.deliver", { guild_id: event.guild_id, webhook_id: h.id, event });
    }
  },
};

/** How one delivery ended; only its class (never response or error text) is shown to admins or sent on. */
export type DeliveryOutcome =
  | { kind: "delivered"; status: number }
  | { kind: "refused-host"; reason: Refusal; host: string | null }
  | { kind: "redirect"; status: number }
  | { kind: "http-error"; status: number }
  | { kind: "no-answer"; error: unknown };

/** What an admin sees of a delivery: a status class, so the command is no probe of the network behind a host. */
export function outcomeClass(o: DeliveryOutcome): string {
  switch (o.kind) {
    case "delivered":
      return "delivered (2xx)";
    case "refused-host":
      return "refused: host not allowed";
    case "redirect":
      return "redirect refused";
    case "http-error":
      return o.status >= 400 && o.status < 500 ? "refused: 4xx" : "failed: 5xx";
    case "no-answer":
      return "no answer / connection failed";
  }
}

export const allowedHosts = (env: Pick<Env, "WEBHOOK_ALLOW_HOSTS">) => parseAllowHosts(env.WEBHOOK_ALLOW_HOSTS);

/**
 * Delivers one event to one hook. The host is checked again here, on every attempt (a hook stored before a rule
 * existed, or an allow-list that changed since, is refused), and redirects are never followed: a public host
 * could otherwise bounce the request inside.
 */
export async function deliver(h: { url: string; secret: string }, event: EmittedEvent, now: number, allow: readonly string[]): Promise<DeliveryOutcome> {
  const check = checkWebhookUrl(h.url, allow);
  if (!check.ok) return { kind: "refused-host", reason: check.reason, host: check.host };
  const body = JSON.stringify({
    id: event.id,
    event: event.name,
    level: event.level,
    guild_id: event.guild_id,
    occurred_at: event.occurred_at,
    data: event.data,
  });
  const timestamp = String(Math.floor(now / 1000));
  let res: Response;
  try {
    res = await fetch(h.url, {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/json",
        "user-agent": "eventbot-webhooks",
        "x-eventbot-event-id": event.id,
        "x-eventbot-timestamp": timestamp,
        "x-eventbot-signature": await sign(h.secret, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    return { kind: "no-answer", error };
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return { kind: "delivered", status: res.status };
  if (res.status >= 300 && res.status < 400) return { kind: "redirect", status: res.status };
  return { kind: "http-error", status: res.status };
}

/** The host for logs and the `webhook.disabled` event; a stored URL that no longer parses must not throw here. */
export const hostOf = (url: string) => URL.parse(url)?.host ?? "(invalid URL)";

async function failed(s: Services, h: Webhook, reason: string): Promise<void> {
  const failures = h.failures + 1;
  const disable = failures >= MAX_FAILURES;
  await s.env.DB.prepare("UPDATE webhooks SET failures = ?, enabled = ? WHERE guild_id = ? AND id = ?")
    .bind(failures, disable ? 0 : 1, h.guild_id, h.id)
    .run();
  if (disable) {
    logger.error("webhook.disabled", { guild_id: h.guild_id, webhook_id: h.id, failures, reason });
    await s.bus.emit("webhook.disabled", { webhook_id: h.id, host: hostOf(h.url), failures, reason }, { guildId: h.guild_id });
    throw new PermanentError(`webhook ${h.id} disabled after ${failures} failures`);
  }
}

/** Whether another attempt could go differently: refused hosts, redirects and 4xx (but 408/429) will not. */
const retryable = (o: DeliveryOutcome) =>
  o.kind === "no-answer" || (o.kind === "http-error" && (o.status >= 500 || o.status < 400 || o.status === 408 || o.status === 429));

const deliverKind: TimerAction<"webhooks.deliver"> = {
  kind: "webhooks.deliver",
  payload: deliveryPayload,
  maxAttempts: MAX_FAILURES,
  async run(item, { services: s }) {
    const p = item.payload;
    const h = (await listWebhooks(s.env.DB, p.guild_id)).find((x) => x.id === p.webhook_id);
    if (!h?.enabled) return; // removed or switched off since: nothing to deliver
    const outcome = await deliver(h, p.event, s.now(), allowedHosts(s.env));
    if (outcome.kind === "delivered") {
      if (h.failures) await s.env.DB.prepare("UPDATE webhooks SET failures = 0 WHERE guild_id = ? AND id = ?").bind(h.guild_id, h.id).run();
      return;
    }
    const reason = outcomeClass(outcome);
    const fields = { guild_id: h.guild_id, webhook_id: h.id, host: hostOf(h.url), event_id: p.event.id, outcome: reason };
    if (outcome.kind === "refused-host") logger.warn("webhook.host_refused", { ...fields, reason: outcome.reason, normalised_host: outcome.host });
    else if (outcome.kind === "no-answer") logger.warn("webhook.no_answer", { ...fields, error: outcome.error });
    else logger.warn("webhook.delivery_failed", { ...fields, status: outcome.status });
    await failed(s, h, reason);
    if (!retryable(outcome)) throw new PermanentError(`webhook ${h.id}: ${reason}`);
    throw new Error(`webhook ${h.id}: ${reason}`);
  },
};

export const webhookTimerKinds: TimerAction[] = [deliverKind];
