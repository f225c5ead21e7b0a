import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { editEvent, HOUR, MIN, scheduleEvent, useRelay } from "./event-channel-helpers";
import { asAdmin, emu, type Fixture, guildState, interact, interactionRecord, newGuild, requestsTo, WAIT_MS } from "./helpers";
import { choose, dms, runAt, subscribeDirect, timerOf, untilItem } from "./reminder-helpers";

useRelay();

async function deliveries(g: Fixture, eventId: string) {
  const rows = await env.DB.prepare(
    "SELECT user_id, offset_s, status, reason FROM reminder_deliveries WHERE guild_id = ? AND event_id = ? ORDER BY offset_s DESC, user_id",
  )
    .bind(g.guild_id, eventId)
    .all<{ user_id: string; offset_s: number; status: string; reason: string | null }>();
  return rows.results;
}

async function newMember(g: Fixture, name: string, extra: Record<string, unknown> = {}) {
  return emu<{ id: string }>("/_emulator/users", { body: { username: name, guild_id: g.guild_id, ...extra } });
}

describe("/subscribe", () => {
  it("round-trips the view (select, select, save), stores the choice and sends the welcome DM", async () => {
    const g = await newGuild();
    const first = await interact({ kind: "command", name: "subscribe", guild_id: g.guild_id, user_id: g.member_id });
    expect(first.valid).toBe(true);
    const original = (await interactionRecord(first.id)).original as unknown as { id: string };
    const t = await choose(g, g.member_id, original.id, "rm:types", ["all"]);
    expect(t.response.type).toBe(7);
    expect(t.valid).toBe(true);
    await choose(g, g.member_id, original.id, "rm:offsets", ["3600", "900"]);
    const saved = await interact({ kind: "component", custom_id: "rm:save", message_id: original.id, guild_id: g.guild_id, user_id: g.member_id });
    expect((saved.response as { data: { content: string } }).data.content).toContain("Saved: **all**, 1h before, 15m before.");
    const row = await env.DB.prepare("SELECT types, offsets FROM reminder_subscriptions WHERE guild_id = ? AND user_id = ?")
      .bind(g.guild_id, g.member_id)
      .first();
    expect(row).toEqual({ types: '["all"]', offsets: "[3600,900]" });
    expect((await dms(g, g.member_id)).map((m) => m.content)).toEqual([expect.stringContaining("You'll get reminders for **all** events")]);
    // Opening /subscribe again shows the saved choices selected.
    const again = await interact({ kind: "command", name: "subscribe", guild_id: g.guild_id, user_id: g.member_id });
    const rows = (again.response as { data: { components: { components: { options?: { value: string; default: boolean }[] }[] }[] } }).data.components;
    expect(rows[1]?.components[0]?.options?.filter((o) => o.default).map((o) => o.value)).toEqual(["3600", "900"]);
  });

  it("saves even when DMs are closed, and says so", async () => {
    const g = await newGuild();
    const closed = await newMember(g, "shy", { dms_closed: true });
    const first = await interact({ kind: "command", name: "subscribe", guild_id: g.guild_id, user_id: closed.id });
    const original = (await interactionRecord(first.id)).original as unknown as { id: string };
    await choose(g, closed.id, original.id, "rm:types", ["all"]);
    const saved = await interact({ kind: "component", custom_id: "rm:save", message_id: original.id, guild_id: g.guild_id, user_id: closed.id });
    expect((saved.response as { data: { content: string } }).data.content).toContain("I couldn't DM you — open your DMs from this server");
    expect(await env.DB.prepare("SELECT 1 AS ok FROM reminder_subscriptions WHERE guild_id = ? AND user_id = ?").bind(g.guild_id, closed.id).first()).toEqual({
      ok: 1,
    });
  });
});

