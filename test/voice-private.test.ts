import { env } from "cloudflare:workers";
import { PermissionFlagsBits as P } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import type { TimerStub } from "../src/timers/client";
import { asAdmin, emu, interact, requestsTo } from "./helpers";
import { ahead, type League, league, member, schedule, text } from "./tournament-helpers";

type Overwrite = { id: string; type: number; allow: string; deny: string };
type Channel = { id: string; name: string; type: number; parent_id: string | null; permission_overwrites: Overwrite[] };

const ask = (l: League, userId: string) =>
  interact({ kind: "command", name: "voice-channel", subcommand: "private", guild_id: l.g.guild_id, user_id: userId }).then(text);

async function teamLeague() {
  const l = await league({ format: "teams" });
  expect(text(await asAdmin(l.g, "voice-config", "set", { category: l.g.channels.category }))).toContain("Saved.");
  const role = (name: string, user_ids: string[]) => emu<{ id: string }>(`/_emulator/guilds/${l.g.guild_id}/roles`, { body: { name, user_ids } });
  const red = await role("Red", [l.alice]);
  const blue = await role("Blue", [l.bob]);
  await asAdmin(l.g, "team", "create", { tournament: l.slug, name: "Red Team", role: red.id });
  await asAdmin(l.g, "team", "create", { tournament: l.slug, name: "Blue Team", role: blue.id });
  return { l, red: red.id, blue: blue.id };
}

describe("/voice-channel private (teams and this week's match)", () => {
  it("says that no league is configured when the server has no teams", async () => {
    const l = await league();
    await asAdmin(l.g, "voice-config", "set", { category: l.g.channels.category });
    expect(await ask(l, l.alice)).toContain("no league is configured");
  });

  it("creates `{Away} vs {Home}`: everyone sees it, only the two teams connect and speak; a second request returns it", async () => {
    const { l, red, blue } = await teamLeague();
    const match = await schedule(l, ahead(24), { team_a: "Red Team", team_b: "Blue Team" });
    expect(match.id).toBeGreaterThan(0);
    const reply = await ask(l, l.alice);
    expect(reply).toContain("**Red Team vs Blue Team**");
    const id = reply.match(/<#(\d+)>/)?.[1];
    const ch = await emu<Channel>(`/_emulator/state?guild=${l.g.guild_id}`).then(
      (s) => (s as unknown as { guilds: { channels: Channel[] }[] }).guilds[0]?.channels.find((c) => c.id === id) as Channel,
    );
    expect(ch).toMatchObject({ name: "Red Team vs Blue Team", type: 2, parent_id: l.g.channels.category });
    const ow = (who: string) => ch.permission_overwrites.find((o) => o.id === who);
    expect(BigInt(ow(l.g.guild_id)?.allow ?? 0) & P.ViewChannel).toBe(P.ViewChannel);
    expect(BigInt(ow(l.g.guild_id)?.deny ?? 0) & P.Connect).toBe(P.Connect);
    for (const role of [red, blue]) expect(BigInt(ow(role)?.allow ?? 0) & (P.Connect | P.Speak)).toBe(P.Connect | P.Speak);
    // The opponent asks too: the same channel, no second one.
    expect(await ask(l, l.bob)).toContain(`<#${id}>`);
    const creates = (await requestsTo(`/guilds/${l.g.guild_id}/channels`)).filter((r) => r.method === "POST");
    expect(creates).toHaveLength(1);
    const row = await env.DB.prepare("SELECT kind, match_key FROM voice_channels WHERE channel_id = ?").bind(id).first();
    expect(row).toEqual({ kind: "private", match_key: `match:${match.id}` });
    const timer = env.EVENT_TIMER.getByName(`vc:${l.g.guild_id}:${id}`) as unknown as TimerStub;
    expect((await timer.list()).find((i) => i.key === "delete")?.status).toBe("pending");
  });

  it("the opponent asking after a teammate's lost answer gets the channel that request made, not a second one", async () => {
    const { l } = await teamLeague();
    await schedule(l, ahead(24), { team_a: "Red Team", team_b: "Blue Team" });
    await emu("/_emulator/faults", { body: { path: `/guilds/${l.g.guild_id}/channels`, method: "POST", status: 502, effect: true, times: 1 } });
    expect(await ask(l, l.alice)).not.toContain("Created");
    const reply = await ask(l, l.bob);
    const creates = (await requestsTo(`/guilds/${l.g.guild_id}/channels`)).filter((r) => r.method === "POST");
    expect(creates).toHaveLength(1);
    const state = (await emu(`/_emulator/state?guild=${l.g.guild_id}`)) as unknown as { guilds: { channels: Channel[] }[] };
    const made = state.guilds[0]?.channels.filter((c) => c.name === "Red Team vs Blue Team") ?? [];
    expect(made).toHaveLength(1);
    expect(reply).toContain(`<#${made[0]?.id}>`);
  });

  it("says which is missing: no team role, or no match this week", async () => {
    const { l } = await teamLeague();
    const carol = await member(l.g, "carol");
    expect(await ask(l, carol)).toContain("you have no team role");
    // Their match is 10 days out: not this week.
    await schedule(l, ahead(240), { team_a: "Red Team", team_b: "Blue Team" });
    expect(await ask(l, l.alice)).toMatch(/\*\*Red Team\*\* has no match this week \(until <t:\d+:f>\)/);
    expect((await requestsTo(`/guilds/${l.g.guild_id}/channels`)).filter((r) => r.method === "POST")).toHaveLength(0);
  });
});
