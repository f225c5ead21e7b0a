import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { asAdmin, emu, type Fixture, interact, newGuild } from "./helpers";

// The verification snippet from the README, as a receiver would paste it.
async function verifyEventbot(secret: string, timestamp: string, body: string, signature: string) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const mac = Uint8Array.from((signature.replace(/^sha256=/, "").match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
  return fresh && (await crypto.subtle.verify("HMAC", key, mac, new TextEncoder().encode(`${timestamp}.${body}`)));
}

type Delivery = { status: number; headers: Record<string, string>; body: string };
const content = (r: { response: unknown }) => (r.response as { data: { content: string } }).data.content;

async function addHook(g: Fixture, sink: string, events = "bot.*") {
  const url = `${env.EMULATOR_URL}/_emulator/webhook-sink/${sink}`;
  const r = await asAdmin(g, "bot-config", "webhook add", { url, events });
  const text = content(r);
  return { id: text.match(/Webhook `([0-9a-f]+)`/)?.[1] as string, secret: text.match(/store it\): `([0-9a-f]{64})`/)?.[1] as string, text };
}

const timer = (g: Fixture) => env.EVENT_TIMER.getByName(`webhooks:${g.guild_id}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;

/** Runs the guild's webhook timer until nothing is pending, moving its clock past each retry's backoff. */
async function drain(g: Fixture, rounds = 20) {
  const t = timer(g);
  let clock = Date.now();
  for (let i = 0; i < rounds; i++) {
    // An alarm the runtime fired by itself may be running: its alarm reads null until it re-arms.
    const deadline = Date.now() + 3000;
    let next = await t.nextAlarm();
    while (next === null && (await t.list()).some((x) => x.status === "pending") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      next = await t.nextAlarm();
    }
    if (next === null) return;
    clock = Math.max(clock, next);
    await runInDurableObject(t, (instance: EventTimer) => {
      instance.clock = () => clock;
    });
    await runDurableObjectAlarm(t);
  }
}

const sink = (name: string) => emu<Delivery[]>(`/_emulator/webhook-sink/${name}`);
const trigger = (g: Fixture, zone = "Europe/Berlin") =>
  interact({ kind: "command", name: "bot-config", subcommand: "timezone", options: { zone }, guild_id: g.guild_id, user_id: g.admin_id });

describe("outbound webhooks", () => {
  it("delivers signed JSON the README snippet verifies, with the event id for idempotency", async () => {
    const g = await newGuild();
    const name = `ok-${crypto.randomUUID().slice(0, 8)}`;
    const hook = await addHook(g, name);
    expect(hook.secret).toHaveLength(64);
    await trigger(g);
    await drain(g);
    const [d] = await sink(name);
    expect(d?.status).toBe(204);
    const body = JSON.parse(d?.body ?? "{}");
    expect(body).toMatchObject({ event: "bot.config_changed", level: "SYSTEM", guild_id: g.guild_id, data: { setting: "timezone", value: "Europe/Berlin" } });
    expect(d?.headers["x-eventbot-event-id"]).toBe(body.id);
    expect(await verifyEventbot(hook.secret, d?.headers["x-eventbot-timestamp"] ?? "", d?.body ?? "", d?.headers["x-eventbot-signature"] ?? "")).toBe(true);
    expect(await verifyEventbot("0".repeat(64), d?.headers["x-eventbot-timestamp"] ?? "", d?.body ?? "", d?.headers["x-eventbot-signature"] ?? "")).toBe(false);
  });

  it("retries a failing receiver and succeeds once for that event id", async () => {
    const g = await newGuild();
    const name = `retry-${crypto.randomUUID().slice(0, 8)}`;
    await addHook(g, name);
    await emu(`/_emulator/webhook-sink/${name}`, { method: "PUT", body: { fail: 2, status: 503 } });
    await trigger(g);
    await drain(g);
    const all = await sink(name);
    expect(all.map((d) => d.status)).toEqual([503, 503, 204]);
    expect(new Set(all.map((d) => d.headers["x-eventbot-event-id"])).size).toBe(1);
    const list = content(await interact({ kind: "command", name: "bot-config", subcommand: "webhook list", guild_id: g.guild_id, user_id: g.admin_id }));
    expect(list).toContain("✅");
  });

  it("switches a hook off after repeated failures, with a CRITICAL event", async () => {
    const g = await newGuild();
    const name = `dead-${crypto.randomUUID().slice(0, 8)}`;
    await addHook(g, name);
    await emu(`/_emulator/webhook-sink/${name}`, { method: "PUT", body: { fail: 100, status: 500 } });
    await trigger(g);
    await drain(g, 30);
    expect((await sink(name)).length).toBe(8);
    const list = content(await interact({ kind: "command", name: "bot-config", subcommand: "webhook list", guild_id: g.guild_id, user_id: g.admin_id }));
    expect(list).toContain("⛔ disabled");
    const critical = await env.DB.prepare("SELECT level FROM event_log WHERE guild_id = ? AND name = 'webhook.disabled'")
      .bind(g.guild_id)
      .first<{ level: string }>();
    expect(critical?.level).toBe("CRITICAL");
  });

  it.each([
    ["https://10.1.2.3/hook", "private or reserved"],
    ["https://192.168.0.10/hook", "private or reserved"],
    ["https://localhost/hook", "local"],
    ["https://localhost./hook", "local"],
    ["https://0x7f.2/hook", "private or reserved"],
    ["https://[::ffff:127.0.0.1]/hook", "private or reserved"],
    ["https://[64:ff9b::a00:1]/hook", "private or reserved"],
    ["https://100.64.0.1/hook", "private or reserved"],
    ["https://[::1]/hook", "private or reserved"],
    ["http://example.com/hook", "must use https"],
    ["not a url", "not a URL"],
  ])("refuses %s", async (url, why) => {
    const g = await newGuild();
    const r = await interact({ kind: "command", name: "bot-config", subcommand: "webhook add", options: { url }, guild_id: g.guild_id, user_id: g.admin_id });
    expect(content(r)).toContain(why);
    expect(await env.DB.prepare("SELECT 1 FROM webhooks WHERE guild_id = ?").bind(g.guild_id).first()).toBeNull();
  });

  it("refuses at delivery a hook stored with a private host (before the check existed), counting a failure", async () => {
    const g = await newGuild();
    const name = `stored-${crypto.randomUUID().slice(0, 8)}`;
    // localhost reaches the receiver in this test run but is not on WEBHOOK_ALLOW_HOSTS (only 127.0.0.1 is).
    const url = `${env.EMULATOR_URL.replace("127.0.0.1", "localhost")}/_emulator/webhook-sink/${name}`;
    await env.DB.prepare("INSERT INTO webhooks (guild_id, id, url, filter, secret, created_at) VALUES (?, 'a1b2c3d4', ?, '[\"bot.*\"]', ?, ?)")
      .bind(g.guild_id, url, "0".repeat(64), Date.now())
      .run();
    await trigger(g);
    await drain(g);
    expect(await sink(name)).toEqual([]);
    const row = await env.DB.prepare("SELECT failures, enabled FROM webhooks WHERE guild_id = ?").bind(g.guild_id).first();
    expect(row).toEqual({ failures: 1, enabled: 1 });
    // Refused for good: no retries of that delivery.
    expect((await timer(g).list()).map((x) => x.status)).toEqual(["failed"]);
    const test = content(await asAdmin(g, "bot-config", "webhook test", { id: "a1b2c3d4" }));
    expect(test).toBe("Test delivery to webhook `a1b2c3d4`: refused: host not allowed.");
    expect(await sink(name)).toEqual([]);
  });

  it("does not follow a redirect (to an internal host): the delivery counts as failed", async () => {
    const g = await newGuild();
    const outer = `bounce-${crypto.randomUUID().slice(0, 8)}`;
    const inner = `inside-${crypto.randomUUID().slice(0, 8)}`;
    const hook = await addHook(g, outer);
    await emu(`/_emulator/webhook-sink/${outer}`, { method: "PUT", body: { redirect: `${env.EMULATOR_URL}/_emulator/webhook-sink/${inner}` } });
    await trigger(g);
    await drain(g);
    expect((await sink(outer)).map((d) => d.status)).toEqual([307]);
    expect(await sink(inner)).toEqual([]);
    const row = await env.DB.prepare("SELECT failures FROM webhooks WHERE guild_id = ? AND id = ?").bind(g.guild_id, hook.id).first();
    expect(row).toEqual({ failures: 1 });
    expect(content(await asAdmin(g, "bot-config", "webhook test", { id: hook.id }))).toBe(`Test delivery to webhook \`${hook.id}\`: redirect refused.`);
    expect(await sink(inner)).toEqual([]);
  });

  it("/bot-config webhook test reports only the status class, never the answer or the error text", async () => {
    const g = await newGuild();
    const name = `probe-${crypto.randomUUID().slice(0, 8)}`;
    const hook = await addHook(g, name);
    const test = async () => content(await asAdmin(g, "bot-config", "webhook test", { id: hook.id }));
    expect(await test()).toBe(`Test delivery to webhook \`${hook.id}\`: delivered (2xx).`);
    await emu(`/_emulator/webhook-sink/${name}`, { method: "PUT", body: { fail: 1, status: 503 } });
    expect(await test()).toBe(`Test delivery to webhook \`${hook.id}\`: failed: 5xx.`);
    await emu(`/_emulator/webhook-sink/${name}`, { method: "PUT", body: { fail: 1, status: 404 } });
    expect(await test()).toBe(`Test delivery to webhook \`${hook.id}\`: refused: 4xx.`);
    // Nothing listens on port 1 of the allowed host: the connection error's text stays in the logs.
    await env.DB.prepare("UPDATE webhooks SET url = 'http://127.0.0.1:1/closed' WHERE guild_id = ? AND id = ?").bind(g.guild_id, hook.id).run();
    expect(await test()).toBe(`Test delivery to webhook \`${hook.id}\`: no answer / connection failed.`);
  });
});
