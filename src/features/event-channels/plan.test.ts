import { describe, expect, it } from "vitest";
import { baseName, channelNames, creationTime, deletionTime, nextRetry, roleName, startMessageAt, voicePlan } from "./plan";
import { DEFAULT_SETTINGS, mergeSettings, type Settings } from "./settings";
import { normaliseVoice } from "./storage";

const settings = (patch: Partial<Settings> = {}): Settings => ({ ...DEFAULT_SETTINGS, ...patch });
const START = Date.UTC(2026, 10, 30, 19, 0); // Mon 30 Nov 2026 19:00 UTC

describe("event channel names", () => {
  it.each([
    ["UTC", "Raid Mon 30. Nov 19:00"],
    ["Europe/Berlin", "Raid Mon 30. Nov 20:00"],
    ["Asia/Tokyo", "Raid Tue 1. Dec 04:00"],
  ])("formats the role name in the guild's timezone (%s)", (timezone, expected) => {
    expect(roleName(settings({ timezone }), "Raid", START)).toBe(expected);
  });

  it("fills the 12-hour placeholders", () => {
    expect(roleName(settings({ role_format: "{name} {time_12} / {time_12_short} {ampm}" }), "Raid", START)).toBe("Raid 7:00 PM / 7pm PM");
  });

  it("cuts a role name to Discord's 100 characters", () => {
    expect([...roleName(settings(), "x".repeat(300), START)]).toHaveLength(100);
  });

  it("builds channel names as the cog does: lowercase, spaces replaced, type placeholder", () => {
    expect(channelNames(settings(), "Raid Night", 1)).toEqual({ text: "raid᲼night᲼text", voice: ["raid᲼night᲼voice"] });
    expect(channelNames(settings({ space_replacer: "-", channel_format: "{name}-{type}" }), "Raid Night", 2).voice).toEqual([
      "raid-night-voice 1",
      "raid-night-voice 2",
    ]);
  });

  it("cuts the base name at the limit character, or to the numeric limit", () => {
    expect(baseName(settings({ channel_name_limit_char: "|" }), "Raid | Heroic")).toBe("raid᲼");
    expect(baseName(settings({ channel_name_limit: 4 }), "Raid Night")).toBe("raid");
    expect(baseName(settings({ channel_name_limit_char: "|", channel_name_limit: 4 }), "Raid Night")).toBe("raid");
  });
});

describe("voice layout and minimum attendance", () => {
  const s = settings({ voice_multipliers: { raid: 5 }, voice_minimum_roles: { raid: 10, dungeon: 3 } });
  it.each([
    ["Big Raid", 23, { keyword: "raid", count: 4, userLimit: 6, minimum: 10 }],
    ["Big Raid", 3, { keyword: "raid", count: 1, userLimit: 6, minimum: 10 }],
    ["Dungeon run", 7, { keyword: "dungeon", count: 1, userLimit: 0, minimum: 3 }],
    ["Movie night", 40, { keyword: null, count: 1, userLimit: 0, minimum: null }],
  ])("%s with %i interested", (name, n, expected) => {
    expect(voicePlan(s, name as string, n as number)).toEqual(expected);
  });

  it("retries at each interval still ahead, then gives up", () => {
    const s2 = settings();
    expect(nextRetry(s2, START, START - 15 * 60_000)).toBe(START - 10 * 60_000);
    expect(nextRetry(s2, START, START - 10 * 60_000)).toBe(START - 5 * 60_000);
    expect(nextRetry(s2, START, START - 2 * 60_000)).toBeNull();
  });
});

describe("timeline", () => {
  it("creates creation_minutes before the start, or at once when that has passed", () => {
    expect(creationTime(settings(), START, START - 60 * 60_000)).toBe(START - 15 * 60_000);
    expect(creationTime(settings(), START, START - 5 * 60_000)).toBe(START - 5 * 60_000);
  });
  it("deletes deletion_hours after the end, or after the start without an end", () => {
    expect(deletionTime(settings(), START, START + 3_600_000)).toBe(START + 5 * 3_600_000);
    expect(deletionTime(settings(), START, null)).toBe(START + 4 * 3_600_000);
  });
  it("posts the start message at the start, at once for channels made late, and never after the end", () => {
    const end = START + 3_600_000;
    const del = end + 4 * 3_600_000;
    expect(startMessageAt(START, end, del, START - 60_000, true)).toBe(START);
    expect(startMessageAt(START, end, del, START + 60_000, true)).toBe(START + 60_000);
    expect(startMessageAt(START, end, del, end + 1, true)).toBeNull();
    expect(startMessageAt(START, null, del, end + 1, true)).toBe(end + 1);
    // A reschedule or an extension after the start does not post it again.
    expect(startMessageAt(START, end, del, START + 60_000, false)).toBeNull();
  });
});

describe("settings validation", () => {
  it.each([
    [{ timezone: "Mars/Olympus" }, "timezone"],
    [{ channel_format: "{name}" }, "must contain {name} and {type}"],
    [{ creation_minutes: 5000 }, "creation_minutes"],
    [{ role_format: "x".repeat(300) }, "role_format"],
    [{ announcement_message: "{role} at {when}" }, "unknown placeholder {when}"],
    [{ voice_multipliers: { raid: 0 } }, "voice_multipliers"],
  ])("rejects %j with a message naming the problem", (patch, text) => {
    const r = mergeSettings(DEFAULT_SETTINGS, patch);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.problems.join("\n")).toContain(text);
  });

  it("turns a message off with 'none'", () => {
    const r = mergeSettings(DEFAULT_SETTINGS, { event_start_message: "None" });
    expect(r.ok && r.settings.event_start_message).toBe("");
  });
});

describe("stored records", () => {
  it("reads the legacy shape where voice was a single id", () => {
    expect(normaliseVoice("123456789012345678")).toEqual(["123456789012345678"]);
    expect(normaliseVoice(["1", "2"])).toEqual(["1", "2"]);
    expect(normaliseVoice(null)).toEqual([]);
  });
});

describe("importing the cog's Red Config", () => {
  const file = `{"817263540": {"GUILD": {"555555555555555555": {
    "category_id": 777777777777777777, "timezone": "Europe/Berlin", "creation_minutes": 30,
    "voice_multipliers": {"raid": 5}, "whitelisted_roles": [888888888888888888],
    "channel_format": "{name}", "divider_roles": [1],
    "event_channels": {"999999999999999999": {"text": 111111111111111111, "voice": 222222222222222222, "role": 333333333333333333},
                       "999999999999999998": {"text": 111111111111111112, "voice": [222222222222222223, 222222222222222224], "role": 333333333333333334}}
  }}}}`;

  it("keeps ids exact, reads both storage shapes, and skips what does not validate", async () => {
    const { importRedConfig } = await import("./import-red");
    const r = importRedConfig(file, "555555555555555555");
    expect(r.settings).toMatchObject({ category_id: "777777777777777777", timezone: "Europe/Berlin", creation_minutes: 30, voice_multipliers: { raid: 5 } });
    expect(r.settings.whitelisted_roles).toEqual(["888888888888888888"]);
    expect(r.settings.channel_format).toBe("{name}᲼{type}");
    expect(r.skipped.join(" ")).toContain("channel_format");
    expect(r.events).toEqual([
      { event_id: "999999999999999999", text_id: "111111111111111111", voice_ids: ["222222222222222222"], role_id: "333333333333333333" },
      { event_id: "999999999999999998", text_id: "111111111111111112", voice_ids: ["222222222222222223", "222222222222222224"], role_id: "333333333333333334" },
    ]);
  });
});
