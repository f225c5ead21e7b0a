/**
 * Event channels when things fail (the chaos suite's findings, one at a time): role grants under repeated REST
 * failures, interest changes lost with a gateway session, channels made after the start, and a gateway handler
 * cut off between its steps and run again (dispatches are handled at least once).
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { APIGuildScheduledEvent } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { registry } from "../src/features";
import { listHolders } from "../src/features/event-channels/holders";
import { createServices, type Services } from "../src/services";
import type { Timer } from "../src/timers/client";
import { HOUR, liveEvent, MIN, record, runAt, scheduleEvent, setUp, timerOf, untilPlanned, useRelay } from "./event-channel-helpers";
import { emu, type Fixture, guildState, newGuild, requestsTo, WAIT_MS } from "./helpers";
import { gatewayControl, until } from "./relay-helpers";

const relay = useRelay();

const holdersOf = async (g: Fixture, roleId: string) =>
  ((await guildState(g.guild_id)).guilds[0]?.members ?? []).filter((m) => m.roles.includes(roleId)).map((m) => m.user_id);

/** Polls `check`, running the event's alarm whenever something on it is due (its clock may have been moved ahead). */
async function settle(g: Fixture, eventId: string, check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  const t = timerOf(g.guild_id, eventId);
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; agenda ${JSON.stringify(await t.list())}`);
    const due = await t.nextAlarm();
    if (due !== null && due <= Date.now()) await runDurableObjectAlarm(t);
    else await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A guild whose event `name` has `count` members marked Interested before its channels exist (silent: no USER_ADD
 * steps of their own compete with the grants), planned for creation two hours ahead.
 */
async function interestedNight(name: string, count: number) {
  const g = await newGuild();
  await setUp(g);
  const start = Date.now() + 2 * HOUR;
  const ev = await scheduleEvent(g, name, start);
  const fans = (await emu<{ user_ids: string[] }>(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count, silent: true } }))
    .user_ids;
  await untilPlanned(g.guild_id, ev.id, "create");
  return { g, ev, start, fans };
}

/** Runs the event's creation at `at`, then its grant step until no page is left (at most `rounds` more runs). */
async function createAndGrant(g: Fixture, eventId: string, at: number, rounds = 5): Promise<void> {
  await runAt(g.guild_id, eventId, at);
  for (let i = 0; i < rounds; i++) {
    const grant = (await timerOf(g.guild_id, eventId).list()).find((x) => x.key === "grant");
    if (grant?.status !== "pending") return;
    await runAt(g.guild_id, eventId, Math.max(at, grant.dueAt));
  }
}

describe("event channels: role grants under failures", () => {
  it("gives the role to every one of 112 Interested members although a grant fails after every 20", async () => {
    const { g, ev, start, fans } = await interestedNight("Game Night", 112);
    // Each attempt gets 20 grants through, then one keeps failing (three tries: the REST client's own retries too).
    const failAfter20 = () => emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/members/`, method: "PUT", status: 500, after: 20, times: 3 } });
    let at = start - 15 * MIN;
    await failAfter20();
    expect(await runAt(g.guild_id, ev.id, at)).toBe(true);
    for (let round = 0; round < 8; round++) {
      const grant = (await timerOf(g.guild_id, ev.id).list()).find((i) => i.key === "grant");
      if (grant?.status !== "pending") break;
      await failAfter20();
      at = Math.max(at, grant.dueAt);
      await runAt(g.guild_id, ev.id, at);
    }
    await emu(`/_emulator/faults?path=/guilds/${g.guild_id}/members/`, { method: "DELETE" });
    for (let i = 0; i < 10; i++) {
      const grant = (await timerOf(g.guild_id, ev.id).list()).find((x) => x.key === "grant");
      if (grant?.status !== "pending") break;
      at = Math.max(at, grant.dueAt);
      await runAt(g.guild_id, ev.id, at);
    }
    const rec = await record(g.guild_id, ev.id);
    const holders = new Set(await holdersOf(g, rec?.role_id as string));
    expect(
      fans.filter((u) => !holders.has(u)),
      JSON.stringify(await timerOf(g.guild_id, ev.id).list()),
    ).toEqual([]);
  });
});

