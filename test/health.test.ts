import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createFetchHandler } from "../src/app";
import type { Env } from "../src/env";
import { registry } from "../src/features";

type Health = { ok: boolean; checked_at: string; d1: { ok: boolean; error?: string; ref?: string }; crons: { job: string }[] | null; relay: unknown };

/** A fresh isolate's handler (its own /health cache), called like the runtime calls the Worker. */
function worker(options?: { healthCacheMs?: number }) {
  const handler = createFetchHandler(registry, options);
  return async (bindings: Env = env) => {
    const ctx = createExecutionContext();
    const res = await handler(new Request("https://bot.test/health"), bindings, ctx);
    await waitOnExecutionContext(ctx);
    return { status: res.status, text: await res.text() };
  };
}

const probeJob = () => `health-probe-${crypto.randomUUID().slice(0, 8)}`;
const addCronRow = (job: string) => env.DB.prepare("INSERT INTO cron_runs (job, last_started_at, last_status) VALUES (?, ?, 'ok')").bind(job, Date.now()).run();
const jobs = (text: string) => ((JSON.parse(text) as Health).crons ?? []).map((c) => c.job);

// D1 as it answers when the database is unreachable or broken; the message carries internals that must stay in logs.
const D1_FAILURE = "D1_ERROR: no such table: cron_runs: SQLITE_ERROR (internal detail 7f3a)";
function brokenD1(): D1Database {
  const fail = () => Promise.reject(new Error(D1_FAILURE));
  const statement = { bind: () => statement, first: fail, all: fail, run: fail, raw: fail };
  const db = { prepare: () => statement, batch: fail, exec: fail, dump: fail, withSession: () => db };
  return db as unknown as D1Database;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("/health", () => {
  it("two calls within the cache window cost one set of queries: the second sees nothing new in D1", async () => {
    const call = worker();
    const first = await call();
    expect(first.status).toBe(200);
    const job = probeJob();
    await addCronRow(job);
    const second = await call();
    // Had the second call queried D1, it would list the new cron row.
    expect(second.text).toBe(first.text);
    expect(jobs(second.text)).not.toContain(job);
    // A burst of concurrent calls shares one computation too.
    const fresh = worker();
    const burst = await Promise.all([fresh(), fresh(), fresh()]);
    expect(new Set(burst.map((r) => r.text)).size).toBe(1);
    expect(jobs(burst[0]?.text ?? "")).toContain(job);
  });

  it("computes again once the window has passed", async () => {
    const call = worker({ healthCacheMs: 50 });
    const job = probeJob();
    expect(jobs((await call()).text)).not.toContain(job);
    await addCronRow(job);
    await new Promise((r) => setTimeout(r, 80));
    expect(jobs((await call()).text)).toContain(job);
  });

  it("a D1 failure shows as 'd1: error' with a ref; the full error is only in the log under that ref", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await worker()({ ...env, DB: brokenD1() });
    expect(res.status).toBe(503);
    expect(res.text).not.toMatch(/D1_ERROR|no such table|SQLITE|internal detail/);
    const body = JSON.parse(res.text) as Health;
    expect(body.d1).toEqual({ ok: false, error: "d1: error", ref: expect.stringMatching(/^[0-9a-f]{8}$/) });
    const line = logged.mock.calls.map((c) => String(c[0])).find((l) => l.includes(body.d1.ref as string));
    expect(line).toContain("internal detail 7f3a");
  });

  it("shows how far ahead each lane of the REST budget is booked", async () => {
    const { rateGate } = await import("../src/discord/rate-gate");
    await rateGate(env.RATE_GATE).take({ lane: "bulk", guild: "g1", n: 10 });
    const body = JSON.parse((await worker()()).text) as { rest_budget: Record<string, { booked: number; ahead_ms: number }> };
    expect(Object.keys(body.rest_budget).sort()).toEqual(["background", "bulk", "critical", "interactive"]);
    expect(body.rest_budget.bulk?.booked).toBeGreaterThan(0);
    expect(body.rest_budget.bulk?.ahead_ms).toBeGreaterThan(0);
    expect(body.rest_budget.bulk?.ahead_ms).toBeLessThanOrEqual(1_500);
    expect(body.rest_budget.critical).toEqual({ booked: 0, ahead_ms: 0, guilds: 0, waiting: 0 });
  });

  it("a relay failure shows as 'relay: error' with a ref, never its text", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const relay = {
      getByName: () => {
        throw new Error("relay internals: storage reset at 10.0.0.7");
      },
    };
    const res = await worker()({ ...env, GATEWAY_RELAY: relay as unknown as Env["GATEWAY_RELAY"] });
    expect(res.text).not.toContain("relay internals");
    expect((JSON.parse(res.text) as Health).relay).toEqual({ error: "relay: error", ref: expect.stringMatching(/^[0-9a-f]{8}$/) });
  });
});

describe("server-side failures of any route", () => {
  it("answer 'internal error' with a ref, never the error's text (here: a misconfigured public key)", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const handler = createFetchHandler(registry);
    const ctx = createExecutionContext();
    const res = await handler(
      new Request("https://bot.test/interactions", {
        method: "POST",
        headers: { "X-Signature-Ed25519": "ab".repeat(64), "X-Signature-Timestamp": String(Math.floor(Date.now() / 1000)) },
        body: "{}",
      }),
      { ...env, DISCORD_PUBLIC_KEY: "not-a-key" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "internal error", ref: expect.stringMatching(/^[0-9a-f]{8}$/) });
  });
});
