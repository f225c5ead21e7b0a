import { env } from "cloudflare:workers";
import { PermissionFlagsBits as F, OverwriteType } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { emu, type Fixture, interact } from "./helpers";
import { ahead, events, guildWithCommands, iso, type League, league, mapping, member, text } from "./tournament-helpers";

/** A channel whose overwrites give (or take) bits to a role or member: the only place those bits apply. */
async function channelWith(g: Fixture, overwrite: { id: string; type: OverwriteType; allow?: bigint; deny?: bigint }): Promise<string> {
  const [ch] = await emu<{ id: string }[]>(`/_emulator/guilds/${g.guild_id}/channels`, {
    body: {
      name: "scoped",
      permission_overwrites: [{ id: overwrite.id, type: overwrite.type, allow: String(overwrite.allow ?? 0n), deny: String(overwrite.deny ?? 0n) }],
    },
  });
  return (ch as { id: string }).id;
}

/** `/match schedule` typed by `userId` in `channelId`. */
const scheduleFrom = (l: League, channelId: string, userId: string) =>
  interact({
    kind: "command",
    name: "match",
    subcommand: "schedule",
    options: { tournament: l.slug, time: iso(ahead(30)), player_a: l.alice, player_b: l.bob },
    guild_id: l.g.guild_id,
    channel_id: channelId,
    user_id: userId,
  });

const voiceSettings = (guildId: string) => env.DB.prepare("SELECT * FROM voice_settings WHERE guild_id = ?").bind(guildId).first();

describe("guild-wide settings need guild-wide permission", () => {
  it("Manage Channels granted by one channel's overwrite does not change /voice-config from there", async () => {
    const g = await guildWithCommands();
    const mod = await member(g, "channel-mod");
    const scoped = await channelWith(g, { id: mod, type: OverwriteType.Member, allow: F.ManageChannels });
    const before = await voiceSettings(g.guild_id);
    const r = await interact({
      kind: "command",
      name: "voice-config",
      subcommand: "set",
      options: { max_live: 1 },
      guild_id: g.guild_id,
      channel_id: scoped,
      user_id: mod,
    });
    expect(text(r)).toContain("Manage Channels");
    expect(text(r)).not.toContain("Saved");
    expect(await voiceSettings(g.guild_id)).toEqual(before);
  });

  it("a member whose role holds Manage Events is not refused in a channel that denies it", async () => {
    const g = await guildWithCommands();
    const organisers = await emu<{ id: string }>(`/_emulator/guilds/${g.guild_id}/roles`, {
      body: { name: "Organisers", permissions: String(F.ManageEvents), user_ids: [] },
    });
    const org = await member(g, "organiser", [organisers.id]);
    const scoped = await channelWith(g, { id: organisers.id, type: OverwriteType.Role, deny: F.ManageEvents });
    const slug = `p${crypto.randomUUID().slice(0, 8)}`;
    const r = await interact({
      kind: "command",
      name: "tournament",
      subcommand: "create",
      options: { slug, name: "Cup" },
      guild_id: g.guild_id,
      channel_id: scoped,
      user_id: org,
    });
    expect(text(r)).toContain("Created");
  });

  it("Manage Events granted only in one channel does not schedule matches", async () => {
    const l = await league();
    const helper = await member(l.g, "helper");
    const scoped = await channelWith(l.g, { id: helper, type: OverwriteType.Member, allow: F.ManageEvents });
    const r = await scheduleFrom(l, scoped, helper);
    expect(text(r)).toContain("Manage Events");
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM matches WHERE guild_id = ?").bind(l.g.guild_id).first("n")).toBe(0);
  });

  it("the bot's guild-level Create Events counts, not the channel where the command was typed", async () => {
    const l = await league();
    // The channel denies the bot's role Create/Manage Events; the guild role still grants them.
    const scoped = await channelWith(l.g, { id: l.g.roles.bot, type: OverwriteType.Role, deny: F.CreateEvents | F.ManageEvents });
    const r = await scheduleFrom(l, scoped, l.g.admin_id);
    const id = Number(text(r).match(/`#(\d+)`/)?.[1]);
    expect(text(r)).not.toContain("permission");
    expect((await mapping(id))?.scheduled_event_id).toBeTruthy();
    expect(await events(l.g.guild_id)).toHaveLength(1);
  });
});

describe("powers the bot lends", () => {
  it("reminders ping @everyone only when the admin may mention @everyone in that channel", async () => {
    const g = await guildWithCommands();
    const settings = () => env.DB.prepare("SELECT channel_id, channel_everyone FROM reminder_settings WHERE guild_id = ?").bind(g.guild_id).first();
    const before = await settings();
    const refused = await interact({
      kind: "command",
      name: "reminders",
      subcommand: "channel",
      options: { channel: g.channels.text, everyone: true },
      guild_id: g.guild_id,
      user_id: g.admin_id,
    });
    expect(text(refused)).toContain("Mention @everyone");
    expect(await settings()).toEqual(before);
    const owner = await interact({
      kind: "command",
      name: "reminders",
      subcommand: "channel",
      options: { channel: g.channels.text, everyone: true },
      guild_id: g.guild_id,
      user_id: g.owner_id,
    });
    expect(text(owner)).toContain(`<#${g.channels.text}>`);
    expect(await settings()).toMatchObject({ channel_id: g.channels.text, channel_everyone: 1 });
  });
});

describe("a channel overwrite proves nothing about the guild", () => {
  it("Manage Server or Administrator allowed in one channel's overwrite does not change server settings", async () => {
    const g = await guildWithCommands();
    const sneaky = await member(g, "sneaky");
    const tz = () => env.DB.prepare("SELECT timezone FROM guilds WHERE guild_id = ?").bind(g.guild_id).first();
    const before = await tz();
    for (const bits of [F.ManageGuild, F.Administrator]) {
      const scoped = await channelWith(g, { id: sneaky, type: OverwriteType.Member, allow: bits });
      const r = await interact({
        kind: "command",
        name: "bot-config",
        subcommand: "timezone",
        options: { zone: "Asia/Tokyo" },
        guild_id: g.guild_id,
        channel_id: scoped,
        user_id: sneaky,
      });
      expect(text(r)).toContain("Manage Server");
    }
    expect(await tz()).toEqual(before);
  });
});
