import { GuildScheduledEventStatus } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import {
  changedFields,
  createBody,
  DESCRIPTION_MAX,
  desiredEvent,
  eventLocation,
  eventName,
  type MatchForEvent,
  patchBody,
  type TournamentForEvent,
} from "./event-format";
import { GUILD_EVENT_LIMIT, planGuildSync, planMirror, type SyncEntry } from "./mirror-plan";
import { parseMatchTime, zonedToUtc } from "./time-input";

const NOW = Date.UTC(2026, 10, 23, 12, 0); // Mon 23 Nov 2026 12:00 UTC
const H = 3_600_000;

const tournament = (patch: Partial<TournamentForEvent> = {}): TournamentForEvent => ({
  slug: "alttpr2026",
  name: "ALttPR League",
  create_scheduled_events: 1,
  scheduled_events_enabled: 1,
  event_minutes: 120,
  description_template: null,
  stream_base: "https://twitch.tv/",
  ...patch,
});

const match = (patch: Partial<MatchForEvent> = {}): MatchForEvent => ({
  id: 1,
  title: null,
  round: null,
  scheduled_at: NOW + 24 * H,
  stream_channel: null,
  status: "scheduled",
  a: { kind: "member", id: "1", name: "Alice", stream: null },
  b: { kind: "member", id: "2", name: "Bob", stream: null },
  ...patch,
});

describe("match time input", () => {
  it.each([
    ["2026-12-01 19:30", "UTC", Date.UTC(2026, 11, 1, 19, 30)],
    ["2026-12-01 19:30", "Europe/Berlin", Date.UTC(2026, 11, 1, 18, 30)],
    ["2027-07-01T19:30", "Europe/Berlin", Date.UTC(2027, 6, 1, 17, 30)],
    ["2026-12-01 7:30pm", "America/New_York", Date.UTC(2026, 11, 2, 0, 30)],
    ["2026-12-01 19:30 +02:00", "Asia/Tokyo", Date.UTC(2026, 11, 1, 17, 30)],
    ["2026-12-01 19:30Z", "Asia/Tokyo", Date.UTC(2026, 11, 1, 19, 30)],
  ])("reads %s in %s", (input, tz, expected) => {
    expect(parseMatchTime(input, tz, NOW)).toMatchObject({ ok: true, at: expected });
  });

  it("reads relative times and pasted Discord timestamps", () => {
    expect(parseMatchTime("in 2h", "UTC", NOW)).toMatchObject({ ok: true, at: NOW + 2 * H, form: "relative" });
    expect(parseMatchTime("in 1h30m", "UTC", NOW)).toMatchObject({ at: NOW + 1.5 * H });
    expect(parseMatchTime("in 3 days", "UTC", NOW)).toMatchObject({ at: NOW + 72 * H });
    expect(parseMatchTime("<t:1796140800:F>", "UTC", NOW)).toMatchObject({ ok: true, at: 1796140800_000, form: "timestamp" });
    expect(parseMatchTime("<t:1796140800>", "UTC", NOW)).toMatchObject({ at: 1796140800_000 });
  });

  it.each(["tomorrow-ish", "", "2026-02-30 19:00", "2026-12-01 25:00", "in 2 fortnights", "in h", "x".repeat(300), "20266-12-01 19:00"])(
    "rejects %j and lists the accepted forms",
    (input) => {
      const r = parseMatchTime(input, "Europe/Berlin", NOW);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reason).toContain("Europe/Berlin");
        expect(r.reason).toContain("in 2h");
        expect(r.reason).toMatch(/<t:\d+:F>/);
      }
    },
  );

  it("resolves wall times across a DST change to the clock's meaning", () => {
    // 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 → 03:00): the later side is used.
    expect(zonedToUtc({ y: 2026, mo: 3, d: 29, h: 3, mi: 30 }, "Europe/Berlin")).toBe(Date.UTC(2026, 2, 29, 1, 30));
    expect(zonedToUtc({ y: 2026, mo: 3, d: 28, h: 3, mi: 30 }, "Europe/Berlin")).toBe(Date.UTC(2026, 2, 28, 2, 30));
  });
});

