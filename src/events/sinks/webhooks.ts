/**
 * Outbound webhooks: each event a guild's hook wants is delivered as signed JSON (HMAC-SHA256 over
 * `timestamp.body`), at least once, with the event id for idempotency, retried on the EventTimer; a hook
 * that keeps failing is switched off with a CRITICAL `webhook.disabled`.
 */

import type { Listener, TimerAction } from "../../feature";
import { logger } from "../../log";
import type { Services } from "../../services";
import { PermanentError } from "../../timers/kinds";
import type { EmittedEvent } from "../bus";

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

/** Hosts a hook may not point at: loopback, private and link-local ranges, and local names (SSRF). */
export function refusedHost(url: URL, allowed: readonly string[] = []): string | null {
  if (url.protocol !== "https:" && !allowed.includes(url.hostname)) return "Webhook URLs must use https.";
  const h = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (allowed.includes(h)) return null;
  if (h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || (!h.includes(".") && !h.includes(":")))
    return "That host is local; webhooks must reach a public address.";
  const v4 = h.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    if (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    )
      return "That address is private or reserved; webhooks must reach a public address.";
  }
  if (h.includes(":") && (h === "::1" || h === "::" || h.startsWith("fc") || h.startsWith("fd") || h.startsWith("fe80") || h.startsWith("::ffff:")))
    return "That address is private or reserved; webhooks must reach a public address.";
  return null;
}

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

/** Delivers one event to one hook; returns the HTTP status (throws on network errors and timeouts). */
export async function deliver(h: { url: string; secret: string }, event: EmittedEvent, now: number): Promise<number> {
  const body = JSON.stringify({
    id: event.id,
    event: event.name,
    level: event.level,
    guild_id: event.guild_id,
    occurred_at: event.occurred_at,
    data: event.data,
  });
  const timestamp = String(Math.floor(now / 1000));
  const res = await fetch(h.url, {
    method: "POST",
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
  await res.body?.cancel();
  return res.status;
}

async function failed(s: Services, h: Webhook, reason: string): Promise<void> {
  const failures = h.failures + 1;
  const disable = failures >= MAX_FAILURES;
  await s.env.DB.prepare("UPDATE webhooks SET failures = ?, enabled = ? WHERE guild_id = ? AND id = ?")
    .bind(failures, disable ? 0 : 1, h.guild_id, h.id)
    .run();
  if (disable) {
    logger.error("webhook.disabled", { guild_id: h.guild_id, webhook_id: h.id, failures, reason });
    await s.bus.emit("webhook.disabled", { webhook_id: h.id, host: new URL(h.url).host, failures, reason }, { guildId: h.guild_id });
    throw new PermanentError(`webhook ${h.id} disabled after ${failures} failures`);
  }
}

const deliverKind: TimerAction = {
  kind: "webhooks.deliver",
  maxAttempts: MAX_FAILURES,
  async run(item, { services: s }) {
    const p = item.payload as { guild_id: string; webhook_id: string; event: EmittedEvent };
    const h = (await listWebhooks(s.env.DB, p.guild_id)).find((x) => x.id === p.webhook_id);
    if (!h?.enabled) return; // removed or switched off since: nothing to deliver
    let status: number;
    try {
      status = await deliver(h, p.event, s.now());
    } catch (error) {
      await failed(s, h, error instanceof Error ? error.message : String(error));
      throw error;
    }
    if (status >= 200 && status < 300) {
      if (h.failures) await s.env.DB.prepare("UPDATE webhooks SET failures = 0 WHERE guild_id = ? AND id = ?").bind(h.guild_id, h.id).run();
      return;
    }
    await failed(s, h, `HTTP ${status}`);
    // 4xx other than 408/429 will not change on retry; the rest may.
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentError(`webhook answered ${status}`);
    throw new Error(`webhook answered ${status}`);
  },
};

export const webhookTimerKinds: TimerAction[] = [deliverKind];
