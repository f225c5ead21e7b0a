/** The emulator runs recurring scheduled events as Discord does: rule limitations, and the move to the next occurrence. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { emu, type Fixture, newGuild } from "./helpers";

type Ev = { id: string; status: number; scheduled_start_time: string; scheduled_end_time: string | null; recurrence_rule: Record<string, unknown> | null };
type Dispatch = { t: string; d: Ev & { event_exception_id?: string; is_canceled?: boolean } };

const WEEKLY = 2;
const MONTHLY = 1;
const HOUR = 3_600_000;

async function recurring(g: Fixture, start: string, rule: Record<string, unknown>): Promise<Ev> {
  const end = new Date(Date.parse(start) + 2 * HOUR).toISOString();
  return emu<Ev>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
    body: { name: "Raid Night", scheduled_start_time: start, scheduled_end_time: end, recurrence_rule: { start, ...rule } },
  });
}

/** A member starts the occurrence and ends it, as from the Events tab. */
async function endOccurrence(g: Fixture, ev: Ev): Promise<Ev> {
  await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}`, { method: "PATCH", body: { status: 2 } });
  return emu<Ev>(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}`, { method: "PATCH", body: { status: 3 } });
}

const updates = async (g: Fixture, id: string) =>
  (await emu<Dispatch[]>(`/_emulator/dispatches?guild=${g.guild_id}&t=GUILD_SCHEDULED_EVENT_UPDATE`)).filter((x) => x.d.id === id).map((x) => x.d);

const wallClock = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));

/** Runs occurrences one after another and returns the start, end and status the event shows after each. */
async function runSeries(g: Fixture, ev: Ev, n: number): Promise<Ev[]> {
  const seen: Ev[] = [];
  for (let i = 0; i < n; i++) seen.push(await endOccurrence(g, seen.at(-1) ?? ev));
  return seen;
}

