import { PermissionFlagsBits as F, OverwriteType } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { HOUR, useRelay } from "./event-channel-helpers";
import { emu, type Fixture, interact } from "./helpers";
import { dms, runAt, subscribeDirect, untilItem } from "./reminder-helpers";
import { guildWithCommands, member, text } from "./tournament-helpers";

useRelay();

/** A voice channel only the VIP role can see, and an event that takes place in it. */
async function privateEvent(g: Fixture) {
  const vip = await emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/roles`, { body: { name: "VIP", user_ids: [] } });
  const [room] = await emu<{ id: string }[]>(`/_emulator/guilds/${g.guild_id}/channels`, {
    body: {
      name: "vip-lounge",
      type: 2,
      permission_overwrites: [
        { id: g.guild_id, type: OverwriteType.Role, allow: "0", deny: String(F.ViewChannel) },
        { id: vip.id, type: OverwriteType.Role, allow: String(F.ViewChannel), deny: "0" },
      ],
    },
  });
  const start = Date.now() + 3 * HOUR;
  const ev = await emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/scheduled-events`, {
    body: { name: "Secret Tasting", scheduled_start_time: new Date(start).toISOString(), entity_type: 2, channel_id: room?.id },
  });
  return { vip: vip.id, ev, start };
}

describe("reminders never reveal an event in a channel the member cannot see", () => {
  it("not in /remind's suggestions, not remindable, not in /reminders mine, and no DM by type subscription", async () => {
    const g = await guildWithCommands();
    const { vip, ev, start } = await privateEvent(g);
    const insider = await member(g, "insider", [vip]);
    const outsider = await member(g, "outsider");
    await subscribeDirect(g, outsider, ["all"], [3600]);
    await subscribeDirect(g, insider, ["all"], [3600]);
    const as = (user_id: string, kind: "command" | "autocomplete", name: string, subcommand: string | undefined, options: Record<string, string>) =>
      interact({
        kind,
        name,
        ...(subcommand ? { subcommand } : {}),
        options,
        ...(kind === "autocomplete" ? { focused: "event" } : {}),
        guild_id: g.guild_id,
        user_id,
      });
    await untilItem(g.guild_id, ev.id, "dm:3600");

    const suggestions = (r: Awaited<ReturnType<typeof interact>>) =>
      (r.response as { data: { choices: { value: string }[] } }).data.choices.map((c) => c.value);
    expect(suggestions(await as(outsider, "autocomplete", "remind", undefined, { event: "" }))).not.toContain(ev.id);
    expect(suggestions(await as(insider, "autocomplete", "remind", undefined, { event: "" }))).toContain(ev.id);
    expect(text(await as(outsider, "command", "remind", undefined, { event: ev.id }))).toContain("not upcoming");
    expect(text(await as(outsider, "command", "reminders", "mine", {}))).not.toContain("Secret Tasting");
    expect(text(await as(insider, "command", "remind", undefined, { event: ev.id }))).toContain("Secret Tasting");

    await runAt(g.guild_id, ev.id, start - HOUR);
    expect(await dms(g, outsider)).toHaveLength(0);
    // Type subscriptions skip private channels altogether; members who asked (and could see it) or marked Interested are reminded.
    expect((await dms(g, insider)).map((m) => m.embeds[0]?.title)).toEqual(["Reminder: Secret Tasting"]);
  });
});
