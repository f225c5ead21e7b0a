import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { emu, guildState, newGuild, requestsTo, WAIT_MS } from "./helpers";

/** A fresh timer; typed through the structural RPC surface features use (TimerStub). */
function timer() {
  return env.EVENT_TIMER.getByName(`test:${crypto.randomUUID()}`) as unknown as TimerStub & DurableObjectStub<EventTimer>;
}

/** Moves the timer's clock; the alarm then treats items due by that time as due. */
async function setClock(stub: DurableObjectStub<EventTimer>, at: number) {
  await runInDurableObject(stub, (instance: EventTimer) => {
    instance.clock = () => at;
  });
}

function message(g: { guild_id: string; channels: { text: string } }, content: string) {
  return { guild_id: g.guild_id, channel_id: g.channels.text, message: { content } };
}

async function criticalEvents(guildId: string) {
  const rows = await env.DB.prepare("SELECT name, level, data FROM event_log WHERE guild_id = ? AND level = 'CRITICAL'")
    .bind(guildId)
    .all<{ name: string; level: string; data: string }>();
  return rows.results.map((r) => ({ ...r, data: JSON.parse(r.data) }));
}

describe("EventTimer agenda", () => {
  it("schedule twice with the same key keeps one item", async () => {
    const stub = timer();
    const due = Date.now() + 60_000;
    expect((await stub.schedule("announce", due, "core.send_message", { a: 1 })).result).toBe("insert");
    expect((await stub.schedule("announce", due, "core.send_message", { a: 1 })).result).toBe("unchanged");
    expect(await stub.list()).toHaveLength(1);
    expect((await stub.schedule("announce", due + 1000, "core.send_message", { a: 1 })).result).toBe("update");
    const items = await stub.list();
    expect(items.map((i) => [i.key, i.dueAt, i.status])).toEqual([["announce", due + 1000, "pending"]]);
  });

  it("cancel removes one key, or every key under a prefix", async () => {
    const stub = timer();
    const due = Date.now() + 60_000;
    for (const key of ["match:1:create", "match:1:remind", "match:10:create", "other"]) await stub.schedule(key, due, "core.send_message", {});
    expect(await stub.cancel("other")).toBe(1);
    expect(await stub.cancel("match:1:*")).toBe(2);
    expect((await stub.list()).map((i) => i.key)).toEqual(["match:10:create"]);
    expect(await stub.cancel("match_10*")).toBe(0);
  });

  it("points the single alarm at the earliest pending item, recomputed after every write", async () => {
    const stub = timer();
    const t = Date.now() + 3_600_000;
    await stub.schedule("late", t + 2000, "core.send_message", {});
    await stub.schedule("early", t + 1000, "core.send_message", {});
    expect(await stub.nextAlarm()).toBe(t + 1000);
    await stub.cancel("early");
    expect(await stub.nextAlarm()).toBe(t + 2000);
    await stub.cancel("late");
    expect(await stub.nextAlarm()).toBeNull();
  });

  it("keeps its agenda and alarm when the object is evicted", async () => {
    const stub = timer();
    const t = Date.now() + 3_600_000;
    await stub.schedule("a", t, "core.send_message", { x: 1 });
    await evictDurableObject(stub);
    expect((await stub.list()).map((i) => [i.key, i.dueAt, i.payload])).toEqual([["a", t, { x: 1 }]]);
    expect(await stub.nextAlarm()).toBe(t);
  });
});

