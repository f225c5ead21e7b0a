import { createExecutionContext, createScheduledController, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FAN_OUT_PAGE, FAN_OUT_PAGE_GAP_MS, FAN_OUT_PAGE_LEAD_MS, FAN_OUT_START_DELAY_MS, fanOutTimer, staggerOf } from "../src/fan-out";
import { reconcileTimer } from "../src/features/event-channels/reconcile";
import worker, { type EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { HOUR, record, scheduleEvent, setUp, useRelay } from "./event-channel-helpers";
import { emu, newGuild } from "./helpers";

useRelay();

const timer = (name: string) => env.EVENT_TIMER.getByName(name) as unknown as TimerStub & DurableObjectStub<EventTimer>;
const setClock = (t: DurableObjectStub<EventTimer>, offset: number) =>
  runInDurableObject(t, (instance: EventTimer) => {
    instance.clock = () => Date.now() + offset;
  });
const listCalls = async (guildId: string) =>
  (await emu<{ method: string }[]>(`/_emulator/requests?path_contains=/guilds/${guildId}/scheduled-events`)).filter((r) => r.method === "GET");

/** Guilds with event channels set up, as far as the hourly reconciliation's page query sees. */
async function setUpEventChannels(guildIds: readonly string[]) {
  await env.DB.batch(
    guildIds.map((id) =>
      env.DB.prepare("INSERT OR REPLACE INTO event_channel_settings (guild_id, settings, updated_at) VALUES (?, ?, ?)").bind(
        id,
        JSON.stringify({ category_id: "1000000000000000001" }),
        Date.now(),
      ),
    ),
  );
}

async function hourlyCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "0 * * * *", scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("a periodic job over many guilds", () => {
  it("only enqueues from the cron; its timer enqueues a page of guilds per invocation, spread out; each guild's reconciliation runs on its own timer", async () => {
    // 150 guilds with event channels set up (ids that sort first), and one real guild whose event the gateway missed.
    const fake = Array.from({ length: 150 }, (_, i) => `1000000000000${String(i).padStart(6, "0")}`);
    await setUpEventChannels(fake);
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const missed = await scheduleEvent(g, "Missed Raid", start, start + HOUR, { silent: true });

    // The fan-out's timer runs only when the test says (its clock an hour behind).
    const fan = timer(fanOutTimer("event_channels.reconcile"));
    await setClock(fan, -HOUR);
    const cronAt = Date.now();
    await hourlyCron();
    // The cron invocation itself listed no guild's events and armed no guild's timer: it left one cursor.
    expect(await listCalls(g.guild_id)).toHaveLength(0);
    expect(await listCalls(fake[0] as string)).toHaveLength(0);
    expect(await timer(reconcileTimer(fake[0] as string)).list()).toHaveLength(0);
    const [round] = await fan.list();
    expect(round?.status).toBe("pending");
    expect(round?.payload).toMatchObject({ after: "", queued: 0 });
    // Not in the cron's own seconds: those belong to the time-critical steps due on the hour.
    expect(round?.dueAt).toBeGreaterThanOrEqual(cronAt + FAN_OUT_START_DELAY_MS);

    // First invocation: exactly one page of guilds, their runs spread over the gap before the next page.
    const roundAt = FAN_OUT_START_DELAY_MS + staggerOf("event_channels.reconcile");
    await setClock(fan, roundAt);
    const before = Date.now();
    await runDurableObjectAlarm(fan);
    const page = (await fan.list())[0];
    expect(page?.payload).toMatchObject({ after: fake[FAN_OUT_PAGE - 1], queued: FAN_OUT_PAGE });
    expect(page?.dueAt).toBeGreaterThan(before + FAN_OUT_START_DELAY_MS);
    const due = await Promise.all(fake.slice(0, FAN_OUT_PAGE).map(async (id) => (await timer(reconcileTimer(id)).list())[0]?.dueAt ?? null));
    expect(due.every((d) => d !== null)).toBe(true);
    const times = due as number[];
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(900);
    // None is due before the whole page is enqueued (they would all start at once when it is).
    expect(Math.min(...times)).toBeGreaterThanOrEqual(before + roundAt + FAN_OUT_PAGE_LEAD_MS);
    // The next page waits for the next invocation.
    expect(await timer(reconcileTimer(fake[FAN_OUT_PAGE] as string)).list()).toHaveLength(0);
    expect(await timer(reconcileTimer(g.guild_id)).list()).toHaveLength(0);

    // Second invocation (after the gap): the rest, and the round ends.
    await setClock(fan, roundAt + FAN_OUT_PAGE_GAP_MS + 1_000);
    await runDurableObjectAlarm(fan);
    expect((await fan.list())[0]?.status).toBe("done");
    expect((await timer(reconcileTimer(fake[149] as string)).list())[0]?.status).toBeDefined();

    // The real guild's run, on its own timer: one list of its events, and the missed event is followed.
    // Its time lies within the page's spread (and a busy machine's budget may put it off a moment): run it until done.
    const own = timer(reconcileTimer(g.guild_id));
    for (let i = 0; i < 20 && (await own.list())[0]?.status === "pending"; i++) {
      await setClock(own, roundAt + 5_000 * (i + 1));
      await runDurableObjectAlarm(own);
    }
    expect((await own.list())[0]?.status).toBe("done");
    expect(await listCalls(g.guild_id)).toHaveLength(1);
    expect((await record(g.guild_id, missed.id))?.state).toBe("scheduled");
  }, 120_000);

  it("lets the rest of the isolate run while it enqueues a page (a timer due meanwhile fires before the page is done)", async () => {
    const fake = Array.from({ length: FAN_OUT_PAGE }, (_, i) => `1000000000001${String(i).padStart(6, "0")}`);
    // Exactly one page: this job's guilds only.
    await env.DB.prepare("DELETE FROM event_channel_settings").run();
    await setUpEventChannels(fake);
    const fan = timer(fanOutTimer("event_channels.reconcile"));
    await setClock(fan, -HOUR);
    await hourlyCron();
    await setClock(fan, FAN_OUT_START_DELAY_MS + staggerOf("event_channels.reconcile"));
    // Locally every Durable Object shares one thread, and calls between them never wait on the network: a page that
    // does not yield holds the thread, and a REST slot's caller (a timer like this one) wakes after its slot.
    let ticks = 0;
    let paging = true;
    const ticker = (async () => {
      while (paging) {
        await new Promise((r) => setTimeout(r, 1));
        ticks++;
      }
    })();
    await runDurableObjectAlarm(fan);
    paging = false;
    await ticker;
    expect(await timer(reconcileTimer(fake[FAN_OUT_PAGE - 1] as string)).list()).toHaveLength(1);
    // A page that holds the thread lets the ticker tick once, when it is done; one that yields every few guilds
    // lets it tick all along (11 times here, of 20 yields).
    expect(ticks).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
