import { env } from "cloudflare:workers";
import { type APIInteraction, ButtonStyle, ComponentType } from "discord-api-types/v10";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Command } from "../src/feature";
import { registry } from "../src/features";
import { InteractionRouter } from "../src/interactions/router";
import { createServices } from "../src/services";
import { emu, interactionRecord, newGuild } from "./helpers";

const x = (n: number) => "x".repeat(n);
const oversized = {
  content: x(5000),
  embeds: [{ title: x(300), description: x(5000), fields: Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, value: x(2000) })) }],
  components: Array.from({ length: 7 }, (_, r) => ({
    type: ComponentType.ActionRow as const,
    components: Array.from({ length: 7 }, (_, b) => ({
      type: ComponentType.Button as const,
      style: ButtonStyle.Secondary as const,
      custom_id: `t:${r}:${b}`,
      label: "b",
    })),
  })),
};

/** A handler that ignores every limit: the router must still answer with something Discord accepts. */
const careless: Command = {
  data: { name: "careless", description: "Answers with far too much" },
  async run() {
    return oversized;
  },
  async autocomplete() {
    return [
      { name: x(150), value: "a" },
      { name: "too long a value", value: x(150) },
      ...Array.from({ length: 40 }, (_, i) => ({ name: `c${i}`, value: `v${i}` })),
    ];
  },
};
const slowCareless: Command = {
  data: { name: "slow-careless", description: "Too much, after the deadline" },
  async run() {
    await new Promise((resolve) => setTimeout(resolve, 60));
    return oversized;
  },
};

const router = new InteractionRouter(
  { commands: new Map([careless, slowCareless].map((c) => [c.data.name, c])), components: new Map(), modals: new Map() },
  { deferAfterMs: 20 },
);

async function send(kind: "command" | "autocomplete", name: string) {
  const g = await newGuild();
  const prepared = await emu<{ id: string; body: string }>("/_emulator/interactions", {
    body: { kind, name, guild_id: g.guild_id, user_id: g.member_id, ...(kind === "autocomplete" ? { options: { q: "" }, focused: "q" } : {}) },
  });
  const background: Promise<unknown>[] = [];
  const response = await router.handle(
    JSON.parse(prepared.body) as APIInteraction,
    createServices(env, (p) => background.push(p), registry),
  );
  const check = await emu<{ valid: boolean; issues: unknown[] }>(`/_emulator/interactions/${prepared.id}/response`, { body: response });
  await Promise.all(background);
  return { response, check, record: await interactionRecord(prepared.id) };
}

describe("the last guard on every answer", () => {
  afterEach(() => vi.restoreAllMocks());

  it("cuts a message over Discord's limits so Discord accepts it, and logs that it had to", async () => {
    const warn = vi.spyOn(console, "warn");
    const { response, check } = await send("command", "careless");
    expect(check).toEqual({ valid: true, issues: [] });
    const data = (response as { data: { content: string; components: { components: unknown[] }[]; embeds: { fields: unknown[] }[] } }).data;
    expect(data.content).toHaveLength(2000);
    expect(data.content.endsWith("…")).toBe(true);
    expect(data.components).toHaveLength(5);
    expect(data.components.every((r) => r.components.length === 5)).toBe(true);
    expect(data.embeds[0]?.fields.length).toBeLessThanOrEqual(25);
    const logged = warn.mock.calls.map((c) => String(c[0])).find((l) => l.includes("interaction.reply_clamped"));
    expect(logged).toContain('"from":"/careless"');
  });

  it("cuts a deferred answer too (the edit of @original)", async () => {
    const { response, record } = await send("command", "slow-careless");
    expect(response.type).toBe(5);
    expect(record.original?.content).toHaveLength(2000);
    expect(record.followups).toEqual([]);
  });

  it("keeps autocomplete to 25 choices with names and values of at most 100", async () => {
    const { response, check } = await send("autocomplete", "careless");
    expect(check.valid).toBe(true);
    const choices = (response as { data: { choices: { name: string; value: string }[] } }).data.choices;
    expect(choices).toHaveLength(25);
    expect(choices[0]?.name).toHaveLength(100);
    expect(choices.some((c) => c.name === "too long a value")).toBe(false);
  });
});