describe("EventTimer alarm", () => {
  it("runs a due item once, marks it done, and re-arms to the next item", async () => {
    const g = await newGuild();
    const stub = timer();
    const now = Date.now();
    await stub.schedule("first", now - 1000, "core.send_message", message(g, "first!"));
    await stub.schedule("second", now + 3_600_000, "core.send_message", message(g, "second!"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const state = await guildState(g.guild_id);
    expect(state.messages[g.channels.text]?.map((m) => m.content)).toEqual(["first!"]);
    expect((await stub.list()).map((i) => [i.key, i.status])).toEqual([
      ["first", "done"],
      ["second", "pending"],
    ]);
    expect(await stub.nextAlarm()).toBe(now + 3_600_000);
    // Delivered again (e.g. a duplicate gateway event): the fired item is not run twice.
    expect((await stub.schedule("first", now - 1000, "core.send_message", message(g, "first!"))).result).toBe("unchanged");
    await stub.cancel("second");
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect((await guildState(g.guild_id)).messages[g.channels.text]).toHaveLength(1);
  });

  it("a step still running when its key is cancelled and planned again leaves the new plan alone", async () => {
    const g = await newGuild();
    const stub = timer();
    await stub.schedule("m", Date.now() - 1000, "core.send_message", message(g, "old plan"));
    // Discord answers the post slowly: the step is still in its call when its event is rescheduled.
    await emu("/_emulator/faults", { body: { method: "POST", path: `/channels/${g.channels.text}/messages`, delayMs: 2000, times: 1 } });
    const running = runDurableObjectAlarm(stub);
    const deadline = Date.now() + WAIT_MS;
    while (!(await requestsTo(`/channels/${g.channels.text}/messages`)).length) {
      if (Date.now() > deadline) throw new Error("the post was never made");
      await new Promise((r) => setTimeout(r, 20));
    }
    const later = Date.now() + 3_600_000;
    await stub.cancel("m");
    expect((await stub.schedule("m", later, "core.send_message", message(g, "new plan"))).result).toBe("insert");
    await running;
    // The old run ends after Discord's answer (its post in the channel), then records how it went.
    while (!(await guildState(g.guild_id)).messages[g.channels.text]?.length) {
      if (Date.now() > deadline) throw new Error("the old plan's post never landed");
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 500));
    // The old run finished its own post; the new plan is still to come, at its own time, and then goes out.
    expect((await stub.list()).map((i) => [i.key, i.status, i.dueAt])).toEqual([["m", "pending", later]]);
    await setClock(stub, later);
    await runDurableObjectAlarm(stub);
    expect((await guildState(g.guild_id)).messages[g.channels.text]?.map((m) => m.content)).toEqual(["old plan", "new plan"]);
  });

  it("retries a transient failure with growing backoff, then gives up with a CRITICAL event", async () => {
    const g = await newGuild();
    await emu("/_emulator/faults", { body: { method: "POST", path: `/channels/${g.channels.text}/messages`, status: 502 } });
    const stub = timer();
    let clock = Date.now();
    await setClock(stub, clock);
    await stub.schedule("flaky", clock - 1, "core.send_message", message(g, "never"));
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      const [item] = await stub.list();
      if (attempt < 5) {
        expect(item).toMatchObject({ status: "pending", attempts: attempt });
        delays.push((item?.dueAt ?? 0) - clock);
        clock = item?.dueAt ?? clock;
        await setClock(stub, clock);
      } else {
        expect(item).toMatchObject({ status: "failed", attempts: 5 });
      }
    }
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(await stub.nextAlarm()).toBeNull();
    const critical = await criticalEvents(g.guild_id);
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatchObject({ name: "timer.failed", data: { key: "flaky", kind: "core.send_message", attempts: 5, error: { status: 502 } } });
    await emu(`/_emulator/faults?path=${g.channels.text}`, { method: "DELETE" });
  });

  it("does not retry a 403: gives up at once and raises a CRITICAL event", async () => {
    const viewOnly = 1n << 10n;
    const g = await newGuild({ bot_permissions: viewOnly, everyone_permissions: viewOnly });
    const stub = timer();
    await stub.schedule("forbidden", Date.now() - 1, "core.send_message", message(g, "hi"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.list())[0]).toMatchObject({ status: "failed", attempts: 1 });
    const sent = await requestsTo(`/channels/${g.channels.text}/messages`);
    expect(sent.map((r) => r.status)).toEqual([403]);
    expect((await criticalEvents(g.guild_id))[0]).toMatchObject({ name: "timer.failed", data: { error: { status: 403, code: 50013 } } });
  });

  it("fails an item whose stored payload does not fit its kind, once, with what is wrong, instead of retrying on guesses", async () => {
    const stub = timer();
    // As an older deployment (or a hand-edited row) might have left it: the guild under another name.
    await stub.schedule("stale", Date.now() - 1, "retention.daily", { guild: "1" });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const [item] = await stub.list();
    expect(item).toMatchObject({ status: "failed", attempts: 1 });
    expect(item?.lastError).toContain("guild_id");
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("fails an item whose kind has no handler instead of looping", async () => {
    const stub = timer();
    await stub.schedule("mystery", Date.now() - 1, "nobody.handles_this", { guild_id: "1" });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.list())[0]).toMatchObject({ status: "failed", attempts: 1 });
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });
});

