/** The page's view of a guild: who sees which channel, the bot's overwrites by name, replies where Discord shows them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildInteraction, recordResponse } from "../test/emulator/interactions.ts";
import { P } from "../test/emulator/permissions.ts";
import { World } from "../test/emulator/state.ts";
import { guildView, permissionNames } from "./view.ts";

const EXTRAS = { faults: [], gateway: [] };

function setup() {
  const world = new World("1100000000000000001");
  const g = world.createGuild({ name: "G" });
  const guild = world.guilds.get(g.guild_id);
  if (!guild) throw new Error("no guild");
  return { world, g, guild };
}

test("a private channel is visible to the role it allows (and the owner), with its overwrites named", () => {
  const { world, g, guild } = setup();
  const role = { id: world.ids.next(), name: "Raid Night", permissions: "0", position: 1, color: 0, hoist: false, mentionable: false, managed: false };
  guild.roles.push(role);
  guild.members.get(g.member_id)?.roles.push(role.id);
  const view = P.ViewChannel | P.Connect;
  world.addChannel({
    type: 2,
    guild_id: g.guild_id,
    name: "raid-voice",
    parent_id: g.channels.category,
    permission_overwrites: [
      { id: g.guild_id, type: 0, allow: "0", deny: String(view) },
      { id: role.id, type: 0, allow: String(view), deny: "0" },
    ],
  });
  guild.voice.set(g.member_id, [...world.channels.values()].find((c) => c.name === "raid-voice")?.id ?? "");
  const s = guildView(world, g.guild_id, EXTRAS);
  const events = s?.sections.find((x) => x.category?.name === "Events");
  const ch = events?.channels.find((c) => c.name === "raid-voice");
  assert.ok(ch);
  assert.deepEqual(new Set(ch.visible_to), new Set([g.owner_id, g.member_id]));
  assert.deepEqual(new Set(ch.can_connect), new Set([g.owner_id, g.member_id]));
  assert.deepEqual(ch.voice_members, [g.member_id]);
  assert.deepEqual(ch.overwrites, [
    { id: g.guild_id, kind: "role", name: "@everyone", allow: [], deny: ["View Channel", "Connect"] },
    { id: role.id, kind: "role", name: "Raid Night", allow: ["View Channel", "Connect"], deny: [] },
  ]);
  // Channels without a category come first, text before voice.
  assert.deepEqual(
    s?.sections[0]?.channels.map((c) => c.name),
    ["general", "Lobby"],
  );
});

test("replies land in the channel: ephemeral ones for their invoker only, deferred ones as thinking, no duplicates", () => {
  const { world, g } = setup();
  const run = (req: Parameters<typeof buildInteraction>[1], response: unknown) => {
    const { record } = buildInteraction(world, { guild_id: g.guild_id, user_id: g.admin_id, ...req });
    recordResponse(world, record, response);
    return record;
  };
  const shown = run(
    { kind: "command", name: "voice-channel", subcommand: "public", options: { name: "x" } },
    { type: 4, data: { content: "Created", flags: 64 } },
  );
  run({ kind: "command", name: "bot-config", subcommand: "check" }, { type: 5, data: {} });
  // A button on the first reply, answered by updating it: still one message.
  run({ kind: "component", custom_id: "core:check", message_id: shown.original?.id }, { type: 7, data: { content: "Updated" } });
  const s = guildView(world, g.guild_id, EXTRAS);
  const list = s?.messages[g.channels.text] ?? [];
  assert.equal(list.length, 2);
  assert.equal(list[0]?.content, "Updated");
  assert.equal(list[0]?.ephemeral_to, g.admin_id);
  assert.deepEqual(list[0]?.used, { user_id: g.admin_id, command: "/voice-channel public name:x" });
  assert.equal(list[1]?.thinking, true);
});

test("permission bits read as Discord names them", () => {
  assert.deepEqual(permissionNames(P.ManageChannels | P.ViewChannel | (1n << 50n)), ["Manage Channels", "View Channel", "bit 50"]);
});
