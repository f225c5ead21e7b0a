/** A stand-in for another system receiving the bot's webhooks: records each delivery, can be told to fail. */
import type { IncomingHttpHeaders } from "node:http";

export interface Delivery {
  at: number;
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Sink {
  deliveries: Delivery[];
  failNext: number;
  failStatus: number;
  /** Answer every delivery with a 307 to here (a public host bouncing the bot inside). */
  redirectTo: string | null;
}

export class WebhookSinks {
  private readonly sinks = new Map<string, Sink>();

  private sink(name: string): Sink {
    let s = this.sinks.get(name);
    if (!s) {
      s = { deliveries: [], failNext: 0, failStatus: 500, redirectTo: null };
      this.sinks.set(name, s);
    }
    return s;
  }

  /** What reached one sink so far (every attempt, failed ones included). */
  deliveries(name: string): readonly Delivery[] {
    return this.sinks.get(name)?.deliveries ?? [];
  }

  /** `/_emulator/webhook-sink/:name`: POST = a delivery, PUT = {fail, status, redirect}, GET = what arrived. Undefined when not ours. */
  handle(
    method: string,
    path: string,
    raw: string,
    headers: IncomingHttpHeaders,
  ): { status: number; body: unknown; headers?: Record<string, string> } | undefined {
    const m = path.match(/^\/_emulator\/webhook-sink\/([\w-]+)$/);
    if (!m) return undefined;
    const s = this.sink(m[1] as string);
    if (method === "GET") return { status: 200, body: s.deliveries };
    if (method === "PUT") {
      const b = JSON.parse(raw || "{}") as { fail?: number; status?: number; redirect?: string };
      s.failNext = b.fail ?? 0;
      s.failStatus = b.status ?? 500;
      s.redirectTo = b.redirect ?? null;
      return { status: 200, body: { ok: true } };
    }
    const status = s.redirectTo ? 307 : s.failNext > 0 ? s.failStatus : 204;
    if (s.failNext > 0) s.failNext--;
    const picked: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (k.startsWith("x-eventbot-") || k === "content-type") picked[k] = String(v);
    s.deliveries.push({ at: Date.now(), status, headers: picked, body: raw });
    if (s.redirectTo) return { status, body: { error: "moved on purpose" }, headers: { location: s.redirectTo } };
    return { status, body: status === 204 ? undefined : { error: "failing on purpose" } };
  }
}
