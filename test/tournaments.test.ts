import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { withMarker } from "../src/features/tournaments/event-marker";
import type { EventTimer } from "../src/index";
import type { TimerStub } from "../src/timers/client";
import { asAdmin, dbSnapshot, emu, interact, requestsTo } from "./helpers";
import { ahead, events, H, iso, league, mapping, schedule, text } from "./tournament-helpers";

const writesTo = async (guildId: string) => (await requestsTo(`/guilds/${guildId}/scheduled-events`)).filter((r) => r.method !== "GET");

describe("matches mirrored as Discord scheduled events", () => {
  it("schedule → one event with the seed's exact fields, mapped in D1, linked in the reply", async () => {
    const l = await league();
    const at = ahead(24);
    const { content, id } = await schedule(l, at);
    const [ev, ...rest] = await events(l.g.guild_id);
    expect(rest).toHaveLength(0);
    const seconds = at / 1000;
    expect(ev).toMatchObject({
      name: `${l.slug.toUpperCase()} - alice vs bob`,
      // The last line is the bot's marker: it finds the event again if the create's answer is ever lost.
      description: withMarker(`Match: alice vs bob\nTournament: Test League\n\nScheduled: <t:${seconds}:F>\nStream: TBD`, l.g.guild_id, id),
      entity_type: 3,
      privacy_level: 2,
      entity_metadata: { location: "TBD" },
      status: 1,
    });
    expect(Date.parse(ev?.scheduled_start_time ?? "")).toBe(at);
    expect(Date.parse(ev?.scheduled_end_time ?? "")).toBe(at + 2 * H);
    expect(content).toContain(`https://discord.com/events/${l.g.guild_id}/${ev?.id}`);
    expect(await mapping(id)).toMatchObject({ scheduled_event_id: ev?.id, start_at: at, lease_owner: null });
    // The interaction's app_permissions are channel-scoped, so the bot's guild-level permissions are read once
    // (then cached for 10 minutes) before the one POST.
    const calls = await requestsTo(`/guilds/${l.g.guild_id}`);
    expect(calls.map((c) => `${c.method} ${c.path.replace(/\d{10,}/g, ":id")}`).sort()).toEqual(
      ["PUT /applications/:id/guilds/:id/commands", "GET /guilds/:id", "GET /guilds/:id/members/:id", "POST /guilds/:id/scheduled-events"].sort(),
    );
  });

  it("reschedule → one PATCH carrying only the times (and the description that shows the time)", async () => {
    const l = await league();
    const { id } = await schedule(l, ahead(24));
    const later = ahead(48);
    const r = await asAdmin(l.g, "match", "reschedule", { match: String(id), time: iso(later) });
    expect(text(r)).toContain("Rescheduled");
    const writes = await writesTo(l.g.guild_id);
    expect(writes.map((w) => w.method)).toEqual(["POST", "PATCH"]);
    expect(Object.keys(writes[1]?.body as object).sort()).toEqual(["description", "scheduled_end_time", "scheduled_start_time"]);
    const [ev] = await events(l.g.guild_id);
    expect(Date.parse(ev?.scheduled_start_time ?? "")).toBe(later);
    // Rescheduling to the same time sends nothing.
    await asAdmin(l.g, "match", "reschedule", { match: String(id), time: iso(later) });
    expect(await writesTo(l.g.guild_id)).toHaveLength(2);
  });

  it("stream set → location updated; both players' streams → multistream; title too long → cut at 100", async () => {
    const l = await league();
    const { id } = await schedule(l, ahead(24));
    for (const [user, handle] of [
      [l.alice, "alice_tv"],
      [l.bob, "bob_tv"],
    ] as const) {
      await interact({ kind: "command", name: "profile", subcommand: "stream", options: { handle }, guild_id: l.g.guild_id, user_id: user });
    }
    expect((await events(l.g.guild_id))[0]?.entity_metadata?.location).toBe("https://multistre.am/alice_tv/bob_tv/");
    await asAdmin(l.g, "match", "stream", { match: String(id), channel: "speedgaming" });
    expect((await events(l.g.guild_id))[0]?.entity_metadata?.location).toBe("https://twitch.tv/speedgaming");
    const patch = (await writesTo(l.g.guild_id)).at(-1);
    expect(Object.keys(patch?.body as object).sort()).toEqual(["description", "entity_metadata"]);
    await asAdmin(l.g, "match", "title", { match: String(id), title: "T".repeat(200) });
    const name = (await events(l.g.guild_id))[0]?.name ?? "";
    expect([...name]).toHaveLength(100);
    expect(name.endsWith("…")).toBe(true);
  });

  it("finish removes a scheduled event; finish of a started one sets it COMPLETED; delete removes it and its row", async () => {
    const l = await league();
    const one = await schedule(l, ahead(24));
    const two = await schedule(l, ahead(25));
    const three = await schedule(l, ahead(26));
    const [, second] = await events(l.g.guild_id);
    // Someone pressed "Start event" on the second one.
    await emu(`/_emulator/guilds/${l.g.guild_id}/scheduled-events/${second?.id}`, { method: "PATCH", body: { status: 2 } });
    await env.DB.prepare("UPDATE match_events SET event_status = 2 WHERE match_id = ?").bind(two.id).run();
    expect(text(await asAdmin(l.g, "match", "finish", { match: String(one.id) }))).toContain("Finished");
    await asAdmin(l.g, "match", "finish", { match: String(two.id) });
    await asAdmin(l.g, "match", "delete", { match: String(three.id) });
    const left = await events(l.g.guild_id);
    expect(left.map((e) => [e.id, e.status])).toEqual([[second?.id, 3]]);
    expect(await mapping(one.id)).toBeNull();
    expect(await mapping(three.id)).toBeNull();
    const again = await asAdmin(l.g, "match", "finish", { match: String(one.id) });
    expect(text(again)).toContain("already finished");
    // An organiser whose delete got no answer tries again: told it is done, not that the match never existed.
    expect(text(await asAdmin(l.g, "match", "delete", { match: String(three.id) }))).toBe(`Match #${three.id} is already deleted.`);
    expect(text(await asAdmin(l.g, "match", "reschedule", { match: String(three.id), time: iso(ahead(30)) }))).toBe(`Match #${three.id} is already deleted.`);
  });

  it("a past match or one starting within a minute gets no event, with a note", async () => {
    const l = await league();
    const past = await schedule(l, iso(Date.now() - 2 * H));
    expect(past.content).toContain("No Discord event: the match starts within a minute or is in the past.");
    expect(await events(l.g.guild_id)).toHaveLength(0);
    expect(await mapping(past.id)).toBeNull();
  });

  it("tournament toggled off removes its events; on again, the sync creates them", async () => {
    const l = await league();
    await schedule(l, ahead(5));
    await schedule(l, ahead(6));
    expect(await events(l.g.guild_id)).toHaveLength(2);
    const off = await asAdmin(l.g, "tournament", "edit", { tournament: l.slug, events_enabled: false });
    expect(text(off)).toContain("2 removed");
    expect(await events(l.g.guild_id)).toHaveLength(0);
    const on = await asAdmin(l.g, "tournament", "edit", { tournament: l.slug, events_enabled: true });
    expect(text(on)).toContain("2 created");
    expect(await events(l.g.guild_id)).toHaveLength(2);
  });

  it("the event follows the match whatever the guild's event level (levels decide what is recorded, not what works)", async () => {
    const l = await league();
    expect(text(await asAdmin(l.g, "bot-config", "event-level", { level: "NONE" }))).toContain("NONE");
    await schedule(l, ahead(24));
    expect(await events(l.g.guild_id)).toHaveLength(1);
    const logged = await env.DB.prepare("SELECT COUNT(*) AS n FROM event_log WHERE guild_id = ? AND name LIKE 'match.%'")
      .bind(l.g.guild_id)
      .first<{ n: number }>();
    expect(logged?.n).toBe(0);
  });

  it("NotFound on update recreates and re-maps; NotFound on delete drops the row", async () => {
    const l = await league();
    const a = await schedule(l, ahead(24));
    const b = await schedule(l, ahead(25));
    const [evA, evB] = await events(l.g.guild_id);
    // Deleted by hand while the bot was not listening.
    for (const ev of [evA, evB]) await emu(`/_emulator/guilds/${l.g.guild_id}/scheduled-events/${ev?.id}`, { method: "DELETE" });
    const moved = ahead(30);
    await asAdmin(l.g, "match", "reschedule", { match: String(a.id), time: iso(moved) });
    const [fresh, ...rest] = await events(l.g.guild_id);
    expect(rest).toHaveLength(0);
    expect(fresh?.id).not.toBe(evA?.id);
    expect(Date.parse(fresh?.scheduled_start_time ?? "")).toBe(moved);
    expect((await mapping(a.id))?.scheduled_event_id).toBe(fresh?.id);
    const del = await asAdmin(l.g, "match", "delete", { match: String(b.id) });
    expect(text(del)).toContain("Deleted");
    expect(await mapping(b.id)).toBeNull();
  });

  it("team tournaments: teams by role, `Away vs Home` names, a rename renames the event", async () => {
    const l = await league({ format: "teams" });
    const red = await emu<{ id: string }>(`/_emulator/guilds/${l.g.guild_id}/roles`, { body: { name: "Red", user_ids: [l.alice] } });
    const blue = await emu<{ id: string }>(`/_emulator/guilds/${l.g.guild_id}/roles`, { body: { name: "Blue", user_ids: [l.bob] } });
    await asAdmin(l.g, "team", "create", { tournament: l.slug, name: "Red Team", role: red.id });
    await asAdmin(l.g, "team", "create", { tournament: l.slug, name: "Blue Team", role: blue.id });
    const dup = await asAdmin(l.g, "team", "create", { tournament: l.slug, name: "red team", role: red.id });
    expect(text(dup)).toContain("already has a team");
    const wrong = await schedule(l, ahead(24));
    expect(wrong.content).toContain("team tournament");
    const { id } = await schedule(l, ahead(24), { team_a: "Red Team", team_b: "Blue Team" });
    expect(id).toBeGreaterThan(0);
    expect((await events(l.g.guild_id))[0]?.name).toBe(`${l.slug.toUpperCase()} - Red Team vs Blue Team`);
    await asAdmin(l.g, "team", "edit", { tournament: l.slug, team: "Red Team", name: "Crimson" });
    expect((await events(l.g.guild_id))[0]?.name).toBe(`${l.slug.toUpperCase()} - Crimson vs Blue Team`);
    const del = await asAdmin(l.g, "team", "delete", { tournament: l.slug, team: "Crimson" });
    expect(text(del)).toContain("still has 1 scheduled match");
  });
});