describe("event channels: a grant whose answer never comes", () => {
  it("holds only itself: the other Interested members get the role long before its timeout, and it gets it after", async () => {
    const { g, ev, start, fans } = await interestedNight("Hang Night", 12);
    const [hung, ...others] = fans as [string, ...string[]];
    // The first grant's request is never answered: the REST client's 10 s timeout ends it (then its retry succeeds).
    await emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/members/${hung}/roles/`, method: "PUT", hang: true, times: 1 } });
    await createAndGrant(g, ev.id, start - 15 * MIN);
    // Discord's view: the eleven others' grants were answered while the hung one waited out its 10 s timeout (one at a
    // time, they would all have come after it).
    const log = await emu<{ at: number; method: string; path: string; status: number }[]>(
      `/_emulator/requests?path_contains=${encodeURIComponent(`/guilds/${g.guild_id}/members/`)}`,
    );
    const puts = log.filter((r) => r.method === "PUT");
    const hungAt = Math.min(...puts.filter((r) => r.path.includes(hung)).map((r) => r.at));
    const othersDone = Math.max(...puts.filter((r) => !r.path.includes(hung) && r.status === 204).map((r) => r.at));
    expect(puts.filter((r) => !r.path.includes(hung) && r.status === 204)).toHaveLength(others.length);
    expect(othersDone - hungAt).toBeLessThan(5_000);
    const holders = new Set(await holdersOf(g, (await record(g.guild_id, ev.id))?.role_id as string));
    expect(fans.filter((u) => !holders.has(u))).toEqual([]);
  }, 60_000);
});

describe("event channels: taking a role back whose answer never comes", () => {
  it("holds only itself: the other members who left get their role taken long before its timeout", async () => {
    const g = await newGuild();
    const { ev, rec, fans } = await liveEvent(g, "Leaving Night", 12);
    const role = rec.role_id as string;
    // Holders are taken back in id order: the first one's answer never comes (one at a time, it would hold the rest).
    const hung = [...fans].sort()[0] as string;
    // Everyone unmarks Interested while the session is gone (no USER_REMOVE reaches the bot); the resync after the next
    // IDENTIFY finds them.
    for (const u of fans) await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users/${u}`, { method: "DELETE", body: { silent: true } });
    await emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/members/${hung}/roles/`, method: "DELETE", hang: true, times: 1 } });
    const t = timerOf(g.guild_id, ev.id);
    await t.schedule("resync", Date.now(), "ec.resync", { guild_id: g.guild_id, event_id: ev.id });
    await settle(g, ev.id, async () => (await holdersOf(g, role)).length === 0, "every role to be taken back");
    // Discord's view: the eleven others were answered while the hung one waited out its 10 s timeout (one at a time,
    // they would all have come after it).
    const deletes = (await requestsTo(`/guilds/${g.guild_id}/members/`)).filter((r) => r.method === "DELETE");
    const hungAt = Math.min(...deletes.filter((r) => r.path.includes(hung)).map((r) => r.at));
    const othersDone = Math.max(...deletes.filter((r) => !r.path.includes(hung) && r.status === 204).map((r) => r.at));
    expect(deletes.filter((r) => !r.path.includes(hung) && r.status === 204)).toHaveLength(fans.length - 1);
    expect(othersDone - hungAt).toBeLessThan(5_000);
    // And the bot knows it: nobody is recorded as holding the role any more.
    expect(await listHolders(env.DB, g.guild_id, ev.id)).toEqual([]);
  }, 60_000);
});

describe("event channels: grants side by side in a guild whose role bucket is small", () => {
  it("keep within the bucket its answers describe: every member gets the role, and Discord answers no grant with a 429", async () => {
    const { g, ev, start, fans } = await interestedNight("Small Bucket Night", 12);
    // This guild only: three role changes a second (every other guild keeps the default bucket).
    const bucket = `PUT /guilds/:id/members/:id/roles/:id|${g.guild_id}`;
    await emu("/_emulator/limits", { method: "PUT", body: { routes: { [bucket]: { limit: 3, windowMs: 1_000 } } } });
    try {
      await createAndGrant(g, ev.id, start - 15 * MIN);
    } finally {
      await emu("/_emulator/limits", { method: "PUT", body: { routes: { [bucket]: null } } });
    }
    const holders = new Set(await holdersOf(g, (await record(g.guild_id, ev.id))?.role_id as string));
    expect(fans.filter((u) => !holders.has(u))).toEqual([]);
    const grants = (await requestsTo(`/guilds/${g.guild_id}/members/`)).filter((r) => r.method === "PUT");
    expect(grants.filter((r) => r.status === 429)).toEqual([]);
    expect(grants.filter((r) => r.status === 204)).toHaveLength(fans.length);
  }, 60_000);
});

describe("event channels: interest changes lost with a gateway session", () => {
  it("after a fresh IDENTIFY, takes the role from a member who unmarked Interested and gives it to one who marked", async () => {
    const g = await newGuild();
    const { ev, rec, fans } = await liveEvent(g, "Raid Night", 3);
    const role = rec.role_id as string;
    expect((await holdersOf(g, role)).sort()).toEqual([...fans].sort());
    // While the session is gone: no USER_REMOVE / USER_ADD reaches the bot.
    const gone = fans[0] as string;
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users/${gone}`, { method: "DELETE", body: { silent: true } });
    const [added] = (await emu<{ user_ids: string[] }>(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: 1, silent: true } }))
      .user_ids;
    const first = await relay().status();
    await gatewayControl("invalidate", { session_id: first.session_id, resumable: false });
    await until(relay(), (s) => s.status === "backoff" && s.session_id === null, "the session to be dropped");
    await runDurableObjectAlarm(relay() as unknown as DurableObjectStub);
    await until(relay(), (s) => s.status === "ready" && s.identifies === first.identifies + 1, "a fresh IDENTIFY");
    const want = [...fans.slice(1), added as string].sort();
    await settle(g, ev.id, async () => JSON.stringify((await holdersOf(g, role)).sort()) === JSON.stringify(want), "the role to follow the Interested list");
  });
});

