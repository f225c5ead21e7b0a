import { env } from "cloudflare:workers";
import { Routes } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { failure } from "../src/discord/failure.test-util";
import { createDiscord } from "../src/discord/rest";
import { emu, guildState, newGuild, requestsTo } from "./helpers";

/** A bare request as any Discord client would send it, to look at the raw status, headers and body. */
function rawPost(path: string, body: unknown) {
  return fetch(`${env.EMULATOR_URL}/api/v10${path}`, {
    method: "POST",
    headers: { authorization: `Bot ${env.DISCORD_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("the emulator validates bodies like Discord", () => {
  it("rejects an invalid channel body with Discord's 400 shape, surfaced as a typed error", async () => {
    const g = await newGuild();
    const err = await failure(createDiscord(env).post(Routes.guildChannels(g.guild_id), { body: { name: "", type: 0 } }));
    expect(err).toMatchObject({ method: "POST", route: "/guilds/:id/channels", status: 400, code: 50035, transient: false });
    expect(err.errors).toMatchObject({ name: { _errors: [{ code: "TOO_SMALL" }] } });
    expect((await guildState(g.guild_id)).guilds[0]?.channels).toHaveLength(3);
  });

  it("rejects unknown fields (strict schemas)", async () => {
    const g = await newGuild();
    const err = await failure(createDiscord(env).post(Routes.guildChannels(g.guild_id), { body: { name: "ok", type: 0, colour: "red" } }));
    expect(err.status).toBe(400);
    expect(err.errors).toEqual({ colour: { _errors: [{ code: "UNKNOWN_FIELD", message: 'Unknown field "colour"' }] } });
  });

  it("accepts a valid body and creates the channel with its overwrites", async () => {
    const g = await newGuild();
    const created = await createDiscord(env).post<{ id: string; name: string }>(Routes.guildChannels(g.guild_id), {
      body: {
        name: "raid-night",
        type: 0,
        parent_id: g.channels.category,
        permission_overwrites: [{ id: g.roles.everyone, type: 0, deny: "1024", allow: "0" }],
      },
    });
    const state = await guildState(g.guild_id);
    expect(state.guilds[0]?.channels.find((c) => c.id === created.id)).toMatchObject({ name: "raid-night", parent_id: g.channels.category });
  });

  it("answers unknown resources with 404 and Discord's code", async () => {
    const err = await failure(createDiscord(env).get(Routes.channel("123456789012345678")));
    expect(err).toMatchObject({ status: 404, code: 10003, notFound: true, route: "/channels/:id" });
  });

  it("sends a DiscordBot User-Agent with the bot's appendix", async () => {
    const g = await newGuild();
    await createDiscord(env).get(Routes.guild(g.guild_id));
    const [req] = await requestsTo(`/guilds/${g.guild_id}`);
    expect(req?.user_agent).toMatch(/^DiscordBot \(https:\/\/discord\.js\.org, [\d.]+\) .*eventbot/);
  });
});

describe("message limits the schema does not carry", () => {
  it("the emulator rejects 2001 characters of content, 6001 across embeds and 6 action rows, as Discord does", async () => {
    const g = await newGuild();
    const path = `/channels/${g.channels.text}/messages`;
    const row = (i: number) => ({ type: 1, components: [{ type: 2, style: 2, label: "b", custom_id: `b${i}` }] });
    const cases = [
      [{ content: "x".repeat(2001) }, "content"],
      [{ embeds: [{ description: "x".repeat(4000) }, { description: "x".repeat(2001) }] }, "embeds"],
      [{ content: "x", components: Array.from({ length: 6 }, (_, i) => row(i)) }, "components"],
    ] as const;
    for (const [body, field] of cases) {
      const res = await rawPost(path, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 50035, errors: { [field]: { _errors: [expect.anything()] } } });
    }
    expect((await rawPost(path, { content: "x".repeat(2000), components: Array.from({ length: 5 }, (_, i) => row(i)) })).status).toBe(200);
  });

  it("the bot's REST client cuts a message over the limits before sending it", async () => {
    const g = await newGuild();
    await createDiscord(env).post(Routes.channelMessages(g.channels.text), { body: { content: "y".repeat(2500) } });
    const [sent] = (await requestsTo(`/channels/${g.channels.text}/messages`)).filter((r) => r.method === "POST");
    expect(sent?.status).toBe(200);
    expect(sent?.body).toEqual({ content: `${"y".repeat(1999)}…` });
  });
});

describe("rate limits and faults", () => {
  it("answers 429 with retry_after and rate-limit headers", async () => {
    const g = await newGuild();
    const path: `/${string}` = `/channels/${g.channels.text}/messages`;
    await emu("/_emulator/faults", { body: { method: "POST", path, status: 429, retryAfter: 0.25, times: 1 } });
    const res = await rawPost(path, { content: "x" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("0.25");
    expect(await res.json()).toEqual({ message: "You are being rate limited.", retry_after: 0.25, global: false });
    const ok = await rawPost(path, { content: "y" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-limit")).toBe("5");
    expect(ok.headers.get("x-ratelimit-remaining")).toBe("4");
    expect(Number(ok.headers.get("x-ratelimit-reset-after"))).toBeGreaterThan(0);
  });

  it("the bot's REST client waits out a 429 and retries, delivering once", async () => {
    const g = await newGuild();
    const path: `/${string}` = `/channels/${g.channels.text}/messages`;
    await emu("/_emulator/faults", { body: { method: "POST", path, status: 429, retryAfter: 0.2, times: 1 } });
    const started = Date.now();
    await createDiscord(env).post(path, { body: { content: "after the storm" } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect((await requestsTo(path)).map((r) => r.status)).toEqual([429, 200]);
    expect((await guildState(g.guild_id)).messages[g.channels.text]?.map((m) => m.content)).toEqual(["after the storm"]);
  });

  it("retries 5xx within the call and succeeds when Discord recovers", async () => {
    const g = await newGuild();
    const path: `/${string}` = `/guilds/${g.guild_id}/roles`;
    await emu("/_emulator/faults", { body: { method: "GET", path, status: 500, times: 2 } });
    const roles = await createDiscord(env).get<unknown[]>(path);
    expect(roles).toHaveLength(3);
    expect((await requestsTo(path)).map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it("turns a hung request into a transient timeout error", async () => {
    const g = await newGuild();
    const path: `/${string}` = `/guilds/${g.guild_id}/channels`;
    await emu("/_emulator/faults", { body: { method: "GET", path, hang: true, times: 1 } });
    const err = await failure(createDiscord(env, { timeout: 200, retries: 0 }).get(path));
    expect(err).toMatchObject({ status: 0, transient: true, message: "request timed out" });
  });

  it("retries a connection reset within the call, like a timeout (idempotent calls)", async () => {
    const g = await newGuild();
    const path: `/${string}` = `/guilds/${g.guild_id}/members/${g.member_id}/roles/${g.roles.admin}`;
    await emu("/_emulator/faults", { body: { method: "PUT", path, reset: true, times: 1 } });
    await createDiscord(env).put(path, { reason: "test" });
    expect((await requestsTo(path)).map((r) => r.status)).toEqual([0, 204]);
    const member = (await guildState(g.guild_id)).guilds[0]?.members.find((m) => m.user_id === g.member_id);
    expect(member?.roles).toContain(g.roles.admin);
  });

  it("never retries a create after a reset: the object may exist (the caller finds it by its intent)", async () => {
    const g = await newGuild();
    const path: `/${string}` = `/guilds/${g.guild_id}/roles`;
    await emu("/_emulator/faults", { body: { method: "POST", path, reset: true, commit: true, times: 1 } });
    const err = await failure(createDiscord(env).create(Routes.guildRoles(g.guild_id), { body: { name: "once" } }));
    expect(err).toMatchObject({ status: 0, transient: true });
    expect((await guildState(g.guild_id)).guilds[0]?.roles.filter((r) => r.name === "once")).toHaveLength(1);
  });

  it("a 403 is typed, not transient, and never retried by the client", async () => {
    const viewOnly = 1n << 10n;
    const g = await newGuild({ bot_permissions: viewOnly, everyone_permissions: viewOnly });
    const err = await failure(createDiscord(env).post(Routes.guildRoles(g.guild_id), { body: { name: "x" } }));
    expect(err).toMatchObject({ status: 403, code: 50013, forbidden: true, transient: false });
    expect(await requestsTo(`/guilds/${g.guild_id}/roles`)).toHaveLength(1);
  });
});