describe("match commands: input and isolation", () => {
  it("autocomplete shows how a time was understood; garbage gets the accepted forms and changes nothing", async () => {
    const l = await league();
    expect(text(await asAdmin(l.g, "bot-config", "timezone", { zone: "Europe/Berlin" }))).toContain("Europe/Berlin");
    const ac = await interact({
      kind: "autocomplete",
      name: "match",
      subcommand: "schedule",
      options: { tournament: l.slug, time: "2026-12-01 19:30" },
      focused: "time",
      guild_id: l.g.guild_id,
      user_id: l.g.admin_id,
    });
    const choices = (ac.response as { data: { choices: { name: string; value: string }[] } }).data.choices;
    expect(ac.valid).toBe(true);
    expect(choices[0]?.name).toContain("Dec 1, 2026, 19:30 (Europe/Berlin)");
    expect(choices[0]?.value).toBe(`<t:${Date.UTC(2026, 11, 1, 18, 30) / 1000}:F>`);
    const before = await dbSnapshot();
    for (const time of ["tomorrow-ish", "2026-13-01 10:00"]) {
      const r = await schedule(l, time);
      expect(r.content).toContain("couldn't read");
      expect(r.content).toContain("in 2h");
      expect(r.content).toContain("Europe/Berlin");
    }
    const long = await schedule(l, ahead(24), { title: "x".repeat(300) });
    expect(long.content).toContain("at most 200 characters");
    const matches = (s: Record<string, unknown[]>) => s.matches?.length;
    expect(matches(await dbSnapshot())).toBe(matches(before));
    expect(await events(l.g.guild_id)).toHaveLength(0);
  });

  it("relative times and pasted timestamps schedule at the instant they name", async () => {
    const l = await league();
    const t0 = Date.now();
    const rel = await schedule(l, "in 2h");
    const stamp = Math.floor((t0 + 5 * H) / 1000);
    const pasted = await schedule(l, `<t:${stamp}:F>`);
    const rows = await env.DB.prepare("SELECT id, scheduled_at FROM matches WHERE id IN (?, ?) ORDER BY id")
      .bind(rel.id, pasted.id)
      .all<{ scheduled_at: number }>();
    expect(Math.abs((rows.results[0]?.scheduled_at ?? 0) - (t0 + 2 * H))).toBeLessThan(10_000);
    expect(rows.results[1]?.scheduled_at).toBe(stamp * 1000);
    const list = await interact({ kind: "command", name: "match", subcommand: "list", guild_id: l.g.guild_id, user_id: l.alice });
    expect(text(list)).toMatch(new RegExp(`#${rel.id}.*<t:\\d+:R>[\\s\\S]*#${pasted.id}`));
  });

  it("members cannot schedule; guild A's tournaments and matches are invisible to guild B", async () => {
    const a = await league();
    const at = ahead(24);
    const { id } = await schedule(a, at);
    const asMember = await interact({
      kind: "command",
      name: "match",
      subcommand: "reschedule",
      options: { match: String(id), time: iso(ahead(30)) },
      guild_id: a.g.guild_id,
      user_id: a.alice,
    });
    expect(text(asMember)).toContain("Manage Events");
    const b = await league();
    const ac = await interact({
      kind: "autocomplete",
      name: "match",
      subcommand: "reschedule",
      options: { match: "" },
      focused: "match",
      guild_id: b.g.guild_id,
      user_id: b.g.admin_id,
    });
    expect((ac.response as { data: { choices: unknown[] } }).data.choices).toEqual([]);
    const tac = await interact({
      kind: "autocomplete",
      name: "tournament",
      subcommand: "edit",
      options: { tournament: a.slug },
      focused: "tournament",
      guild_id: b.g.guild_id,
      user_id: b.g.admin_id,
    });
    expect((tac.response as { data: { choices: unknown[] } }).data.choices).toEqual([]);
    expect(text(await asAdmin(b.g, "match", "reschedule", { match: String(id), time: iso(ahead(30)) }))).toContain("can't find that match");
    expect(text(await asAdmin(b.g, "match", "delete", { match: String(id) }))).toContain("can't find that match");
    expect(text(await asAdmin(b.g, "tournament", "edit", { tournament: a.slug, name: "Hijacked" }))).toContain("no tournament");
    expect(Date.parse((await events(a.g.guild_id))[0]?.scheduled_start_time ?? "")).toBe(at);
  });

  it("a time the clocks skip (02:30 on spring-forward day) is refused with the missing hour named; nothing is written", async () => {
    const l = await league();
    expect(text(await asAdmin(l.g, "bot-config", "timezone", { zone: "America/New_York" }))).toContain("America/New_York");
    // New York springs forward on the second Sunday of March: the next one from today.
    const now = new Date();
    const year = now.getUTCMonth() < 2 ? now.getUTCFullYear() : now.getUTCFullYear() + 1;
    const firstSunday = 1 + ((7 - new Date(Date.UTC(year, 2, 1)).getUTCDay()) % 7);
    const day = `${year}-03-${String(firstSunday + 7).padStart(2, "0")}`;
    const before = await dbSnapshot();
    const r = await schedule(l, `${day} 02:30`);
    expect(r.content).toContain(`does not exist in America/New_York: on ${day} the clocks jump from 02:00 straight to 03:00`);
    expect(r.content).toContain(`${day} 03:30`);
    expect(await dbSnapshot()).toEqual(before);
    expect(await events(l.g.guild_id)).toHaveLength(0);
    // The same evening exists and is read with that day's offset (EDT, UTC−4).
    const ok = await schedule(l, `${day} 19:30`);
    expect(await mapping(ok.id)).toMatchObject({ start_at: Date.parse(`${day}T23:30:00Z`) });
  });
});