describe("emulator: recurring scheduled events", () => {
  it("weekly: the end of an occurrence moves the event to the next week at the same UTC time, across Berlin's DST start", async () => {
    const g = await newGuild();
    // Thursdays 18:00 UTC = 19:00 in Berlin until 28 March 2027, 20:00 after (Discord expands the rule in UTC).
    const ev = await recurring(g, "2027-03-18T18:00:00.000Z", { frequency: WEEKLY, interval: 1, by_weekday: [3] });
    const after = await runSeries(g, ev, 2);
    expect(after.map((e) => [e.scheduled_start_time, e.scheduled_end_time, e.status])).toEqual([
      ["2027-03-25T18:00:00.000Z", "2027-03-25T20:00:00.000Z", 1],
      ["2027-04-01T18:00:00.000Z", "2027-04-01T20:00:00.000Z", 1],
    ]);
    expect(after.map((e) => wallClock(e.scheduled_start_time, "Europe/Berlin"))).toEqual(["Thu 25/03, 19:00", "Thu 01/04, 20:00"]);
    // One UPDATE per end, announcing the next occurrence (never a COMPLETED one), besides the two ACTIVE ones.
    const sent = await updates(g, ev.id);
    expect(sent.map((d) => [d.status, d.scheduled_start_time])).toEqual([
      [2, "2027-03-18T18:00:00.000Z"],
      [1, "2027-03-25T18:00:00.000Z"],
      [2, "2027-03-25T18:00:00.000Z"],
      [1, "2027-04-01T18:00:00.000Z"],
    ]);
    expect(sent[1]?.recurrence_rule).toMatchObject({ start: "2027-03-18T18:00:00.000Z", frequency: WEEKLY, by_weekday: [3] });
  });

  it("every other week skips a week, across New York's DST start", async () => {
    const g = await newGuild();
    const ev = await recurring(g, "2027-03-03T23:00:00.000Z", { frequency: WEEKLY, interval: 2, by_weekday: [2] });
    const after = await runSeries(g, ev, 2);
    expect(after.map((e) => e.scheduled_start_time)).toEqual(["2027-03-17T23:00:00.000Z", "2027-03-31T23:00:00.000Z"]);
    // 18:00 EST before 14 March, 19:00 EDT after.
    expect([ev, ...after].map((e) => wallClock(e.scheduled_start_time, "America/New_York"))).toEqual([
      "Wed 03/03, 18:00",
      "Wed 17/03, 19:00",
      "Wed 31/03, 19:00",
    ]);
  });

  it("monthly on the n-th weekday, across Berlin's DST end", async () => {
    const g = await newGuild();
    // The second Tuesday of each month.
    const ev = await recurring(g, "2027-09-14T17:30:00.000Z", { frequency: MONTHLY, interval: 1, by_n_weekday: [{ n: 2, day: 1 }] });
    const after = await runSeries(g, ev, 3);
    expect(after.map((e) => e.scheduled_start_time)).toEqual(["2027-10-12T17:30:00.000Z", "2027-11-09T17:30:00.000Z", "2027-12-14T17:30:00.000Z"]);
    expect(after.map((e) => wallClock(e.scheduled_start_time, "Europe/Berlin"))).toEqual(["Tue 12/10, 19:30", "Tue 09/11, 18:30", "Tue 14/12, 18:30"]);
  });

  it("a cancelled occurrence (an exception) is skipped; cancelling the one shown moves the event on", async () => {
    const g = await newGuild();
    const ev = await recurring(g, "2027-03-18T18:00:00.000Z", { frequency: WEEKLY, by_weekday: [3] });
    const path = `/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/exceptions`;
    await emu(path, { body: { original_scheduled_start_time: "2027-03-25T18:00:00.000Z", is_canceled: true } });
    expect((await endOccurrence(g, ev)).scheduled_start_time).toBe("2027-04-01T18:00:00.000Z");
    await emu(path, { body: { original_scheduled_start_time: "2027-04-01T18:00:00.000Z", is_canceled: true } });
    const list = await botList(g);
    expect(list.find((e) => e.id === ev.id)?.scheduled_start_time).toBe("2027-04-08T18:00:00.000Z");
    const exceptions = (await emu<Dispatch[]>(`/_emulator/dispatches?guild=${g.guild_id}&t=GUILD_SCHEDULED_EVENT_EXCEPTION_CREATE`)).map((x) => x.d);
    expect(exceptions.map((x) => x.is_canceled)).toEqual([true, true]);
    await expect(emu(path, { body: { original_scheduled_start_time: "2027-03-26T18:00:00.000Z", is_canceled: true } })).rejects.toThrow(/400/);
  });

  it.each([
    ["a weekly rule on two weekdays", { frequency: WEEKLY, by_weekday: [1, 3] }],
    ["every third week", { frequency: WEEKLY, interval: 3, by_weekday: [3] }],
    ["a monthly rule every other month", { frequency: MONTHLY, interval: 2, by_n_weekday: [{ n: 1, day: 3 }] }],
    ["a count", { frequency: WEEKLY, by_weekday: [3], count: 4 }],
    ["an end", { frequency: WEEKLY, by_weekday: [3], end: "2027-06-01T00:00:00.000Z" }],
    ["by_year_day", { frequency: 0, by_year_day: [100] }],
    ["by_weekday with by_n_weekday", { frequency: MONTHLY, by_weekday: [3], by_n_weekday: [{ n: 1, day: 3 }] }],
    ["by_n_weekday on a weekly rule", { frequency: WEEKLY, by_n_weekday: [{ n: 1, day: 3 }] }],
    ["a daily rule on an unknown set of days", { frequency: 3, by_weekday: [0, 2, 4] }],
    ["a yearly rule with by_month only", { frequency: 0, by_month: [7] }],
    ["a sixth week", { frequency: MONTHLY, by_n_weekday: [{ n: 6, day: 3 }] }],
  ])("refuses %s with Discord's 400", async (_what, rule) => {
    const g = await newGuild();
    const start = "2027-03-18T18:00:00.000Z";
    const res = await bot(`/guilds/${g.guild_id}/scheduled-events`, "POST", {
      name: "Raid Night",
      privacy_level: 2,
      entity_type: 3,
      entity_metadata: { location: "Here" },
      scheduled_start_time: start,
      scheduled_end_time: "2027-03-18T20:00:00.000Z",
      recurrence_rule: { start, ...rule },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: number }).code).toBe(50035);
  });

  it("accepts Discord's documented examples through REST, and the bot's PATCH to COMPLETED moves the event on", async () => {
    const g = await newGuild();
    const start = "2027-03-15T18:00:00.000Z";
    const base = {
      name: "x",
      privacy_level: 2,
      entity_type: 3,
      entity_metadata: { location: "Here" },
      scheduled_start_time: start,
      scheduled_end_time: "2027-03-15T19:00:00.000Z",
    };
    for (const rule of [
      { frequency: 3, interval: 1, by_weekday: [0, 1, 2, 3, 4] },
      { frequency: WEEKLY, interval: 2, by_weekday: [2] },
      { frequency: MONTHLY, interval: 1, by_n_weekday: [{ n: 4, day: 2 }] },
      { frequency: 0, interval: 1, by_month: [7], by_month_day: [24] },
    ]) {
      const res = await bot(`/guilds/${g.guild_id}/scheduled-events`, "POST", { ...base, recurrence_rule: { start, ...rule } });
      expect(res.status, JSON.stringify(rule)).toBe(200);
    }
    const [daily] = await botList(g);
    if (!daily) throw new Error("no event");
    await bot(`/guilds/${g.guild_id}/scheduled-events/${daily.id}`, "PATCH", { status: 2 });
    const moved = (await (await bot(`/guilds/${g.guild_id}/scheduled-events/${daily.id}`, "PATCH", { status: 3 })).json()) as Ev;
    // Monday → Tuesday: the next weekday of the set.
    expect([moved.status, moved.scheduled_start_time, moved.scheduled_end_time]).toEqual([1, "2027-03-16T18:00:00.000Z", "2027-03-16T19:00:00.000Z"]);
  });
});

function bot(path: string, method: string, body?: unknown): Promise<Response> {
  return fetch(`${env.EMULATOR_URL}/api/v10${path}`, {
    method,
    headers: { authorization: `Bot ${env.DISCORD_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function botList(g: Fixture): Promise<Ev[]> {
  return (await (await bot(`/guilds/${g.guild_id}/scheduled-events`, "GET")).json()) as Ev[];
}
