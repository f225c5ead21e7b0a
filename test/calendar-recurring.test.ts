/** The iCal feed shows a recurring event as one series whose occurrences are exactly those Discord will run. */
import { env } from "cloudflare:workers";
import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { reconcileTimer } from "../src/scheduled-events/reconcile";
import { editEvent, HOUR, useRelay } from "./event-channel-helpers";
import { callWorker, cronAndFanOut, emu, type Fixture, interact, newGuild } from "./helpers";
import { untilMirror } from "./scheduled-event-helpers";

useRelay();

async function feed(g: Fixture): Promise<string> {
  const r = await interact({ kind: "command", name: "bot-config", subcommand: "calendar", guild_id: g.guild_id, user_id: g.admin_id });
  const path = (r.response as { data: { content: string } }).data.content.match(/\/calendar\/\d+\/[0-9a-f]+\.ics/)?.[0] as string;
  return (await callWorker(new Request(`https://bot.test${path}`))).text();
}

async function recurring(g: Fixture, start: string, rule: Record<string, unknown>) {
  const ev = await emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
    body: {
      name: "Raid Night",
      scheduled_start_time: start,
      scheduled_end_time: new Date(Date.parse(start) + 2 * HOUR).toISOString(),
      recurrence_rule: { start, ...rule },
    },
  });
  await untilMirror(g.guild_id, ev.id, () => true);
  return ev;
}

/** The first `n` occurrences (start, end) as a calendar app expands the feed: ical.js, overrides applied. */
function expand(ics: string, n: number): { vevents: number; rrule: string | null; occurrences: [string, string][] } {
  const cal = new ICAL.Component(ICAL.parse(ics));
  const vevents = cal.getAllSubcomponents("vevent");
  const master = new ICAL.Event(vevents.find((v) => !v.hasProperty("recurrence-id")));
  for (const v of vevents.filter((x) => x.hasProperty("recurrence-id"))) master.relateException(new ICAL.Event(v));
  const it = master.iterator();
  const occurrences: [string, string][] = [];
  for (let next = it.next(); next && occurrences.length < n; next = it.next()) {
    const d = master.getOccurrenceDetails(next);
    occurrences.push([d.startDate.toJSDate().toISOString(), d.endDate.toJSDate().toISOString()]);
  }
  return { vevents: vevents.length, rrule: master.component.getFirstPropertyValue("rrule")?.toString() ?? null, occurrences };
}

/** What Discord does: each occurrence ends and the event moves on; the starts and ends it shows, in order. */
async function discordRuns(g: Fixture, eventId: string, n: number): Promise<[string, string][]> {
  const seen: [string, string][] = [];
  for (let i = 0; i < n; i++) {
    const ev = await emu<{ scheduled_start_time: string; scheduled_end_time: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events/${eventId}`, {
      method: "PATCH",
      body: { status: 2 },
    });
    seen.push([ev.scheduled_start_time, ev.scheduled_end_time]);
    await editEvent(g, eventId, { status: 3 });
  }
  return seen;
}

async function hourlyReconcile(g: Fixture) {
  await env.DB.prepare("INSERT OR IGNORE INTO guilds (guild_id, joined_at, created_at, updated_at) VALUES (?, ?, ?, ?)")
    .bind(g.guild_id, Date.now(), Date.now(), Date.now())
    .run();
  await cronAndFanOut("0 * * * *", Date.now(), [reconcileTimer(g.guild_id)]);
}

describe("the iCal feed: recurring events", () => {
  it.each([
    ["weekly, across Berlin's DST start", "2027-03-18T18:00:00.000Z", { frequency: 2, interval: 1, by_weekday: [3] }, "FREQ=WEEKLY;BYDAY=TH"],
    [
      "every other week, across New York's DST start",
      "2027-03-03T23:00:00.000Z",
      { frequency: 2, interval: 2, by_weekday: [2] },
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
    ],
    [
      "monthly on the second Tuesday, across Berlin's DST end",
      "2027-09-14T17:30:00.000Z",
      { frequency: 1, interval: 1, by_n_weekday: [{ n: 2, day: 1 }] },
      "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2",
    ],
    [
      "monthly on the fifth Friday (months without one are skipped)",
      "2027-04-30T18:00:00.000Z",
      { frequency: 1, interval: 1, by_n_weekday: [{ n: 5, day: 4 }] },
      "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=5",
    ],
  ])("%s: one VEVENT whose RRULE expands to Discord's occurrences", async (_what, start, rule, rrule) => {
    const g = await newGuild();
    const ev = await recurring(g, start, rule);
    const shown = expand(await feed(g), 4);
    expect(shown.vevents).toBe(1);
    expect(shown.rrule).toBe(rrule);
    expect(shown.occurrences).toEqual(await discordRuns(g, ev.id, 4));
  });

  it("a cancelled occurrence is an EXDATE and a moved one an override, both as Discord runs them", async () => {
    const g = await newGuild();
    const ev = await recurring(g, "2027-03-18T18:00:00.000Z", { frequency: 2, interval: 1, by_weekday: [3] });
    const exceptions = `/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/exceptions`;
    await emu(exceptions, { body: { original_scheduled_start_time: "2027-03-25T18:00:00.000Z", is_canceled: true } });
    await emu(exceptions, {
      body: {
        original_scheduled_start_time: "2027-04-08T18:00:00.000Z",
        scheduled_start_time: "2027-04-09T19:00:00.000Z",
        scheduled_end_time: "2027-04-09T21:00:00.000Z",
      },
    });
    // Discord announces exceptions with dispatches the bot does not follow; the hourly list brings them.
    await hourlyReconcile(g);
    await untilMirror(g.guild_id, ev.id, (m) => (m as { exceptions?: string | null }).exceptions !== null);
    const ics = await feed(g);
    expect(ics).toContain("EXDATE:20270325T180000Z");
    const shown = expand(ics, 4);
    expect(shown.vevents).toBe(2);
    expect(shown.occurrences).toEqual(await discordRuns(g, ev.id, 4));
    expect(shown.occurrences.map(([s]) => s)).toEqual([
      "2027-03-18T18:00:00.000Z",
      "2027-04-01T18:00:00.000Z",
      "2027-04-09T19:00:00.000Z",
      "2027-04-15T18:00:00.000Z",
    ]);
  });

  it("after an occurrence ends the feed shows the same series from the next occurrence on", async () => {
    const g = await newGuild();
    const ev = await recurring(g, "2027-03-18T18:00:00.000Z", { frequency: 2, interval: 1, by_weekday: [3] });
    const before = expand(await feed(g), 3).occurrences;
    await discordRuns(g, ev.id, 1);
    await untilMirror(g.guild_id, ev.id, (m) => m.start_at === Date.parse("2027-03-25T18:00:00.000Z"));
    const after = expand(await feed(g), 2).occurrences;
    expect(after).toEqual(before.slice(1));
  });
});
