import { describe, expect, it } from "vitest";
import { HOUR, scheduleEvent, useRelay } from "./event-channel-helpers";
import { emu, interact } from "./helpers";
import { dms, runAt, subscribeDirect, untilItem } from "./reminder-helpers";
import { ahead, events, league, schedule } from "./tournament-helpers";

useRelay();

describe("the built-in `matches` reminder type", () => {
  it("is offered once the server runs a tournament and reminds of match events only", async () => {
    const l = await league();
    const fan = (await emu<{ id: string }>("/_emulator/users", { body: { username: "fan", guild_id: l.g.guild_id } })).id;
    const view = await interact({ kind: "command", name: "subscribe", guild_id: l.g.guild_id, user_id: fan });
    const options = (view.response as { data: { components: { components: { options?: { value: string; description: string }[] }[] }[] } }).data.components[0]
      ?.components[0]?.options;
    expect(options?.find((o) => o.value === "matches")).toMatchObject({ description: "Tournament matches" });
    await subscribeDirect(l.g, fan, ["matches"], [3600]);
    const start = ahead(3);
    await schedule(l, start);
    const [matchEvent] = await events(l.g.guild_id);
    const movie = await scheduleEvent(l.g, "Movie night", start);
    // The relay may still be working through the shared emulator's GUILD_CREATE backlog (hundreds of guilds).
    await untilItem(l.g.guild_id, matchEvent?.id as string, "dm:3600", 20_000);
    await untilItem(l.g.guild_id, movie.id, "dm:3600", 20_000);
    await runAt(l.g.guild_id, matchEvent?.id as string, start - HOUR);
    await runAt(l.g.guild_id, movie.id, start - HOUR);
    expect((await dms(l.g, fan)).map((m) => m.embeds[0]?.title)).toEqual([`Reminder: ${l.slug.toUpperCase()} - alice vs bob`]);
  }, 30_000);
});
