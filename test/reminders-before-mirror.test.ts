import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HOUR, scheduleEvent } from "./event-channel-helpers";
import { guildState, newGuild } from "./helpers";
import { dms, runAt, subscribeDirect, timerOf } from "./reminder-helpers";

// No relay here: the event reaches the bot only when it asks Discord, as for a guild whose events the guild-events core
// has not listed yet (reminder items planned before migration 0095, run before the first GUILD_CREATE or hourly list).
describe("reminder items planned before the guild-events core's mirror existed", () => {
  it("find their event by having the core list the guild, and send the DM and the channel post", async () => {
    const g = await newGuild();
    await subscribeDirect(g, g.member_id, ["all"], [3600]);
    await env.DB.prepare("INSERT INTO reminder_settings (guild_id, channel_id, updated_at) VALUES (?, ?, 0)").bind(g.guild_id, g.channels.text).run();
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    expect(await env.DB.prepare("SELECT 1 FROM scheduled_events WHERE guild_id = ?").bind(g.guild_id).first()).toBeNull();
    const t = timerOf(g.guild_id, ev.id);
    const key = { guild_id: g.guild_id, event_id: ev.id, start_at: start, offset_s: 3600 };
    await t.schedule("dm:3600", start - HOUR, "reminders.dm", key, `rm:${g.guild_id}:${ev.id}`);
    await t.schedule("ch:3600", start - HOUR, "reminders.channel", key, `rm:${g.guild_id}:${ev.id}`);
    await runAt(g.guild_id, ev.id, start - HOUR);
    expect((await dms(g, g.member_id)).map((m) => m.embeds[0]?.title)).toEqual(["Reminder: Raid"]);
    const posts = (await guildState(g.guild_id)).messages[g.channels.text] ?? [];
    expect(posts.map((m) => m.content)).toEqual([`**Raid** starts <t:${Math.floor(start / 1000)}:R> (<t:${Math.floor(start / 1000)}:t>).`]);
    // The guild's events are in the mirror now, for everything else that reads it.
    expect(await env.DB.prepare("SELECT name FROM scheduled_events WHERE guild_id = ? AND event_id = ?").bind(g.guild_id, ev.id).first()).toEqual({
      name: "Raid",
    });
  });
});
