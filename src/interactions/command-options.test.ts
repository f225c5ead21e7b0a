import { ApplicationCommandOptionType, ChannelType } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { choices, option, pageOption, subcommand, subcommandGroup } from "./command-options";

// JSON.stringify compares key order too: the registered JSON must be what the hand-written literals sent.
const json = (v: unknown) => JSON.stringify(v);

describe("command option builders", () => {
  it("write type, name, description, then the extras in the order given", () => {
    expect(json(option.string("action", "list, add or remove", { required: true, choices: choices(["list", "add"]) }))).toBe(
      json({
        type: ApplicationCommandOptionType.String,
        name: "action",
        description: "list, add or remove",
        required: true,
        choices: [
          { name: "list", value: "list" },
          { name: "add", value: "add" },
        ],
      }),
    );
    expect(json(option.channel("category", "A category channel", { required: false, channel_types: [ChannelType.GuildCategory] }))).toBe(
      json({ type: ApplicationCommandOptionType.Channel, name: "category", description: "A category channel", required: false, channel_types: [4] }),
    );
    expect(json(option.role("role", "New role"))).toBe(json({ type: ApplicationCommandOptionType.Role, name: "role", description: "New role" }));
    expect(json(pageOption)).toBe(json({ type: 4, name: "page", description: "Page of the list", min_value: 1, max_value: 1000 }));
  });

  it("writes options of a subcommand only when given, and nests groups", () => {
    expect(json(subcommand("view", "Show"))).toBe(json({ type: 1, name: "view", description: "Show" }));
    expect(json(subcommand("stats", "Stats", []))).toBe(json({ type: 1, name: "stats", description: "Stats", options: [] }));
    expect(subcommandGroup("webhook", "Hooks", [subcommand("list", "All")])).toEqual({
      type: 2,
      name: "webhook",
      description: "Hooks",
      options: [{ type: 1, name: "list", description: "All" }],
    });
  });
});
