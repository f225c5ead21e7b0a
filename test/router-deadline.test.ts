import { env } from "cloudflare:workers";
import type { APIInteraction, APIInteractionResponse } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import type { Command } from "../src/feature";
import { registry } from "../src/features";
import { InteractionRouter } from "../src/interactions/router";
import { createServices } from "../src/services";
import { emu, interactionRecord, newGuild, requestsTo } from "./helpers";

const slow: Command = {
  data: { name: "slow", description: "Waits on I/O longer than the deadline" },
  async run() {
    await new Promise((resolve) => setTimeout(resolve, 80));
    return "slow result";
  },
};
const quick: Command = {
  data: { name: "quick", description: "Needs no I/O" },
  async run() {
    return "quick result";
  },
};

const router = new InteractionRouter(
  { commands: new Map([slow, quick].map((c) => [c.data.name, c])), components: new Map(), modals: new Map() },
  { deferAfterMs: 20 },
);

async function run(name: string) {
  const g = await newGuild();
  const prepared = await emu<{ id: string; token: string; body: string }>("/_emulator/interactions", {
    body: { kind: "command", name, guild_id: g.guild_id, user_id: g.member_id },
  });
  const background: Promise<unknown>[] = [];
  const services = createServices(env, (p) => background.push(p), registry);
  const response = await router.handle(JSON.parse(prepared.body) as APIInteraction, services);
  // Discord records the HTTP answer before any followup arrives.
  await emu(`/_emulator/interactions/${prepared.id}/response`, { body: response });
  await Promise.all(background);
  return { response, token: prepared.token, record: await interactionRecord(prepared.id) };
}

describe("the router's deadline", () => {
  it("defers a handler that is still waiting at the deadline and delivers its result as an edit of @original", async () => {
    const { response, record } = await run("slow");
    expect(response).toEqual({ type: 5, data: { flags: 64 } });
    expect(record.original?.content).toBe("slow result");
  });

  it("answers a handler that needs no I/O in the HTTP body, without a deferral", async () => {
    const { response, record, token } = await run("quick");
    expect((response as APIInteractionResponse & { data: { content: string } }).data.content).toBe("quick result");
    expect(response.type).toBe(4);
    // The reply itself is the original message; nothing was edited afterwards.
    expect(record.original?.content).toBe("quick result");
    expect(await requestsTo(token)).toEqual([]);
  });
});