describe("event channels: late steps still happen", () => {
  const startMessages = async (g: Fixture, eventId: string) => {
    const rec = await record(g.guild_id, eventId);
    const msgs = (await guildState(g.guild_id)).messages[rec?.text_id as string] ?? [];
    return msgs.filter((m) => m.content.includes("starting now"));
  };

  it("posts the start message once when the channels are made after the start, before the end", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Late Raid", start, start + HOUR);
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: 2 } });
    await untilPlanned(g.guild_id, ev.id, "create");
    // Creation ran late (retried past the start): the channels come 10 minutes into the event.
    expect(await runAt(g.guild_id, ev.id, start + 10 * MIN)).toBe(true);
    expect((await record(g.guild_id, ev.id))?.state).toBe("live");
    expect(await startMessages(g, ev.id)).toHaveLength(1);
    await runAt(g.guild_id, ev.id, start + 20 * MIN);
    expect(await startMessages(g, ev.id)).toHaveLength(1);
  });

  it("posts no start message when the channels come after the event's end", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Over Already", start, start + HOUR);
    await untilPlanned(g.guild_id, ev.id, "create");
    expect(await runAt(g.guild_id, ev.id, start + HOUR + 5 * MIN)).toBe(true);
    expect((await record(g.guild_id, ev.id))?.state).toBe("live");
    expect(await startMessages(g, ev.id)).toHaveLength(0);
  });

  it("makes nothing when creation first runs after the channels' deletion time", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Long Gone", start, start + HOUR);
    await untilPlanned(g.guild_id, ev.id, "create");
    // The bot was away past the end and the 4 hours after it: a role and channels now would only flash and ping.
    await runAt(g.guild_id, ev.id, start + 5 * HOUR + 5 * MIN);
    expect((await record(g.guild_id, ev.id))?.state).toBe("skipped");
    const made = (await requestsTo(`/guilds/${g.guild_id}/`)).filter((r) => r.method === "POST" && /\/(roles|channels)$/.test(r.path));
    expect(made).toEqual([]);
  });
});

