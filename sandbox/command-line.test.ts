/** The command line of the command box and the prompt: parsing typed by the registered options, and suggestions. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { applySuggestion, type CommandDef, type Lookup, parseCommandLine, suggest } from "./command-line.ts";

const COMMANDS: CommandDef[] = [
  {
    name: "voice-config",
    options: [
      { type: 1, name: "view", description: "Show the settings" },
      {
        type: 1,
        name: "set",
        description: "Change them",
        options: [
          { type: 7, name: "category", description: "Where the channels go", channel_types: [4] },
          { type: 4, name: "empty_minutes", description: "Minutes empty before removal" },
        ],
      },
    ],
  },
  {
    name: "voice-channel",
    options: [{ type: 1, name: "public", description: "A channel for anyone", options: [{ type: 3, name: "name", description: "A name" }] }],
  },
  {
    name: "cc",
    options: [
      { type: 1, name: "run", options: [{ type: 3, name: "name", required: true, autocomplete: true, description: "Which" }] },
      { type: 1, name: "create", options: [{ type: 3, name: "name", required: true, description: "Its name" }] },
    ],
  },
  {
    name: "bot-config",
    options: [
      {
        type: 1,
        name: "event-level",
        options: [{ type: 3, name: "level", choices: ["NONE", "CRITICAL", "SYSTEM", "FULL"].map((v) => ({ name: v, value: v })) }],
      },
    ],
  },
  { name: "reminders", options: [{ type: 1, name: "interested", options: [{ type: 5, name: "enabled", required: true }] }] },
];

const LOOKUP: Lookup = {
  channels: [
    { id: "100", name: "general", type: 0 },
    { id: "200", name: "Events", type: 4 },
  ],
  roles: [{ id: "300", name: "Admin" }],
  members: [{ id: "400", name: "alice" }],
};

test("values are typed by the registered option: numbers for integers, text stays text, channels by name", () => {
  assert.deepEqual(parseCommandLine("/voice-config set category:#Events empty_minutes:10", COMMANDS, LOOKUP), {
    name: "voice-config",
    subcommand: "set",
    options: { category: "200", empty_minutes: 10 },
  });
  // A name that looks like a number is still a string option's text (the old prompt sent the number 123).
  assert.deepEqual(parseCommandLine("/cc create name:123", COMMANDS, LOOKUP).options, { name: "123" });
  assert.deepEqual(parseCommandLine('/voice-channel public name:"Raid Night"', COMMANDS).options, { name: "Raid Night" });
  assert.deepEqual(parseCommandLine("/reminders interested enabled:false", COMMANDS).options, { enabled: false });
});

test("without registered commands, sub-commands and values are read from how they look", () => {
  assert.deepEqual(parseCommandLine("/bot-config timezone zone:Europe/Berlin count:3"), {
    name: "bot-config",
    subcommand: "timezone",
    options: { zone: "Europe/Berlin", count: 3 },
  });
});

test("suggests commands, then subcommands, then options (required first), then values", () => {
  assert.deepEqual(
    suggest("/voice", COMMANDS, LOOKUP).items.map((s) => s.insert),
    ["/voice-config ", "/voice-channel "],
  );
  assert.deepEqual(
    suggest("/voice-config ", COMMANDS, LOOKUP).items.map((s) => s.label),
    ["view", "set"],
  );
  const options = suggest("/voice-config set ", COMMANDS, LOOKUP);
  assert.deepEqual(
    options.items.map((s) => s.label),
    ["category:", "empty_minutes:"],
  );
  assert.equal(options.hint, "/voice-config set [category:] [empty_minutes:]");
  // Only categories are offered for a category option, by name, inserting the id.
  assert.deepEqual(suggest("/voice-config set category:", COMMANDS, LOOKUP).items, [{ label: "#Events", detail: "category", insert: "category:200" }]);
  assert.deepEqual(
    suggest("/bot-config event-level level:s", COMMANDS, LOOKUP).items.map((s) => s.insert),
    ["level:SYSTEM"],
  );
  assert.deepEqual(
    suggest("/voice-config set category:200 ", COMMANDS, LOOKUP).items.map((s) => s.label),
    ["empty_minutes:"],
  );
});

test("an autocomplete option asks the bot, with what is typed so far", () => {
  const s = suggest("/cc run name:gr", COMMANDS, LOOKUP);
  assert.deepEqual(s.items, []);
  assert.deepEqual(s.autocomplete, { option: "name", command: { name: "cc", subcommand: "run", options: { name: "gr" } } });
});

test("an unknown command says so", () => {
  assert.equal(suggest("/nope ", COMMANDS, LOOKUP).hint, "/nope: no such command");
});

test("a chosen suggestion replaces the word being typed", () => {
  assert.equal(applySuggestion("/voice-co", { label: "", insert: "/voice-config " }), "/voice-config ");
  assert.equal(applySuggestion("/voice-config s", { label: "", insert: "set " }), "/voice-config set ");
  assert.equal(applySuggestion("/voice-config set category:Ev", { label: "", insert: "category:200" }), "/voice-config set category:200 ");
  assert.equal(applySuggestion("/voice-config set ", { label: "", insert: "category:" }), "/voice-config set category:");
});
