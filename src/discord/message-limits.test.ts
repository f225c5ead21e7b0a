import { ButtonStyle, ComponentType, InteractionResponseType, MessageFlags } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { fitResponse } from "../interactions/reply";
import { clampChoices, clampMessage, embedLength, fitOutgoing, LIMITS, truncate } from "./message-limits";

const x = (n: number) => "x".repeat(n);

describe("truncate", () => {
  it("keeps short text, cuts long text to the limit with an ellipsis, and never splits a surrogate pair", () => {
    expect(truncate("hello", 5)).toBe("hello");
    expect(truncate("hello world", 6)).toBe("hello…");
    const emoji = `${x(3)}😀😀`; // 😀 is two UTF-16 units
    const cut = truncate(emoji, 5);
    expect(cut.length).toBeLessThanOrEqual(5);
    expect(cut).toBe("xxx…");
  });
});

describe("clampMessage", () => {
  it("leaves a message that fits untouched and reports nothing", () => {
    const m = { content: "hi", embeds: [{ title: "t", description: "d" }] };
    expect(clampMessage(m)).toEqual({ message: m, clamped: [] });
  });

  it("cuts content, every embed part and the 6000 total, and says what it cut", () => {
    const { message, clamped } = clampMessage({
      content: x(2500),
      embeds: [
        { title: x(300), description: x(5000), fields: Array.from({ length: 30 }, () => ({ name: x(300), value: x(2000) })), footer: { text: x(3000) } },
        { description: x(4000) },
      ],
    });
    expect(message.content).toHaveLength(LIMITS.content);
    const embeds = message.embeds ?? [];
    expect(embeds.reduce((n, e) => n + embedLength(e), 0)).toBeLessThanOrEqual(LIMITS.embedTotal);
    expect(embeds[0]?.title).toHaveLength(LIMITS.embedTitle);
    expect(embeds[0]?.description).toHaveLength(LIMITS.embedDescription);
    for (const f of embeds[0]?.fields ?? []) {
      expect(f.name.length).toBeGreaterThan(0);
      expect(f.value.length).toBeGreaterThan(0);
      expect(f.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    }
    expect(clamped).toEqual(expect.arrayContaining(["content 2500>2000", "embed title 300>256", "embed description 5000>4096"]));
  });

  it("keeps at most 10 embeds, 25 fields, 5 rows of 5 buttons, and 25 options of 100 characters in a select", () => {
    const button = (i: number) => ({ type: ComponentType.Button as const, style: ButtonStyle.Secondary as const, custom_id: `b:${i}`, label: x(90) });
    const { message } = clampMessage({
      embeds: Array.from({ length: 12 }, () => ({ title: "t", fields: Array.from({ length: 30 }, () => ({ name: "n", value: "v" })) })),
      components: [
        { type: ComponentType.ActionRow, components: Array.from({ length: 7 }, (_, i) => button(i)) },
        {
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.StringSelect,
              custom_id: "s",
              placeholder: x(200),
              max_values: 40,
              options: Array.from({ length: 40 }, (_, i) => ({ label: x(120), value: `${i}${x(120)}`, description: x(120) })),
            },
          ],
        },
        ...Array.from({ length: 5 }, (_, i) => ({ type: ComponentType.ActionRow as const, components: [button(100 + i)] })),
      ],
    });
    expect(message.embeds).toHaveLength(10);
    expect(message.embeds?.[0]?.fields).toHaveLength(25);
    expect(message.components).toHaveLength(5);
    const [buttons, select] = (message.components ?? []) as {
      components: { label?: string; options?: { label: string; value: string }[]; max_values?: number; placeholder?: string }[];
    }[];
    expect(buttons?.components).toHaveLength(5);
    expect(buttons?.components[0]?.label).toHaveLength(80);
    const menu = select?.components[0];
    expect(menu?.options).toHaveLength(25);
    expect(menu?.max_values).toBe(25);
    expect(menu?.placeholder).toHaveLength(150);
    expect(menu?.options?.every((o) => o.label.length <= 100 && o.value.length <= 100)).toBe(true);
  });

  it("does not count rows in a Components V2 message", () => {
    const rows = Array.from({ length: 7 }, () => ({ type: ComponentType.TextDisplay as const, content: "a" }));
    expect(clampMessage({ flags: MessageFlags.IsComponentsV2, components: rows }).clamped).toEqual([]);
  });
});

describe("choices and responses", () => {
  it("keeps 25 choices, cuts names to 100, and drops choices whose value is too long to send", () => {
    const notes: string[] = [];
    const out = clampChoices(
      [{ name: x(150), value: "ok" }, { name: "long", value: x(101) }, ...Array.from({ length: 30 }, (_, i) => ({ name: `n${i}`, value: `v${i}` }))],
      notes,
    );
    expect(out).toHaveLength(25);
    expect(out[0]?.name).toHaveLength(100);
    expect(out.some((c) => c.name === "long")).toBe(false);
    expect(notes.length).toBeGreaterThan(0);
  });

  it("fitResponse clamps message, update, autocomplete and modal answers", () => {
    const msg = fitResponse({ type: InteractionResponseType.ChannelMessageWithSource, data: { content: x(3000) } });
    expect(msg.clamped).toEqual(["content 3000>2000"]);
    const modal = fitResponse({
      type: InteractionResponseType.Modal,
      data: { custom_id: "m", title: x(60), components: [] },
    });
    expect(modal.response).toMatchObject({ data: { title: `${x(44)}…` } });
    const pong = fitResponse({ type: InteractionResponseType.Pong });
    expect(pong.clamped).toEqual([]);
  });

  it("fitOutgoing clamps only message routes", () => {
    expect(fitOutgoing("post", "/channels/123/messages", { content: x(2100) }).clamped).toEqual(["content 2100>2000"]);
    expect(fitOutgoing("patch", "/webhooks/1/tok/messages/@original", { content: x(2100) }).clamped).toHaveLength(1);
    expect(fitOutgoing("post", "/guilds/1/channels", { name: x(2100) }).clamped).toEqual([]);
    expect(fitOutgoing("get", "/channels/123/messages", { content: x(2100) }).clamped).toEqual([]);
  });
});