/** Services whose first `schedule` or `cancel` on any timer throws, as a restart between two steps of a handler looks. */
function cutOnce(): Services {
  const s = createServices(env, () => {}, registry);
  let cut = false;
  const timer = (name: string): Timer => {
    const real = s.timer(name);
    const once =
      <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
      (...a: A): Promise<R> => {
        if (cut) return f(...a);
        cut = true;
        return Promise.reject(new Error("restarted mid-handler"));
      };
    return { ...real, schedule: once(real.schedule.bind(real)), cancel: once(real.cancel.bind(real)) };
  };
  return Object.create(s, { timer: { value: timer } }) as Services;
}

/** Runs the registered handlers of a dispatch once cut off at its first timer call, then again (the relay's retry). */
async function dispatchTwice(t: "GUILD_SCHEDULED_EVENT_UPDATE", d: APIGuildScheduledEvent): Promise<void> {
  // The guild-events core takes the dispatch and tells event channels (its consumer) what changed.
  const handlers = (registry.gateway.get(t) ?? []).filter((h) => h.name.startsWith("scheduled_events."));
  const cut = cutOnce();
  for (const h of handlers) await h.handle(d as never, cut, { received_at: Date.now() }).catch(() => undefined);
  const s = createServices(env, () => {}, registry);
  for (const h of handlers) await h.handle(d as never, s, { received_at: Date.now() });
}

describe("event channels: a gateway handler cut off half-way and run again", () => {
  const payload = (g: Fixture, id: string, name: string, startAt: number, endAt: number, status = 1) =>
    ({
      id,
      guild_id: g.guild_id,
      name,
      scheduled_start_time: new Date(startAt).toISOString(),
      scheduled_end_time: new Date(endAt).toISOString(),
      status,
      entity_type: 3,
      privacy_level: 2,
    }) as unknown as APIGuildScheduledEvent;

  it("moves the deletion of a live event that was rescheduled", async () => {
    const g = await newGuild();
    const { ev, start } = await liveEvent(g, "Moved Raid");
    const later = start + 3 * HOUR;
    await dispatchTwice("GUILD_SCHEDULED_EVENT_UPDATE", payload(g, ev.id, "Moved Raid", later, later + HOUR));
    const items = await timerOf(g.guild_id, ev.id).list();
    const pending = (key: string) => items.find((i) => i.key === key && i.status === "pending")?.dueAt;
    expect(pending("delete")).toBe(later + HOUR + 4 * HOUR);
    expect(pending("start")).toBe(later);
    expect((await record(g.guild_id, ev.id))?.delete_at).toBe(later + HOUR + 4 * HOUR);
  });

  it("cleans up a live event that was cancelled", async () => {
    const g = await newGuild();
    const { ev, start, rec } = await liveEvent(g, "Cancelled Raid");
    await dispatchTwice("GUILD_SCHEDULED_EVENT_UPDATE", payload(g, ev.id, "Cancelled Raid", start, start + HOUR, 4));
    await settle(g, ev.id, async () => (await record(g.guild_id, ev.id))?.state === "cancelled", "the cleanup");
    const state = await guildState(g.guild_id);
    expect(state.guilds[0]?.channels.some((c) => c.id === rec.text_id)).toBe(false);
    expect(state.guilds[0]?.roles.some((r) => r.id === rec.role_id)).toBe(false);
  });
});
