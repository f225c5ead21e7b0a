/** Times and durations members type are range-checked where they enter, with a reply that says what was wrong. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { asAdmin, interact, newGuild } from "./helpers";
import { ahead, H, iso, league, schedule, text } from "./tournament-helpers";

const matchCount = async (guildId: string) =>
  (await env.DB.prepare("SELECT COUNT(*) AS n FROM matches WHERE guild_id = ?").bind(guildId).first<{ n: number }>())?.n;

describe("match times", () => {
  it("a pasted timestamp no date can hold, a date in the past and one years ahead are refused with the reason; nothing is stored", async () => {
    const l = await league();
    const cases: [string, string][] = [
      ["<t:9999999999999>", "is not a date Discord can show"],
      ["<t:99999999999999999:F>", "is not a date Discord can show"],
      ["2020-01-01 10:00", "Jan 1, 2020, 10:00 (UTC), which is in the past"],
      [iso(Date.now() - 30 * 24 * H), "which is in the past"],
      ["2099-01-01 10:00", "more than 2 years ahead"],
      ["in 9999w", "more than 2 years ahead"],
    ];
    for (const [time, reason] of cases) {
      const r = await schedule(l, time);
      expect(r.r.valid).toBe(true);
      expect(r.content).toContain(reason);
      expect(r.content).not.toContain("couldn't read");
    }
    expect(await matchCount(l.g.guild_id)).toBe(0);
    // A match played a couple of hours ago can still be recorded; moving it years back cannot.
    const { id } = await schedule(l, iso(ahead(-2)));
    expect(Number.isInteger(id)).toBe(true);
    const moved = await asAdmin(l.g, "match", "reschedule", { match: String(id), time: "2020-01-01 10:00" });
    expect(text(moved)).toContain("in the past");
    const row = await env.DB.prepare("SELECT scheduled_at FROM matches WHERE id = ?").bind(id).first<{ scheduled_at: number }>();
    expect(row?.scheduled_at).toBe(ahead(-2));
  });

  it("autocomplete says what is wrong with a time before the command is sent", async () => {
    const l = await league();
    const cases: [string, string][] = [
      ["<t:9999999999999>", "not a date Discord can show"],
      ["2020-01-01 10:00", "In the past"],
    ];
    for (const [time, label] of cases) {
      const ac = await interact({
        kind: "autocomplete",
        name: "match",
        subcommand: "schedule",
        options: { tournament: l.slug, time },
        focused: "time",
        guild_id: l.g.guild_id,
        user_id: l.g.admin_id,
      });
      expect(ac.valid).toBe(true);
      expect((ac.response as { data: { choices: { name: string }[] } }).data.choices[0]?.name).toContain(label);
    }
  });
});

describe("durations and offsets in settings", () => {
  it("event-channel minutes and hours say the unit and the range", async () => {
    const g = await newGuild();
    const set = (setting: string, value: string) => asAdmin(g, "eventchannels", "set", { setting, value });
    expect(text(await set("creation_minutes", "5000"))).toContain("creation_minutes: must be 0–1440 minutes before the start");
    expect(text(await set("deletion_hours", "-1"))).toContain("deletion_hours: must be 0–168 hours after the end");
    expect(text(await set("minimum_retry_intervals", "10, 0"))).toContain("must be 1–1440 minutes before the start");
    expect(text(await set("creation_minutes", "30"))).toBe("Saved.");
  });

  it("reminder offsets beyond 30 days are named as such; voice and tournament durations name their unit", async () => {
    const g = await newGuild();
    const far = await asAdmin(g, "reminders", "offsets", { allowed: "24h, 45d" });
    expect(text(far)).toBe("`45d` is more than 30 days before the start; the earliest reminder is `30d`.");
    const odd = await asAdmin(g, "reminders", "offsets", { allowed: "24h, soon" });
    expect(text(odd)).toContain("`soon` is not a time like");
    const voice = await asAdmin(g, "voice-config", "set", { empty_minutes: 5000 });
    expect(text(voice)).toBe("`empty_minutes` must be between 1 and 1440 minutes (up to a day).");
    const l = await league();
    const t = await asAdmin(l.g, "tournament", "edit", { tournament: l.slug, duration: 5 });
    expect(text(t)).toBe("`duration` must be 15–1440 minutes.");
  });
});