describe("event formatting (seed 001)", () => {
  it("names the event {SLUG} - {title or A vs B}, cut to 100 with an ellipsis", () => {
    expect(eventName(tournament(), match())).toBe("ALTTPR2026 - Alice vs Bob");
    expect(eventName(tournament(), match({ title: "Semifinals Match 1" }))).toBe("ALTTPR2026 - Semifinals Match 1");
    const long = eventName(tournament(), match({ title: "t".repeat(300) }));
    expect([...long]).toHaveLength(100);
    expect(long.endsWith("…")).toBe(true);
  });

  it("describes the match as the seed does", () => {
    const d = desiredEvent(tournament(), match({ stream_channel: "speedgaming" }));
    const at = Math.floor((NOW + 24 * H) / 1000);
    expect(d.description).toBe(`Match: Alice vs Bob\nTournament: ALttPR League\n\nScheduled: <t:${at}:F>\nStream: https://twitch.tv/speedgaming`);
    expect(d.end_at - d.start_at).toBe(120 * 60_000);
  });

  it("fills a description template and keeps it, with the bot's marker line, within Discord's 1000 characters", () => {
    const t = tournament({ description_template: "{slug}: {match} ({round}) at {time} on {stream} {unknown}" });
    expect(desiredEvent(t, match({ round: "Week 3" })).description).toMatch(/^ALTTPR2026: Alice vs Bob \(Week 3\) at <t:\d+:F> on TBD \{unknown\}$/);
    const long = desiredEvent(tournament({ description_template: "x".repeat(990) + "{match}{match}" }), match());
    expect([...long.description]).toHaveLength(DESCRIPTION_MAX);
    const sent = createBody(long, { guildId: "123456789012345678", matchId: 999_999_999_999 }).description ?? "";
    expect([...sent].length).toBeLessThanOrEqual(1000);
    expect(sent.startsWith(long.description)).toBe(true);
  });

  it("picks the location: stream channel, then multistream of both players, else TBD", () => {
    expect(eventLocation(tournament(), match({ stream_channel: "speedgaming" }))).toBe("https://twitch.tv/speedgaming");
    expect(eventLocation(tournament({ stream_base: "https://youtube.com/@" }), match({ stream_channel: "sg" }))).toBe("https://youtube.com/@/sg");
    const both = match({ a: { kind: "member", id: "1", name: "A", stream: "alice" }, b: { kind: "member", id: "2", name: "B", stream: "bob" } });
    expect(eventLocation(tournament(), both)).toBe("https://multistre.am/alice/bob/");
    expect(eventLocation(tournament(), { ...both, b: { ...both.b, stream: null } })).toBe("TBD");
  });

  it("creates EXTERNAL, GUILD_ONLY events and patches only what changed", () => {
    const want = desiredEvent(tournament(), match());
    expect(createBody(want, { guildId: "1", matchId: 1 })).toMatchObject({ entity_type: 3, privacy_level: 2, entity_metadata: { location: "TBD" } });
    const moved = desiredEvent(tournament(), match({ scheduled_at: NOW + 48 * H }));
    const changed = changedFields(moved, want);
    expect(Object.keys(changed)).toEqual(["description", "start_at", "end_at"]);
    expect(Object.keys(patchBody({ start_at: moved.start_at, end_at: moved.end_at }, moved))).toEqual(["scheduled_start_time", "scheduled_end_time"]);
    expect(changedFields(want, want)).toEqual({});
  });
});

