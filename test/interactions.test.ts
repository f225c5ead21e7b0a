import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { asAdmin, callWorker, dbSnapshot, emu, interact, interactionRecord, newGuild, requestsTo } from "./helpers";

const EPHEMERAL = 64;

describe("POST /interactions: the happy paths", () => {
  it("answers PING with PONG", async () => {
    const r = await interact({ kind: "ping" });
    expect(r.status).toBe(200);
    expect(r.response).toEqual({ type: 1 });
    expect(r.valid).toBe(true);
  });

  it("answers a command in the HTTP body with a message Discord accepts", async () => {
    const g = await newGuild();
    const r = await interact({ kind: "command", name: "about", guild_id: g.guild_id, user_id: g.member_id });
    expect(r.status).toBe(200);
    expect(r.valid).toBe(true);
    expect(r.response.type).toBe(4);
    const data = (r.response as { data: { embeds: { fields: { name: string; value: string }[] }[]; allowed_mentions: unknown } }).data;
    expect(data.embeds[0]?.fields[0]).toEqual({ name: "Version", value: "0.1.0", inline: true });
    expect(data.allowed_mentions).toEqual({ parse: [] });
  });

  it("defers a slow command and finishes it with a PATCH of @original", async () => {
    const g = await newGuild();
    const r = await interact({ kind: "command", name: "bot-config", subcommand: "check", guild_id: g.guild_id, user_id: g.admin_id });
    expect(r.response).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    expect(r.valid).toBe(true);
    const rec = await interactionRecord(r.id);
    expect(rec.original?.embeds[0]?.title).toBe("All permissions in place");
    const patches = await requestsTo(r.token);
    expect(patches.map((p) => [p.method, p.status])).toEqual([["PATCH", 200]]);
  });

  it("reports a missing bot permission in the followup instead of failing", async () => {
    const onlyView = 1n << 10n;
    const g = await newGuild({ bot_permissions: onlyView, everyone_permissions: onlyView });
    const r = await interact({ kind: "command", name: "bot-config", subcommand: "check", guild_id: g.guild_id, user_id: g.owner_id });
    const rec = await interactionRecord(r.id);
    expect(rec.original?.embeds[0]?.title).toBe("Some permissions are missing");
    expect(rec.original?.embeds[0]?.description).toContain("missing Send Messages, Embed Links");
  });

  it("routes a button (namespaced custom_id) and edits the message it sits on", async () => {
    const g = await newGuild();
    const view = await interact({ kind: "command", name: "bot-config", subcommand: "view", guild_id: g.guild_id, user_id: g.admin_id });
    const viewMessageId = (await interactionRecord(view.id)).original as unknown as { id: string };
    const r = await interact({ kind: "component", custom_id: "core:check", message_id: viewMessageId.id, guild_id: g.guild_id, user_id: g.admin_id });
    expect(r.response).toEqual({ type: 6 });
    const after = await interactionRecord(view.id);
    expect(after.original?.embeds[0]?.title).toBe("All permissions in place");
  });

  it("answers autocomplete with matching timezones", async () => {
    const g = await newGuild();
    const r = await interact({
      kind: "autocomplete",
      name: "bot-config",
      subcommand: "timezone",
      options: { zone: "berl" },
      focused: "zone",
      guild_id: g.guild_id,
      user_id: g.admin_id,
    });
    expect(r.valid).toBe(true);
    expect(r.response).toEqual({ type: 8, data: { choices: [{ name: "Europe/Berlin", value: "Europe/Berlin" }] } });
  });

  it("saves an admin's setting in D1 and emits bot.config_changed", async () => {
    const g = await newGuild();
    const r = await asAdmin(g, "bot-config", "timezone", { zone: "europe/berlin" });
    expect((r.response as { data: { content: string } }).data.content).toBe("Timezone set to **Europe/Berlin**.");
    const row = await env.DB.prepare("SELECT timezone FROM guilds WHERE guild_id = ?").bind(g.guild_id).first();
    expect(row).toEqual({ timezone: "Europe/Berlin" });
    const events = await env.DB.prepare("SELECT name, level, data FROM event_log WHERE guild_id = ?").bind(g.guild_id).all();
    expect(events.results).toEqual([
      { name: "bot.config_changed", level: "SYSTEM", data: JSON.stringify({ setting: "timezone", value: "Europe/Berlin", by_user_id: g.admin_id }) },
    ]);
  });
});