/**
 * A timer that was listed on /health and emptied since, so it knows it has no row (an hourly per-guild timer after its
 * first run), with its clock at `now` and a reader of its row.
 */
async function emptiedTimer() {
  const g = await newGuild();
  const stub = timer();
  const now = Date.now();
  await setClock(stub, now);
  await stub.schedule("far", now + 10 * 60_000, "core.send_message", message(g, "far"));
  await stub.cancel("far");
  const name = (await runInDurableObject(stub, (_i, state) => state.id.name)) as string;
  const row = () => env.DB.prepare("SELECT pending, next_due FROM timers WHERE name = ?").bind(name).first();
  expect(await row()).toBeNull();
  return { g, stub, now, row };
}

describe("/health and timers", () => {
  it("reports each timer's pending items as they change, and counts overdue ones", async () => {
    const stub = timer();
    const due = Date.now() + 10 * 60_000;
    await stub.schedule("later", due, "core.send_message", { guild_id: "1", channel_id: "1", message: { content: "x" } });
    const name = (await runInDurableObject(stub, (_i, state) => state.id.name)) as string;
    const row = () => env.DB.prepare("SELECT pending, next_due FROM timers WHERE name = ?").bind(name).first();
    expect(await row()).toEqual({ pending: 1, next_due: due });
    // A timer stuck a minute past due (as a broken alarm would leave it) shows as overdue.
    await env.DB.prepare("INSERT OR REPLACE INTO timers (name, pending, next_due, updated_at) VALUES ('stuck-test', 1, ?, 0)")
      .bind(Date.now() - 5 * 60_000)
      .run();
    const { callWorker } = await import("./helpers");
    const health = (await (await callWorker(new Request("https://bot.test/health"))).json()) as { timers: { pending: number; overdue: number } };
    expect(health.timers.pending).toBeGreaterThanOrEqual(2);
    expect(health.timers.overdue).toBeGreaterThanOrEqual(1);
    await env.DB.prepare("DELETE FROM timers WHERE name = 'stuck-test'").run();
    await stub.cancel("later");
    // Nothing pending: no row (the table holds only timers with work).
    expect(await row()).toBeNull();
  });

  it("keeps no row for a timer whose work is all due within the minute, and lists work still pending after its alarm", async () => {
    const { g, stub, now, row } = await emptiedTimer();
    // Work due in 5 s: its alarm runs it long before /health would call it overdue, so no row is written.
    await stub.schedule("soon", now + 5_000, "core.send_message", message(g, "soon"));
    await stub.schedule("later", now + 10 * 60_000, "core.send_message", message(g, "later"));
    expect(await row()).toBeNull();
    // The alarm runs the near work; what is still pending afterwards is listed.
    await setClock(stub, now + 5_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await row()).toEqual({ pending: 1, next_due: now + 10 * 60_000 });
    await stub.cancel("later");
    expect(await row()).toBeNull();
  });

  it("lists a timer whose near work was never run once its next work is queued (a stuck alarm still shows)", async () => {
    const { g, stub, now, row } = await emptiedTimer();
    await stub.schedule("sync", now + 5_000, "core.send_message", message(g, "hour 1"));
    expect(await row()).toBeNull();
    // An hour on, its alarm never having run, the next hourly run is queued under the same key.
    await setClock(stub, now + 60 * 60_000);
    await stub.schedule("sync", now + 60 * 60_000 + 5_000, "core.send_message", message(g, "hour 2"));
    expect(await row()).toEqual({ pending: 1, next_due: now + 60 * 60_000 + 5_000 });
  });

  it("leaves no row behind when work is cancelled while its report is being written", async () => {
    const { g, stub, now, row } = await emptiedTimer();
    // The cancel arrives while the schedule's D1 write is in flight.
    await Promise.all([stub.schedule("again", now + 10 * 60_000, "core.send_message", message(g, "again")), stub.cancel("again")]);
    expect(await stub.list().then((items) => items.filter((i) => i.status === "pending"))).toEqual([]);
    expect(await row()).toBeNull();
  });
});
