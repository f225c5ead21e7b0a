import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { rateGate } from "../src/discord/rate-gate";
import type { EventTimer } from "../src/index";
import { HOUR, scheduleEvent, useRelay } from "./event-channel-helpers";
import { emu, newGuild } from "./helpers";
import { dms, subscribeDirect, timerOf, untilItem } from "./reminder-helpers";

useRelay();

describe("the REST budget in a reminder fan-out", () => {
  it("re-arms the fan-out at the gate's time when the budget is full, then sends each DM once", async () => {
    const g = await newGuild();
    const members = [g.member_id];
    for (const name of ["ann", "ben"]) members.push((await emu<{ id: string }>("/_emulator/users", { body: { username: name, guild_id: g.guild_id } })).id);
    for (const m of members) await subscribeDirect(g, m, ["all"], [3600]);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    const t = timerOf(g.guild_id, ev.id);
    await runInDurableObject(t, (instance: EventTimer) => {
      instance.clock = () => start - HOUR;
    });
    // Time-critical work of other guilds books the whole budget for the next 10 s.
    const gate = rateGate(env.RATE_GATE);
    for (let i = 0; i < 60; i++) await gate.take({ lane: "critical", guild: `other-${i}`, n: 10 });
    const asked = Date.now();
    await runDurableObjectAlarm(t);
    // It did not sit in the alarm for the budget: nothing sent, the item waits for the gate's time, no attempt counted.
    expect(Date.now() - asked).toBeLessThan(5_000);
    for (const m of members) expect(await dms(g, m)).toHaveLength(0);
    const item = (await t.list()).find((i) => i.key === "dm:3600");
    expect(item?.status).toBe("pending");
    expect(item?.attempts).toBe(0);
    expect(item?.dueAt).toBeGreaterThan(asked + 5_000);
    const rows = await env.DB.prepare("SELECT status FROM reminder_deliveries WHERE guild_id = ? AND event_id = ?").bind(g.guild_id, ev.id).all();
    expect(rows.results.map((r) => r.status)).toEqual(["claimed", "claimed", "claimed"]);
    // When the gate has room, the same chunk goes out, once per member.
    await new Promise((r) => setTimeout(r, Math.max(0, (item?.dueAt ?? 0) - Date.now())));
    await runDurableObjectAlarm(t);
    for (const m of members) expect(await dms(g, m)).toHaveLength(1);
    expect((await gate.status()).bulk.booked).toBeLessThanOrEqual(3);
  });
});
