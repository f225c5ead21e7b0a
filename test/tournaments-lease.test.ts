import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { registry } from "../src/features";
import { mirrorListener } from "../src/features/tournaments/events";
import { LEASE_MS } from "../src/features/tournaments/mapping-storage";
import { mirrorMatch, mirrorTimerName } from "../src/features/tournaments/mirror";
import { syncGuild } from "../src/features/tournaments/sync";
import type { EventTimer } from "../src/index";
import { createServices } from "../src/services";
import type { TimerStub } from "../src/timers/client";
import { emu, requestsTo, WAIT_MS } from "./helpers";
import { ahead, type EmuEvent, events, type League, league, mapping, schedule, silentMatch } from "./tournament-helpers";

/** Services for one invocation; `skewMs` moves its clock (another isolate that sees the lease as expired). */
const services = (o: { skewMs?: number; timeoutMs?: number } = {}) =>
  createServices(
    env,
    () => {},
    { ...registry, discordOptions: o.timeoutMs ? { timeout: o.timeoutMs, retries: 0 } : undefined },
    () => Date.now() + (o.skewMs ?? 0),
  );

const writes = async (guildId: string) => (await requestsTo(`/guilds/${guildId}/scheduled-events`)).filter((r) => r.method !== "GET");

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Discord takes the create, but its answer never reaches the bot (the client gives up first): the event exists, unmapped. */
async function lostCreate(l: League, matchId: number): Promise<EmuEvent> {
  const guildId = l.g.guild_id;
  await emu("/_emulator/faults", { body: { path: `/guilds/${guildId}/scheduled-events`, method: "POST", delayMs: 600, times: 1 } });
  expect(await mirrorMatch(services({ timeoutMs: 200 }), guildId, matchId)).toBe("failed");
  await until(async () => (await events(guildId)).length > 0, "Discord to make the event");
  expect((await mapping(matchId))?.scheduled_event_id ?? null).toBeNull();
  return (await events(guildId))[0] as EmuEvent;
}

describe("a match's event is created once, whatever fails", () => {
  it("a create that hangs past the lease while another invocation takes the match ends with one event, and it is mapped", async () => {
    const l = await league();
    const guildId = l.g.guild_id;
    const id = await silentMatch(l, ahead(10));
    await emu("/_emulator/faults", { body: { path: `/guilds/${guildId}/scheduled-events`, method: "POST", delayMs: 1500, times: 1 } });
    const slow = mirrorMatch(services(), guildId, id);
    await until(async () => (await writes(guildId)).length === 1, "the first POST");
    // While Discord sits on that POST, another invocation finds the lease expired (its clock is past it).
    const second = await mirrorMatch(services({ skewMs: LEASE_MS + 15_000 }), guildId, id);
    const first = await slow;
    const list = await events(guildId);
    expect(list).toHaveLength(1);
    expect(await mapping(id)).toMatchObject({ scheduled_event_id: list[0]?.id, lease_owner: null });
    // The second made it; the first came back without its lease, wrote nothing over it and removed its own duplicate.
    expect([first, second]).toEqual(["busy", "created"]);
  });

  it("a create whose answer was lost (Discord made it, the bot never heard) is adopted by the retry, not made twice", async () => {
    const l = await league();
    const id = await silentMatch(l, ahead(10));
    const made = await lostCreate(l, id);
    // The match's timer retries: it finds the event by the bot's marker and maps it.
    const state = await mirrorMatch(services(), l.g.guild_id, id);
    const list = await events(l.g.guild_id);
    expect(list.map((e) => e.id)).toEqual([made.id]);
    expect(state).toBe("unchanged");
    expect(await mapping(id)).toMatchObject({ scheduled_event_id: made.id, lease_owner: null });
    expect((await writes(l.g.guild_id)).map((w) => w.method)).toEqual(["POST"]);
  });

  it("the sync adopts the bot's lost event, removes its orphan of a deleted match, and never touches a member's look-alike", async () => {
    const l = await league();
    const guildId = l.g.guild_id;
    const id = await silentMatch(l, ahead(10));
    const made = await lostCreate(l, id);
    // A member copies the bot's event: same name, same description (marker included), same time.
    const copy = await emu<EmuEvent>(`/_emulator/guilds/${guildId}/scheduled-events`, {
      body: { name: made.name, description: made.description, scheduled_start_time: made.scheduled_start_time, scheduled_end_time: made.scheduled_end_time },
    });
    // An orphan: the bot made an event for a second match, the answer was lost, then the match was deleted.
    const doomed = await silentMatch(l, ahead(20));
    await emu("/_emulator/faults", { body: { path: `/guilds/${guildId}/scheduled-events`, method: "POST", delayMs: 600, times: 1 } });
    expect(await mirrorMatch(services({ timeoutMs: 200 }), guildId, doomed)).toBe("failed");
    await until(async () => (await events(guildId)).length === 3, "the orphan");
    const orphan = (await events(guildId)).find((e) => e.id !== made.id && e.id !== copy.id) as EmuEvent;
    await env.DB.prepare("UPDATE matches SET status = 'deleted', revision = revision + 1 WHERE id = ?").bind(doomed).run();
    // A member's copy of the orphan (marker and all) stays too.
    const copy2 = await emu<EmuEvent>(`/_emulator/guilds/${guildId}/scheduled-events`, {
      body: { name: orphan.name, description: orphan.description, scheduled_start_time: orphan.scheduled_start_time },
    });
    const before = await writes(guildId);

    await syncGuild(services(), guildId);

    const after = await events(guildId);
    expect(after.map((e) => e.id).sort()).toEqual([made.id, copy.id, copy2.id].sort());
    expect(await mapping(id)).toMatchObject({ scheduled_event_id: made.id });
    const same = (e: EmuEvent) => ({
      name: e.name,
      description: e.description,
      scheduled_start_time: e.scheduled_start_time,
      creator_id: e.creator_id,
      status: e.status,
    });
    expect(same(after.find((e) => e.id === copy.id) as EmuEvent)).toEqual(same(copy));
    expect(same(after.find((e) => e.id === copy2.id) as EmuEvent)).toEqual(same(copy2));
    const since = (await writes(guildId)).slice(before.length);
    expect(since.map((w) => `${w.method} ${w.path.split("/").at(-1)}`)).toEqual([`DELETE ${orphan.id}`]);
  });
});

