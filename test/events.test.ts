import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EventBus, type ListenerSpec } from "../src/events/bus";
import { buildCatalog, validateCatalog } from "../src/events/catalog";
import { type EventSet, effectiveLevel, isEmitted, type Level } from "../src/events/levels";
import { registry } from "../src/features";
import { updateGuildSettings } from "../src/guild-settings";

const catalog = buildCatalog([
  {
    serializers: {
      "auth.login_failed": (o) => ({ username: (o as { username: string }).username }),
      "plugin.enabled": (_o, ctx) => ({ plugin_key: ctx.plugin_key }),
      "channel.created": (o) => ({ channel_id: (o as { id: string }).id }),
      "recording.legacy": () => ({}),
    },
    sets: { CRITICAL: ["auth.login_failed"], SYSTEM: ["plugin.enabled"], FULL: ["channel.created"], DISABLED: ["recording.legacy"] },
  },
]);

function bus(opts: { envLevel?: string; guildLevel?: string | null; listeners?: ListenerSpec<object>[] } = {}) {
  return new EventBus<object>({
    catalog,
    listeners: opts.listeners ?? [],
    envLevel: opts.envLevel,
    guildLevel: async () => opts.guildLevel ?? null,
    services: () => ({}),
  });
}

describe("event levels", () => {
  const table: [Level, EventSet, boolean][] = [
    ["NONE", "CRITICAL", false],
    ["CRITICAL", "CRITICAL", true],
    ["CRITICAL", "SYSTEM", false],
    ["SYSTEM", "CRITICAL", true],
    ["SYSTEM", "SYSTEM", true],
    ["SYSTEM", "FULL", false],
    ["FULL", "CRITICAL", true],
    ["FULL", "SYSTEM", true],
    ["FULL", "FULL", true],
    ["FULL", "DISABLED", false],
  ];
  it.each(table)("at %s an event in %s is emitted: %s", (level, set, expected) => {
    expect(isEmitted(set, level)).toBe(expected);
  });

  it("env overrides the guild's level; FULL by default; garbage is ignored", () => {
    expect(effectiveLevel("SYSTEM", "FULL")).toEqual({ level: "SYSTEM", source: "env" });
    expect(effectiveLevel("", "CRITICAL")).toEqual({ level: "CRITICAL", source: "guild" });
    expect(effectiveLevel(undefined, null)).toEqual({ level: "FULL", source: "default" });
    expect(effectiveLevel("loud", "none")).toEqual({ level: "NONE", source: "guild" });
  });
});

describe("event catalog validation (seed 003's startup check)", () => {
  it("accepts the bot's real catalog", () => {
    expect(registry.catalogErrors).toEqual([]);
  });

  it("names an event that is in two level sets", () => {
    const bad = buildCatalog([{ serializers: { "match.scheduled": () => ({}) }, sets: { SYSTEM: ["match.scheduled"], FULL: ["match.scheduled"] } }]);
    expect(validateCatalog(bad)).toEqual(["Events appear in multiple level sets: match.scheduled (SYSTEM, FULL)"]);
  });

  it("names an event with a serializer but no level, and one with a level but no serializer", () => {
    const bad = buildCatalog([{ serializers: { "voice.channel_created": () => ({}) }, sets: { FULL: ["voice.channel_deleted"] } }]);
    expect(validateCatalog(bad)).toEqual([
      "Events have serializers but no level configuration: voice.channel_created",
      "Events are in a level set but have no serializer: voice.channel_deleted",
    ]);
  });
});

describe("emit", () => {
  it("is cumulative: SYSTEM emits CRITICAL and SYSTEM events, not FULL ones", async () => {
    const b = bus({ guildLevel: "SYSTEM" });
    expect(await b.emit("auth.login_failed", { username: "x" }, { guildId: "1" })).not.toBeNull();
    expect(await b.emit("plugin.enabled", null, { guildId: "1", plugin_key: "k" })).toMatchObject({ data: { plugin_key: "k" }, level: "SYSTEM" });
    expect(await b.emit("channel.created", { id: "c" }, { guildId: "1" })).toBeNull();
  });

  it("lets the env override a guild that wants everything", async () => {
    const b = bus({ envLevel: "CRITICAL", guildLevel: "FULL" });
    expect(await b.emit("plugin.enabled", null, { guildId: "1" })).toBeNull();
    expect(await b.emit("auth.login_failed", { username: "x" }, { guildId: "1" })).not.toBeNull();
  });

  it("never emits DISABLED events, and NONE emits nothing", async () => {
    expect(await bus().emit("recording.legacy", null)).toBeNull();
    expect(await bus({ guildLevel: "NONE" }).emit("auth.login_failed", { username: "x" }, { guildId: "1" })).toBeNull();
  });

  it("dispatches to exact, namespace and catch-all listeners; a failing listener never breaks the emitter", async () => {
    const seen: string[] = [];
    const b = bus({
      listeners: [
        { on: "channel.created", name: "exact", handle: (e) => void seen.push(`exact:${e.name}`) },
        { on: "channel.*", name: "ns", handle: (e) => void seen.push(`ns:${e.name}`) },
        {
          on: "*",
          name: "broken",
          handle: () => {
            throw new Error("sink down");
          },
        },
      ],
    });
    const event = await b.emit("channel.created", { id: "42" });
    expect(event?.data).toEqual({ channel_id: "42" });
    expect(seen.sort()).toEqual(["exact:channel.created", "ns:channel.created"]);
  });

  it("reads the guild's stored level from D1 through the real services", async () => {
    const guildId = String(BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000)));
    await updateGuildSettings(env.DB, guildId, { event_level: "CRITICAL" });
    const { createServices } = await import("../src/services");
    const services = createServices(env, () => {}, registry);
    expect(await services.bus.emit("bot.config_changed", { setting: "x", value: 1 }, { guildId })).toBeNull();
    expect(await services.bus.emit("interaction.failed", { ref: "r", error: new Error("boom") }, { guildId })).not.toBeNull();
    const rows = await env.DB.prepare("SELECT name FROM event_log WHERE guild_id = ?").bind(guildId).all();
    expect(rows.results).toEqual([{ name: "interaction.failed" }]);
  });
});