describe("mirror decisions", () => {
  const base = { tournament: tournament(), match: match(), hasEvent: false, current: null, eventStatus: null, now: NOW };

  it("creates for an enabled tournament and not for a disabled one, a past match or one starting within a minute", () => {
    expect(planMirror(base).do).toBe("create");
    expect(planMirror({ ...base, tournament: tournament({ create_scheduled_events: 0 }) })).toEqual({ do: "none", why: "disabled" });
    expect(planMirror({ ...base, tournament: tournament({ scheduled_events_enabled: 0 }) })).toEqual({ do: "none", why: "disabled" });
    expect(planMirror({ ...base, match: match({ scheduled_at: NOW - H }) })).toEqual({ do: "none", why: "too_soon" });
    expect(planMirror({ ...base, match: match({ scheduled_at: NOW + 30_000 }) })).toEqual({ do: "none", why: "too_soon" });
  });

  it("patches only changed fields, does nothing when nothing changed", () => {
    const current = desiredEvent(tournament(), match());
    expect(planMirror({ ...base, hasEvent: true, current })).toEqual({ do: "none", why: "unchanged" });
    const a = planMirror({ ...base, hasEvent: true, current, match: match({ stream_channel: "sg" }) });
    expect(a).toMatchObject({ do: "patch", changed: ["description", "location"] });
  });

  it("deletes on delete/disable, completes an ACTIVE event on finish", () => {
    const current = desiredEvent(tournament(), match());
    const has = { ...base, hasEvent: true, current };
    expect(planMirror({ ...has, match: match({ status: "deleted" }) })).toEqual({ do: "delete", why: "deleted" });
    expect(planMirror({ ...has, match: match({ status: "finished" }) })).toEqual({ do: "delete", why: "finished" });
    expect(planMirror({ ...has, match: match({ status: "finished" }), eventStatus: GuildScheduledEventStatus.Active })).toEqual({ do: "complete" });
    expect(planMirror({ ...has, tournament: tournament({ scheduled_events_enabled: 0 }) })).toEqual({ do: "delete", why: "disabled" });
    expect(planMirror({ ...base, match: match({ status: "deleted" }) })).toEqual({ do: "forget" });
  });
});

describe("guild sync plan", () => {
  const entry = (id: number, hours: number, patch: Partial<SyncEntry> = {}): SyncEntry => ({
    matchId: id,
    tournament: tournament(),
    match: match({ id, scheduled_at: NOW + hours * H }),
    mappedEventId: null,
    eventStatus: null,
    observed: null,
    observedStatus: null,
    ...patch,
  });
  const synced = (id: number, hours: number) => {
    const e = entry(id, hours);
    return { ...e, mappedEventId: `ev${id}`, observed: desiredEvent(tournament(), e.match as MatchForEvent), observedStatus: 1 };
  };

  it("writes nothing when Discord already matches", () => {
    expect(planGuildSync([synced(1, 2), synced(2, 5)], 0, NOW)).toEqual({ work: [], forget: [], overLimit: [], unchanged: 2 });
  });

  it("creates missing, fixes drift, recreates vanished, deletes orphans", () => {
    const drifted = { ...synced(2, 5), observed: { ...(synced(2, 5).observed as ReturnType<typeof desiredEvent>), name: "renamed by hand" } };
    const vanished = { ...synced(3, 6), observed: null, observedStatus: null };
    const orphan = { ...synced(4, 7), match: match({ id: 4, status: "finished" }) };
    const plan = planGuildSync([entry(1, 2), drifted, vanished, orphan], 0, NOW);
    expect(plan.work).toEqual([
      { matchId: 4, action: "delete" },
      { matchId: 1, action: "create" },
      { matchId: 2, action: "patch" },
      { matchId: 3, action: "create" },
    ]);
  });

  it("keeps the soonest matches under the 100-event limit, moving a later event out for a sooner match", () => {
    const others = GUILD_EVENT_LIMIT - 2;
    const plan = planGuildSync([synced(1, 50), entry(2, 3), entry(3, 4)], others, NOW);
    expect(plan.work).toEqual([
      { matchId: 1, action: "evict" },
      { matchId: 2, action: "create" },
      { matchId: 3, action: "create" },
    ]);
    expect(plan.overLimit).toEqual([1]);
  });
});
