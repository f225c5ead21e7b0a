import { describe, expect, it } from "vitest";
import { formatOffset, isReminderEmbed, parseOffset, parseOffsetList, reminderEmbed } from "./offsets";

describe("reminder offsets", () => {
  it.each([
    ["24h", 86_400],
    ["1h30m", 5_400],
    ["1h 30m", 5_400],
    ["15m", 900],
    ["2d", 172_800],
    ["now", 0],
    ["0", 0],
    ["0m", 0],
    [" NOW ", 0],
    ["30d", 2_592_000],
    ["90 min", 5_400],
    ["1 hour", 3_600],
  ])("reads %j as %i seconds", (text, seconds) => {
    expect(parseOffset(text)).toBe(seconds);
  });

  it("refuses what is not a time and what is more than 30 days before", () => {
    expect(parseOffset("tomorrow-ish")).toBe("unreadable");
    expect(parseOffset("10")).toBe("unreadable");
    expect(parseOffset("1hm")).toBe("unreadable");
    expect(parseOffset("31d")).toBe("too_far");
    expect(parseOffset("5w")).toBe("too_far");
    expect(parseOffsetList("1h, nope")).toMatchObject({ ok: false, bad: "nope" });
    expect(parseOffsetList("now 24h,1h 24h")).toEqual({ ok: true, offsets: [86_400, 3_600, 0] });
  });

  it("writes offsets back in the form members type", () => {
    expect([0, 900, 3_600, 5_400, 86_400, 90_060].map(formatOffset)).toEqual(["now", "15m", "1h", "1h30m", "1d", "1d1h1m"]);
  });

  it("keeps the reminder DM's wording, so reminders sent before still match", () => {
    const ev = { guild_id: "1", event_id: "2", name: "Raid", start_at: 1_796_140_800_500, location: null, channel_id: "3" };
    const embed = reminderEmbed(ev, 5_400);
    expect(embed.description).toBe("**Raid** starts <t:1796140800:R>.");
    expect(embed.fields).toEqual([
      { name: "Starts", value: "<t:1796140800:F> (<t:1796140800:R>)", inline: true },
      { name: "Where", value: "<#3>", inline: true },
    ]);
    expect(embed.footer?.text).toMatch(/^1h30m before the start · /);
    expect(isReminderEmbed(embed, { ...ev, offset_s: 5_400 })).toBe(true);
    expect(isReminderEmbed(embed, { ...ev, offset_s: 3_600 })).toBe(false);
  });
});
