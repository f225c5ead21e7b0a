import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HOUR, MIN, scheduleEvent, useRelay } from "./event-channel-helpers";
import { emu, type Fixture, guildState } from "./helpers";
import { dms, runAt, subscribeDirect, timerOf, untilItem } from "./reminder-helpers";

useRelay();

async function deliveries(g: Fixture, eventId: string) {
  const rows = await env.DB.prepare("SELECT user_id, status, reason FROM reminder_deliveries WHERE guild_id = ? AND event_id = ? ORDER BY user_id")
    .bind(g.guild_id, eventId)
    .all<{ user_id: string; status: string; reason: string | null }>();
  return new Map(rows.results.map((r) => [r.user_id, r]));
}

const dmChannel = async (g: Fixture, userId: string) =>
  ((await guildState(g.guild_id)) as unknown as { dm_channels: Record<string, string> }).dm_channels[userId] as string;

async function openDmAsBot(userId: string): Promise<string> {
  const ch = await fetch(`${env.EMULATOR_URL}/api/v10/users/@me/channels`, {
    method: "POST",
    headers: { authorization: `Bot ${env.DISCORD_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ recipient_id: userId }),
  }).then((r) => r.json() as Promise<{ id: string }>);
  await env.DB.prepare("INSERT OR REPLACE INTO dm_channels (user_id, channel_id, updated_at) VALUES (?, ?, 0)").bind(userId, ch.id).run();
  return ch.id;
}

describe("a delivery left unconfirmed past Discord's nonce window", () => {
  it("is looked for in the DM channel: one that went out is not sent again, one that never did is counted failed, not sent late", async () => {
    const g = await newGuildWith3();
    const { member, lost, never } = g.users;
    const start = Date.now() + 3 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await untilItem(g.guild_id, ev.id, "dm:3600");
    // `never` opened its DM channel earlier (a welcome DM) but is not subscribed yet: the first run sends it nothing.
    await openDmAsBot(never);
    const T = start - HOUR;
    await runAt(g.guild_id, ev.id, T);
    expect((await dms(g, member)).length).toBe(1);
    expect((await dms(g, lost)).length).toBe(1);
    // Crashes, as D1 saw them: `member`'s attempt died between the send and its record (left claimed); `lost`'s
    // answer never came (a timeout, left to retry); `never`'s attempt claimed it and died before sending.
    await env.DB.prepare("UPDATE reminder_deliveries SET status = 'claimed' WHERE guild_id = ? AND user_id = ?").bind(g.guild_id, member).run();
    await env.DB.prepare("UPDATE reminder_deliveries SET status = 'retry' WHERE guild_id = ? AND user_id = ?").bind(g.guild_id, lost).run();
    await env.DB.prepare(
      "INSERT INTO reminder_deliveries (guild_id, event_id, start_at, user_id, offset_s, status, event_name, updated_at) VALUES (?, ?, ?, ?, 3600, 'claimed', 'Raid', ?)",
    )
      .bind(g.guild_id, ev.id, start, never, T)
      .run();
    await subscribeDirect(g, never, ["all"], [3600]);
    // Minutes pass: Discord no longer dedups those nonces.
    for (const u of [member, lost]) await emu(`/_emulator/channels/${await dmChannel(g, u)}/age`, { body: { ms: 10 * MIN } });

    // The retry round, 3 minutes on; then the chunk itself retried by the agenda's backoff, 5 minutes on.
    const key = { guild_id: g.guild_id, event_id: ev.id, start_at: start, offset_s: 3600 };
    await timerOf(g.guild_id, ev.id).schedule("dm:3600:retry", T + 3 * MIN, "reminders.retry", { ...key, round: 1 });
    await runAt(g.guild_id, ev.id, T + 3 * MIN);
    await timerOf(g.guild_id, ev.id).schedule("dm:3600:again", T + 5 * MIN, "reminders.dm", { ...key, cursor: "", mode: "send" });
    await runAt(g.guild_id, ev.id, T + 5 * MIN);

    expect((await dms(g, member)).length).toBe(1);
    expect((await dms(g, lost)).length).toBe(1);
    expect((await dms(g, never)).length).toBe(0);
    const rows = await deliveries(g, ev.id);
    expect(rows.get(member)?.status).toBe("sent");
    expect(rows.get(lost)?.status).toBe("sent");
    expect(rows.get(never)).toMatchObject({ status: "failed", reason: expect.stringMatching(/^unconfirmed: not in the DM channel 5 min after the first try/) });
  });
});

async function newGuildWith3() {
  const g = await emu<Fixture>("/_emulator/guilds", { body: {} });
  const user = async (username: string) => (await emu<{ id: string }>("/_emulator/users", { body: { username, guild_id: g.guild_id } })).id;
  const users = { member: g.member_id, lost: await user("lost"), never: await user("never") };
  await subscribeDirect(g, users.member, ["all"], [3600]);
  await subscribeDirect(g, users.lost, ["all"], [3600]);
  return { ...g, users };
}
