/** The prompt's readable replies: embeds as titled blocks, buttons as [label], mentions and <t:…> as text. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatGuild, formatMessage, formatResponse, type Names, plain } from "./text.ts";
import type { SandboxState } from "./types.ts";

const NAMES: Names = { user: (id) => (id === "1" ? "alice" : id), role: () => "Raiders", channel: () => "general" };

test("mentions become names and <t:…> a time in the given timezone", () => {
  assert.equal(plain("<@1> <@!1> <@&9> <#5> at <t:1767225600:f>", NAMES, "Asia/Tokyo"), "@alice @alice @Raiders #general at 1 January 2026 at 09:00");
  assert.equal(plain("<t:1767225600:t>", NAMES, "UTC"), "00:00");
});

test("a message with an embed and components prints as a titled block and [labels]", () => {
  const text = formatMessage(
    {
      content: "Settings for <@1>",
      embeds: [{ title: "Bot settings", description: "Timezone: UTC", fields: [{ name: "Audit channel", value: "<#5>" }], footer: { text: "v0.1" } }],
      components: [
        {
          type: 1,
          components: [
            { type: 2, style: 1, label: "Check my permissions", custom_id: "core:check" },
            { type: 2, style: 5, label: "Docs", url: "https://example.com" },
          ],
        },
        { type: 1, components: [{ type: 3, placeholder: "Event types", options: [{ label: "all", default: true }, { label: "raids" }] }] },
      ],
      flags: 64,
    },
    NAMES,
  );
  assert.equal(
    text,
    [
      "Settings for @alice",
      "  ┃ == Bot settings ==",
      "  ┃ Timezone: UTC",
      "  ┃ Audit channel: #general",
      "  ┃ — v0.1",
      "  [Check my permissions] [Docs ↗ https://example.com]",
      "  [▾ Event types: *all | raids]",
      "  (only you can see this)",
    ].join("\n"),
  );
});

test("each kind of answer reads as what happens in Discord", () => {
  assert.equal(formatResponse({ type: 5 }, NAMES), "Event Bot is thinking…");
  assert.equal(formatResponse({ type: 8, data: { choices: [{ name: "greet", value: "greet" }] } }, NAMES), "  greet → greet");
  const modal = formatResponse(
    {
      type: 9,
      data: {
        title: "New command: greet",
        custom_id: "cc:create:greet",
        components: [{ type: 1, components: [{ type: 4, custom_id: "text", label: "What it answers" }] }],
      },
    },
    NAMES,
  );
  assert.equal(modal, ['A form opens: "New command: greet"', "  text: What it answers", 'Answer with: form text:"…"'].join("\n"));
  assert.match(formatResponse("Internal Server Error", NAMES), /no JSON answer/);
});

test("the guild report shows who can see a private channel and who is in voice", () => {
  const member = (id: string, name: string) => ({
    id,
    name,
    bot: false,
    owner: false,
    admin: false,
    roles: [],
    permissions: "0",
    voice: null,
    dm_channel: null,
  });
  const channel = (id: string, name: string, type: number, visible: string[], voice: string[] = []) => ({
    id,
    name,
    type,
    parent_id: null,
    topic: null,
    overwrites: [],
    visible_to: visible,
    can_connect: [],
    voice_members: voice,
  });
  const state: SandboxState = {
    guild: { id: "g", name: "Offline Guild", owner_id: "1" },
    bot_id: "b",
    admin_role_id: null,
    members: [member("1", "alice"), member("2", "bob")],
    roles: [],
    sections: [
      { category: null, channels: [channel("10", "general", 0, ["1", "2"]), channel("11", "Lobby", 2, ["1", "2"], ["2"])] },
      { category: channel("12", "Events", 4, ["1", "2"]), channels: [channel("13", "raid-night", 0, ["1"])] },
    ],
    events: [
      { id: "e", name: "Raid Night", description: null, start: "2026-01-01T00:00:00Z", end: null, status: 1, location: null, creator_id: "2", users: ["1"] },
    ],
    messages: {},
    commands: [],
    faults: [],
    gateway: [],
  };
  const text = formatGuild(state, "UTC");
  assert.match(text, /# general 10\n/);
  assert.match(text, /🔊 Lobby 11 {2}\(in it: bob\)/);
  assert.match(text, /EVENTS \(category 12\)\n {4}# raid-night 13 {2}\[visible to alice\]/);
  assert.match(text, /Raid Night e · scheduled · 1 January 2026 at 00:00 · 1 interested/);
});
