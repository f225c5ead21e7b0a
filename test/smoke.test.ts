import { describe, expect, it } from "vitest";
import { callWorker, interact, newGuild } from "./helpers";

describe("smoke", () => {
  it("health", async () => {
    const res = await callWorker(new Request("https://bot.test/health"));
    const body = await res.json();
    expect(body).toMatchObject({ d1: { ok: true } });
  });
  it("ping", async () => {
    const r = await interact({ kind: "ping" });
    expect(r.status).toBe(200);
    expect(r.response).toEqual({ type: 1 });
  });
  it("about", async () => {
    const g = await newGuild();
    const r = await interact({ kind: "command", name: "about", guild_id: g.guild_id, user_id: g.member_id });
    expect(r.status).toBe(200);
    expect(r.valid).toBe(true);
  });
});