describe("when Discord fails", () => {
  it("a 5xx on a live change never fails the command; the match's timer retries and creates the event", async () => {
    const l = await league();
    // A create is never retried blindly by the REST client (a 502 may come after Discord made it): one failure.
    await emu("/_emulator/faults", { body: { path: `/guilds/${l.g.guild_id}/scheduled-events`, method: "POST", status: 502, times: 1 } });
    const { content, id } = await schedule(l, ahead(24));
    expect(content).toContain("Scheduled");
    expect(content).toContain("I will retry in a moment");
    expect(await events(l.g.guild_id)).toHaveLength(0);
    const timer = env.EVENT_TIMER.getByName(`tm:${l.g.guild_id}:${id}`);
    const pending = await (timer as unknown as TimerStub).list();
    expect(pending.map((i) => [i.key, i.status])).toEqual([["mirror", "pending"]]);
    await runInDurableObject(timer, (t: EventTimer) => {
      t.clock = () => Date.now() + 60_000;
    });
    expect(await runDurableObjectAlarm(timer)).toBe(true);
    const [ev] = await events(l.g.guild_id);
    expect(ev?.name).toBe(`${l.slug.toUpperCase()} - alice vs bob`);
    expect(await mapping(id)).toMatchObject({ scheduled_event_id: ev?.id, last_error: null });
  });
});