/**
 * An invocation that dies at its first Discord write (a restart, or the end of an interaction's waitUntil): the
 * call never leaves, and nothing it would do afterwards (D1 writes, timers, other calls) happens.
 */
function dyingServices() {
  let dead = false;
  const guard = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, k) {
        if (dead) throw new Error("the invocation has ended");
        const v = Reflect.get(t, k);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
  const s = createServices({ ...env, DB: guard(env.DB), EVENT_TIMER: guard(env.EVENT_TIMER) }, () => {}, registry);
  const real = s.discord;
  const die = async (): Promise<never> => {
    dead = true;
    throw new Error("the invocation has ended");
  };
  return Object.create(s, {
    discord: { value: { ...real, patch: die, post: die, put: die, delete: die, create: die, putAlongside: die, deleteAlongside: die, postAlongside: die } },
  }) as typeof s;
}

describe("a live change whose invocation dies holding the match's lease", () => {
  it("is retried by the match's timer once the lease has run out, and reaches Discord once", async () => {
    const l = await league();
    const guildId = l.g.guild_id;
    const { id } = await schedule(l, ahead(10));
    const [before] = await events(guildId);
    expect(before).toBeDefined();
    const later = ahead(20);
    await env.DB.prepare("UPDATE matches SET scheduled_at = ?, revision = revision + 1, updated_at = ? WHERE id = ?").bind(later, Date.now(), id).run();
    // `/match reschedule`'s listener, in an invocation that dies at the PATCH.
    const event = {
      id: crypto.randomUUID(),
      name: "match.updated",
      level: "FULL" as const,
      guild_id: guildId,
      occurred_at: new Date().toISOString(),
      data: { match_id: id },
    };
    await Promise.resolve(mirrorListener.handle(event, dyingServices())).catch(() => undefined);
    expect((await mapping(id))?.lease_owner).not.toBeNull();
    expect((await events(guildId))[0]?.scheduled_start_time).toBe(before?.scheduled_start_time);

    const timer = env.EVENT_TIMER.getByName(mirrorTimerName(guildId, id)) as unknown as TimerStub & DurableObjectStub<EventTimer>;
    const item = (await timer.list()).find((i) => i.key === "mirror" && i.status === "pending");
    expect(item, "the match's retry was armed before the call").toBeDefined();
    const lease = await env.DB.prepare("SELECT lease_until FROM match_events WHERE match_id = ?").bind(id).first<{ lease_until: number }>();
    expect(item?.dueAt).toBeGreaterThan(lease?.lease_until ?? 0);
    await runInDurableObject(timer, (instance: EventTimer) => {
      instance.clock = () => item?.dueAt ?? 0;
    });
    await runDurableObjectAlarm(timer);

    const after = await events(guildId);
    expect(after).toHaveLength(1);
    expect(Date.parse(after[0]?.scheduled_start_time ?? "")).toBe(later);
    expect(await mapping(id)).toMatchObject({ scheduled_event_id: before?.id, lease_owner: null });
    expect((await writes(guildId)).map((w) => w.method)).toEqual(["POST", "PATCH"]);
  });
});