describe("reminder delivery", () => {
  it("sends each offset once, at its time, with the event's details; a duplicate run sends nothing more", async () => {
    const g = await newGuild();
    await subscribeDirect(g, g.member_id, ["all"], [3600, 900]);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid Night", start);
    const item = await untilItem(g.guild_id, ev.id, "dm:3600");
    expect(item.dueAt).toBe(start - HOUR);
    await runAt(g.guild_id, ev.id, start - HOUR);
    let got = await dms(g, g.member_id);
    expect(got).toHaveLength(1);
    const embed = got[0]?.embeds[0];
    expect(embed?.title).toBe("Reminder: Raid Night");
    expect(embed?.url).toBe(`https://discord.com/events/${g.guild_id}/${ev.id}`);
    expect(embed?.fields?.[0]?.value).toBe(`<t:${Math.floor(start / 1000)}:F> (<t:${Math.floor(start / 1000)}:R>)`);
    // The same fan-out again (an alarm retried after the sends): the claims stop a second DM, without even a call.
    const channel = ((await guildState(g.guild_id)) as unknown as { dm_channels: Record<string, string> }).dm_channels[g.member_id];
    const callsBefore = (await requestsTo(`/channels/${channel}/messages`)).length;
    await timerOf(g.guild_id, ev.id).schedule("dm:3600:again", start - HOUR, "reminders.dm", {
      guild_id: g.guild_id,
      event_id: ev.id,
      start_at: start,
      offset_s: 3600,
    });
    await runAt(g.guild_id, ev.id, start - HOUR);
    expect(await dms(g, g.member_id)).toHaveLength(1);
    expect((await requestsTo(`/channels/${channel}/messages`)).length).toBe(callsBefore);
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    got = await dms(g, g.member_id);
    expect(got.map((m) => m.embeds[0]?.title)).toEqual(["Reminder: Raid Night", "Reminder: Raid Night"]);
    await runAt(g.guild_id, ev.id, start);
    expect(await dms(g, g.member_id)).toHaveLength(2); // T-0 was not among this member's offsets
    expect((await deliveries(g, ev.id)).map((d) => [d.offset_s, d.status])).toEqual([
      [3600, "sent"],
      [900, "sent"],
    ]);
  });

  it("includes members who subscribe after the event was planned, and leaves out those who unsubscribe", async () => {
    const g = await newGuild();
    const late = await newMember(g, "late");
    await subscribeDirect(g, g.member_id, ["all"]);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Movie", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    await subscribeDirect(g, late.id, ["all"]);
    const off = await interact({ kind: "command", name: "unsubscribe", guild_id: g.guild_id, user_id: g.member_id });
    expect((off.response as { data: { content: string } }).data.content).toContain("no more reminders");
    await runAt(g.guild_id, ev.id, start - HOUR);
    expect(await dms(g, late.id)).toHaveLength(1);
    expect(await dms(g, g.member_id)).toHaveLength(0);
  });

  it("matches subscription types by keyword", async () => {
    const g = await newGuild();
    const raider = await newMember(g, "raider");
    await asAdmin(g, "reminders", "types", { action: "add", name: "raids", keywords: "raid, dungeon" });
    await subscribeDirect(g, raider.id, ["raids"]);
    const start = Date.now() + 3 * HOUR;
    const raid = await scheduleEvent(g, "Heroic RAID", start);
    const movie = await scheduleEvent(g, "Movie night", start);
    await untilItem(g.guild_id, raid.id, "dm:3600");
    await untilItem(g.guild_id, movie.id, "dm:3600");
    await runAt(g.guild_id, raid.id, start - HOUR);
    await runAt(g.guild_id, movie.id, start - HOUR);
    expect((await dms(g, raider.id)).map((m) => m.embeds[0]?.title)).toEqual(["Reminder: Heroic RAID"]);
  });

  it("replans on a new start time and sends nothing for a cancelled event", async () => {
    const g = await newGuild();
    await subscribeDirect(g, g.member_id, ["all"], [3600]);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    const later = start + 2 * HOUR;
    await editEvent(g, ev.id, { scheduled_start_time: new Date(later).toISOString(), scheduled_end_time: new Date(later + HOUR).toISOString() });
    const deadline = Date.now() + WAIT_MS;
    while ((await untilItem(g.guild_id, ev.id, "dm:3600")).dueAt !== later - HOUR) {
      if (Date.now() > deadline) throw new Error("never replanned");
      await new Promise((r) => setTimeout(r, 10));
    }
    await runAt(g.guild_id, ev.id, start - HOUR); // the old time: nothing is due any more
    expect(await dms(g, g.member_id)).toHaveLength(0);
    await runAt(g.guild_id, ev.id, later - HOUR);
    expect(await dms(g, g.member_id)).toHaveLength(1);

    const other = await scheduleEvent(g, "Cancelled raid", start);
    await untilItem(g.guild_id, other.id, "dm:3600");
    await editEvent(g, other.id, { status: 4 });
    const until = Date.now() + WAIT_MS;
    while ((await timerOf(g.guild_id, other.id).list()).some((i) => i.status === "pending")) {
      if (Date.now() > until) throw new Error("items never cancelled");
      await new Promise((r) => setTimeout(r, 10));
    }
    await runAt(g.guild_id, other.id, start - HOUR);
    expect(await dms(g, g.member_id)).toHaveLength(1);
  });

  it("sends a reminder 30 s late, and skips (and counts) one 10 minutes late", async () => {
    const g = await newGuild();
    await subscribeDirect(g, g.member_id, ["all"], [3600, 900]);
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilItem(g.guild_id, ev.id, "dm:900");
    await runAt(g.guild_id, ev.id, start - HOUR + 30_000);
    expect(await dms(g, g.member_id)).toHaveLength(1);
    await runAt(g.guild_id, ev.id, start - 15 * MIN + 10 * MIN);
    expect(await dms(g, g.member_id)).toHaveLength(1);
    expect((await deliveries(g, ev.id)).map((d) => [d.offset_s, d.status])).toEqual([
      [3600, "sent"],
      [900, "skipped"],
    ]);
    const stats = await interact({ kind: "command", name: "reminders", subcommand: "stats", guild_id: g.guild_id, user_id: g.admin_id });
    expect((stats.response as { data: { content: string } }).data.content).toContain("**1** sent, **0** failed, **1** skipped");
  });

  it("logs a closed DM as a failure without retrying, and retries a 500 into exactly one DM", async () => {
    const g = await newGuild();
    const closed = await newMember(g, "closed", { dms_closed: true });
    const flaky = await newMember(g, "flaky");
    await subscribeDirect(g, closed.id, ["all"], [3600]);
    await subscribeDirect(g, flaky.id, ["all"], [3600]);
    // flaky's DM channel exists already (a welcome DM opened it); its sends fail 3 times (the REST client retries twice).
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    const opened = await fetch(`${env.EMULATOR_URL}/api/v10/users/@me/channels`, {
      method: "POST",
      headers: { authorization: `Bot ${env.DISCORD_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ recipient_id: flaky.id }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    await env.DB.prepare("INSERT OR REPLACE INTO dm_channels (user_id, channel_id, updated_at) VALUES (?, ?, 0)").bind(flaky.id, opened.id).run();
    await emu("/_emulator/faults", { body: { path: `/channels/${opened.id}/messages`, method: "POST", status: 500, times: 3 } });
    await runAt(g.guild_id, ev.id, start - HOUR);
    expect(await dms(g, flaky.id)).toHaveLength(0);
    const d1 = await deliveries(g, ev.id);
    expect(d1.find((d) => d.user_id === closed.id)).toMatchObject({ status: "failed", reason: "DMs closed (50007)" });
    expect(d1.find((d) => d.user_id === flaky.id)?.status).toBe("retry");
    const retry = await untilItem(g.guild_id, ev.id, "dm:3600:retry");
    await runAt(g.guild_id, ev.id, retry.dueAt);
    expect(await dms(g, flaky.id)).toHaveLength(1);
    expect((await deliveries(g, ev.id)).find((d) => d.user_id === flaky.id)?.status).toBe("sent");
    // The closed one was tried once only.
    expect((await requestsTo("/users/@me/channels")).length).toBeGreaterThan(0);
    const failures = await interact({ kind: "command", name: "reminders", subcommand: "failures", guild_id: g.guild_id, user_id: g.admin_id });
    expect((failures.response as { data: { content: string } }).data.content).toContain(`<@${closed.id}> — **Raid** (1h) — DMs closed (50007)`);
  });

  it("reminds a member who clicks Interested, and stops when they un-mark it", async () => {
    const g = await newGuild();
    const fan = await newMember(g, "fan");
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { user_ids: [fan.id, g.member_id] } });
    const deadline = Date.now() + WAIT_MS;
    const count = async () =>
      (
        await env.DB.prepare("SELECT COUNT(*) AS n FROM reminder_event_members WHERE guild_id = ? AND event_id = ?")
          .bind(g.guild_id, ev.id)
          .first<{ n: number }>()
      )?.n;
    while ((await count()) !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await runAt(g.guild_id, ev.id, start - HOUR);
    expect(await dms(g, fan.id)).toHaveLength(1);
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users/${fan.id}`, { method: "DELETE" });
    while ((await count()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await runAt(g.guild_id, ev.id, start);
    expect(await dms(g, fan.id)).toHaveLength(1);
    expect((await dms(g, g.member_id)).map((m) => m.embeds[0]?.title)).toEqual(["Reminder: Raid", "Starting now: Raid"]);
  });

  it("posts channel reminders at 1h and at the start, deleting the previous post", async () => {
    const g = await newGuild();
    await asAdmin(g, "reminders", "channel", { channel: g.channels.text });
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilItem(g.guild_id, ev.id, "ch:3600");
    await runAt(g.guild_id, ev.id, start - HOUR);
    let posts = (await guildState(g.guild_id)).messages[g.channels.text] ?? [];
    expect(posts.map((m) => m.content)).toEqual([`**Raid** starts <t:${Math.floor(start / 1000)}:R> (<t:${Math.floor(start / 1000)}:t>).`]);
    await runAt(g.guild_id, ev.id, start);
    posts = (await guildState(g.guild_id)).messages[g.channels.text] ?? [];
    expect(posts.map((m) => m.content)).toEqual(["**Raid** is starting now!"]);
  });

  it("/remind subscribes to one event, with autocomplete of upcoming ones", async () => {
    const g = await newGuild();
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Boss fight", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    const ac = await interact({
      kind: "autocomplete",
      name: "remind",
      options: { event: "boss" },
      focused: "event",
      guild_id: g.guild_id,
      user_id: g.member_id,
    });
    const choices = (ac.response as { data: { choices: { name: string; value: string }[] } }).data.choices;
    expect(choices.map((c) => c.value)).toEqual([ev.id]);
    const r = await interact({ kind: "command", name: "remind", options: { event: ev.id }, guild_id: g.guild_id, user_id: g.member_id });
    expect((r.response as { data: { content: string } }).data.content).toContain("I'll DM you about **Boss fight**");
    const bad = await interact({ kind: "command", name: "remind", options: { event: "tomorrow-ish" }, guild_id: g.guild_id, user_id: g.member_id });
    expect((bad.response as { data: { content: string } }).data.content).toBe("Pick an event from the list.");
    await runAt(g.guild_id, ev.id, start - HOUR);
    expect(await dms(g, g.member_id)).toHaveLength(1);
  });
});

describe("member views", () => {
  it("/reminders mine lists what is coming, and the opt-out in /subscribe stops Interested reminders", async () => {
    const g = await newGuild();
    await asAdmin(g, "reminders", "types", { action: "add", name: "raids", keywords: "raid" });
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Boss fight", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { user_ids: [g.member_id] } });
    const deadline = Date.now() + WAIT_MS;
    let mine = "";
    while (!mine.includes("Boss fight") && Date.now() < deadline) {
      const r = await interact({ kind: "command", name: "reminders", subcommand: "mine", guild_id: g.guild_id, user_id: g.member_id });
      mine = (r.response as { data: { content: string } }).data.content;
    }
    expect(mine).toContain(`**Boss fight** <t:${Math.floor(start / 1000)}:f> — 1h before, at the start`);
    // Opt out of Interested reminders from the view.
    const view = await interact({ kind: "command", name: "subscribe", guild_id: g.guild_id, user_id: g.member_id });
    const original = (await interactionRecord(view.id)).original as unknown as { id: string };
    await choose(g, g.member_id, original.id, "rm:types", ["raids"]);
    const toggled = await interact({ kind: "component", custom_id: "rm:optout:off", message_id: original.id, guild_id: g.guild_id, user_id: g.member_id });
    expect(JSON.stringify(toggled.response)).toContain("Interested reminders: off");
    await interact({ kind: "component", custom_id: "rm:save", message_id: original.id, guild_id: g.guild_id, user_id: g.member_id });
    // Subscribed to raids only, and out of Interested reminders: nothing for this event.
    await runAt(g.guild_id, ev.id, start - HOUR);
    expect((await dms(g, g.member_id)).filter((m) => m.embeds[0]?.title === "Reminder: Boss fight")).toHaveLength(0);
  });

  it("the Remind me button on an event announcement subscribes to that event", async () => {
    const g = await newGuild();
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Boss fight", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    const r = await interact({ kind: "component", custom_id: `rm:remind:${ev.id}`, guild_id: g.guild_id, user_id: g.member_id });
    expect((r.response as { data: { content: string; flags: number } }).data).toMatchObject({
      flags: 64,
      content: expect.stringContaining("I'll DM you about **Boss fight**"),
    });
    await runAt(g.guild_id, ev.id, start - HOUR);
    expect(await dms(g, g.member_id)).toHaveLength(1);
  });
});
