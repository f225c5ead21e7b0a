import { env } from "cloudflare:workers";
import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { editEvent, HOUR, scheduleEvent, useRelay } from "./event-channel-helpers";
import { callWorker, type Fixture, interact, newGuild, WAIT_MS } from "./helpers";

useRelay();

async function feedPath(g: Fixture): Promise<string> {
  const r = await interact({ kind: "command", name: "bot-config", subcommand: "calendar", guild_id: g.guild_id, user_id: g.admin_id });
  const content = (r.response as { data: { content: string } }).data.content;
  return content.match(/\/calendar\/\d+\/[0-9a-f]+\.ics/)?.[0] as string;
}

const get = (path: string) => callWorker(new Request(`https://bot.test${path}`));

async function untilKnown(g: Fixture, eventId: string, ok: (r: { active: number; start_at: number } | null) => boolean) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const r = await env.DB.prepare(
      "SELECT CASE WHEN deleted_at IS NULL AND status IN (1, 2) THEN 1 ELSE 0 END AS active, start_at FROM scheduled_events WHERE guild_id = ? AND event_id = ?",
    )
      .bind(g.guild_id, eventId)
      .first<{ active: number; start_at: number }>();
    if (ok(r)) return;
    if (Date.now() > deadline) throw new Error(`event ${eventId} never matched: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

function events(ics: string) {
  const cal = new ICAL.Component(ICAL.parse(ics));
  return cal.getAllSubcomponents("vevent").map((v) => {
    const e = new ICAL.Event(v);
    return {
      uid: e.uid,
      summary: e.summary,
      start: e.startDate.toJSDate().getTime(),
      end: e.endDate.toJSDate().getTime(),
      status: v.getFirstPropertyValue("status"),
      sequence: e.sequence,
    };
  });
}

describe("the iCal feed", () => {
  it("lists the guild's events with their times, marks a cancelled one, and parses with ical.js", async () => {
    const g = await newGuild();
    const start = Date.now() + 3 * HOUR;
    const a = await scheduleEvent(g, "Raid; Night, with \\ and a very long name that needs folding across several lines of the file", start, start + 2 * HOUR);
    const b = await scheduleEvent(g, "Movie", start + HOUR, null);
    await untilKnown(g, a.id, (r) => r !== null);
    await untilKnown(g, b.id, (r) => r !== null);
    await editEvent(g, b.id, { status: 4 });
    await untilKnown(g, b.id, (r) => r?.active === 0);
    const path = await feedPath(g);
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    const ics = await res.text();
    for (const line of ics.split("\r\n")) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    const list = events(ics);
    expect(list).toEqual([
      expect.objectContaining({
        uid: `${a.id}@discord-guild-${g.guild_id}`,
        summary: "Raid; Night, with \\ and a very long name that needs folding across several lines of the file",
        start: Math.floor(start / 1000) * 1000,
        end: Math.floor((start + 2 * HOUR) / 1000) * 1000,
        status: "CONFIRMED",
      }),
      expect.objectContaining({ uid: `${b.id}@discord-guild-${g.guild_id}`, summary: "Movie", status: "CANCELLED" }),
    ]);
  });

  it("raises SEQUENCE when an event changes", async () => {
    const g = await newGuild();
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilKnown(g, ev.id, (r) => r !== null);
    const path = await feedPath(g);
    const before = events(await (await get(path)).text())[0];
    await editEvent(g, ev.id, { scheduled_start_time: new Date(start + HOUR).toISOString(), scheduled_end_time: new Date(start + 2 * HOUR).toISOString() });
    await untilKnown(g, ev.id, (r) => r?.start_at === start + HOUR);
    const after = events(await (await get(path)).text())[0];
    expect(after?.sequence).toBeGreaterThan(before?.sequence ?? 0);
    expect(after?.start).toBe(Math.floor((start + HOUR) / 1000) * 1000);
  });

  it("answers 404 for a wrong or rotated token and another guild's id", async () => {
    const g = await newGuild();
    const other = await newGuild();
    const first = await feedPath(g);
    const second = await feedPath(g);
    expect((await get(first)).status).toBe(404);
    expect((await get(second)).status).toBe(200);
    expect((await get(second.replace(g.guild_id, other.guild_id))).status).toBe(404);
    expect((await get(`/calendar/${g.guild_id}/${"0".repeat(48)}.ics`)).status).toBe(404);
    expect((await get(`/calendar/${g.guild_id}/nonsense.ics`)).status).toBe(404);
  });
});
