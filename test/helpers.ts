/** Test helpers: talk to the emulator, deliver signed interactions to the Worker, and snapshot D1. */
import { createExecutionContext, createScheduledController, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { APIInteractionResponse } from "discord-api-types/v10";
import { FAN_OUT_START_DELAY_MS, fanOutTimer } from "../src/fan-out";
import { registry } from "../src/features";
import worker, { type EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import type { InteractionRequest } from "./emulator/interactions";

/**
 * How long a test waits for the relay, a timer or the emulator to act. Loops return as soon as it has; the bound is
 * generous because every test file's relay sees every file's dispatches on 2 shared cores.
 */
export const WAIT_MS = 20_000;

export async function emu<T = unknown>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const send = () =>
    fetch(`${env.EMULATOR_URL}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: { "content-type": "application/json" },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  // A connection lost before any answer never reached the emulator (a pooled connection closed under it): sent again once.
  const res = await send().catch((error: unknown) => {
    if (error instanceof Error && error.message.includes("Network connection lost")) return send();
    throw error;
  });
  if (!res.ok) throw new Error(`emulator ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface Fixture {
  guild_id: string;
  owner_id: string;
  admin_id: string;
  member_id: string;
  bot_id: string;
  roles: { everyone: string; admin: string; bot: string };
  channels: { category: string; text: string; voice: string };
}

/** A fresh guild of its own for each test, so tests never share Discord state. */
export function newGuild(opts: { bot_permissions?: bigint; everyone_permissions?: bigint } = {}): Promise<Fixture> {
  return emu<Fixture>("/_emulator/guilds", {
    body: { bot_permissions: opts.bot_permissions?.toString(), everyone_permissions: opts.everyone_permissions?.toString() },
  });
}

/** Calls the Worker's fetch handler and waits for everything it left in waitUntil (followups). */
export async function callWorker(request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

export interface InteractionResult {
  id: string;
  token: string;
  status: number;
  response: APIInteractionResponse;
  /** Whether Discord would accept the response body (validated by the emulator against the OpenAPI schema). */
  valid: boolean;
  issues: unknown[];
}

/** Sends an interaction as a member would: built and signed by the emulator, delivered to the Worker. */
export async function interact(req: InteractionRequest, opts: { at?: number } = {}): Promise<InteractionResult> {
  const prepared = await emu<{ id: string; token: string; body: string; headers: Record<string, string> }>("/_emulator/interactions", {
    body: { ...req, at: opts.at },
  });
  // As on Discord, the HTTP answer is recorded before any followup the Worker sends from waitUntil.
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request("https://bot.test/interactions", { method: "POST", headers: prepared.headers, body: prepared.body }), env, ctx);
  const response = (await res.json()) as APIInteractionResponse;
  let check = { valid: false, issues: [] as unknown[] };
  if (res.status === 200) check = await emu(`/_emulator/interactions/${prepared.id}/response`, { body: response });
  await waitOnExecutionContext(ctx);
  return { id: prepared.id, token: prepared.token, status: res.status, response, ...check };
}

export async function interactionRecord(id: string) {
  return emu<{ original?: { content: string; embeds: { title?: string; description?: string }[] }; followups: unknown[] }>(`/_emulator/interactions/${id}`);
}

export type GuildState = {
  guilds: {
    id: string;
    roles: { id: string; name: string }[];
    channels: { id: string; name: string; type: number }[];
    members: { user_id: string; roles: string[] }[];
  }[];
  messages: Record<string, { id: string; content: string; embeds: unknown[]; author: { id: string } }[]>;
};

export function guildState(guildId: string): Promise<GuildState> {
  return emu<GuildState>(`/_emulator/state?guild=${guildId}`);
}

export function requestsTo(
  pathContains: string,
): Promise<{ at: number; method: string; path: string; status: number; body: unknown; user_agent: string | null }[]> {
  return emu(`/_emulator/requests?path_contains=${encodeURIComponent(pathContains)}`);
}

/** Every row of every app table, to prove a rejected request changed nothing. */
export async function dbSnapshot(): Promise<Record<string, unknown[]>> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables.results) out[name] = (await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results;
  return out;
}

/** A guild admin runs a slash command (the common set-up step of feature tests). */
export function asAdmin(g: Fixture, name: string, subcommand: string, options: Record<string, string | number | boolean> = {}): Promise<InteractionResult> {
  return interact({ kind: "command", name, subcommand, options, guild_id: g.guild_id, user_id: g.admin_id });
}

/**
 * A cron trigger as Cloudflare fires it, then what it fanned out: each fan-out timer until every guild is enqueued,
 * and the given guild timers until their runs are done (the fan-out spreads them over its pages).
 */
export async function cronAndFanOut(cron: string, scheduledTime = Date.now(), guildTimers: string[] = []): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron, scheduledTime }), env, ctx);
  await waitOnExecutionContext(ctx);
  const fanOuts = registry.crons.filter((c) => c.cron === cron && c.timerKinds?.some((k) => k.kind.startsWith("fanout."))).map((c) => fanOutTimer(c.name));
  // A round starts FAN_OUT_START_DELAY_MS after its cron and pages a second apart: those timers run with their clocks
  // moved to each item's time.
  for (const name of [...fanOuts, ...guildTimers]) await runDue(name, FAN_OUT_START_DELAY_MS + 60_000);
}

/**
 * Runs the timer's alarm, its clock moved to its earliest pending item each time, until nothing pending is due
 * within `capMs` of now; the clock is put back.
 */
async function runDue(name: string, capMs: number): Promise<void> {
  const t = env.EVENT_TIMER.getByName(name) as unknown as TimerStub & DurableObjectStub<EventTimer>;
  // The clock the timer had (a test may hold it back): put back afterwards, not reset.
  let own: (() => number) | undefined;
  await runInDurableObject(t, (instance: EventTimer) => {
    own = instance.clock;
  });
  const setClock = (offset: number) =>
    runInDurableObject(t, (instance: EventTimer) => {
      instance.clock = () => (own as () => number)() + offset;
    });
  const deadline = Date.now() + WAIT_MS;
  try {
    for (;;) {
      const next = (await t.list()).filter((i) => i.status === "pending").sort((x, y) => x.dueAt - y.dueAt)[0];
      // A retry waiting out its backoff is left for the test to run.
      if (!next || next.dueAt > Date.now() + capMs || next.attempts > 0) return;
      if (Date.now() > deadline) throw new Error(`timer ${name} still has due items: ${JSON.stringify(next)}`);
      await setClock(Math.max(0, next.dueAt - (own as () => number)()));
      if ((await t.nextAlarm()) !== null) await runDurableObjectAlarm(t);
      else await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await runInDurableObject(t, (instance: EventTimer) => {
      instance.clock = own as () => number;
    });
  }
}