/** The reply a member sees for a refusal: ephemeral, containing `text`. */
function expectEphemeral(r: { status: number; response: unknown }, text: string) {
  expect(r.status).toBe(200);
  expect(r.response).toMatchObject({ type: 4, data: { flags: EPHEMERAL, content: expect.stringContaining(text) } });
}

describe("POST /interactions: refusals change nothing", () => {
  async function expectUnchanged(action: () => Promise<void>) {
    const before = await dbSnapshot();
    await action();
    expect(await dbSnapshot()).toEqual(before);
  }

  it("re-checks admin permissions server-side: a member gets an ephemeral refusal", async () => {
    const g = await newGuild();
    await expectUnchanged(async () => {
      const r = await interact({
        kind: "command",
        name: "bot-config",
        subcommand: "timezone",
        options: { zone: "Asia/Tokyo" },
        guild_id: g.guild_id,
        user_id: g.member_id,
      });
      expectEphemeral(r, "You need the **Manage Server** permission to do this.");
    });
  });

  it("refuses a timezone like 'tomorrow-ish' with a clear message", async () => {
    const g = await newGuild();
    await expectUnchanged(async () => {
      const r = await asAdmin(g, "bot-config", "timezone", { zone: "tomorrow-ish" });
      expectEphemeral(r, "`tomorrow-ish` is not a timezone I know");
    });
  });

  it("answers an unknown command with an ephemeral message, not a 500", async () => {
    const g = await newGuild();
    await expectUnchanged(async () => {
      const r = await interact({ kind: "command", name: "no-such-command", guild_id: g.guild_id, user_id: g.member_id });
      expect(r.valid).toBe(true);
      expectEphemeral(r, "Unknown command `/no-such-command`");
    });
  });

  it("answers an unknown component with an ephemeral message", async () => {
    const g = await newGuild();
    await expectUnchanged(async () => {
      const r = await interact({ kind: "component", custom_id: "gone:feature:1", guild_id: g.guild_id, user_id: g.member_id });
      expectEphemeral(r, "no longer supported");
    });
  });

  async function post(body: string, headers: Record<string, string>) {
    return callWorker(new Request("https://bot.test/interactions", { method: "POST", headers, body }));
  }

  async function signed(body: string, at?: number) {
    return (await emu<{ headers: Record<string, string> }>("/_emulator/sign", { body: { body, at } })).headers;
  }

  const ping = JSON.stringify({ id: "1", application_id: "1", type: 1, token: "t", version: 1 });

  it("401 without signature headers", async () => {
    await expectUnchanged(async () => {
      const res = await post(ping, { "content-type": "application/json" });
      expect(res.status).toBe(401);
    });
  });

  it("401 for a body signed by another key", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", pair.privateKey, new TextEncoder().encode(ts + ping)));
    const hex = Array.from(sig, (b) => b.toString(16).padStart(2, "0")).join("");
    await expectUnchanged(async () => {
      const res = await post(ping, { "x-signature-ed25519": hex, "x-signature-timestamp": ts });
      expect(res.status).toBe(401);
    });
  });

  it("401 when the body was changed after signing", async () => {
    const headers = await signed(ping);
    const res = await post(ping.replace('"t"', '"u"'), headers);
    expect(res.status).toBe(401);
  });

  it("401 for a stale timestamp (older than 5 minutes) and for one in the future", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectUnchanged(async () => {
      expect((await post(ping, await signed(ping, now - 301))).status).toBe(401);
      expect((await post(ping, await signed(ping, now + 60))).status).toBe(401);
    });
    expect((await post(ping, await signed(ping, now - 10))).status).toBe(200);
  });

  it("400 for a correctly signed body that is not JSON, or not an interaction", async () => {
    await expectUnchanged(async () => {
      const bad = "{not json";
      const res = await post(bad, await signed(bad));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "body is not valid JSON" });
      const weird = JSON.stringify({ type: 99, id: "1", application_id: "1", token: "t" });
      expect((await post(weird, await signed(weird))).status).toBe(400);
      const noName = JSON.stringify({ type: 2, id: "1", application_id: "1", token: "t", data: {}, user: { id: "1" } });
      expect((await post(noName, await signed(noName))).status).toBe(400);
    });
  });

  it("413 for a huge body, before verifying or parsing it", async () => {
    const huge = JSON.stringify({ type: 1, id: "1", application_id: "1", token: "t", pad: "x".repeat(200_000) });
    await expectUnchanged(async () => {
      const res = await post(huge, await signed(huge));
      expect(res.status).toBe(413);
    });
  });
});
