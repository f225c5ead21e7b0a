/** What the sandbox needs from the emulator: its events observed, buttons on followups and in DMs, a clear port clash. */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { buildInteraction } from "../test/emulator/interactions.ts";
import { type Emulator, type EmulatorEvent, startEmulator } from "../test/emulator/server.ts";

const WebSocket = createRequire(import.meta.url)("ws") as typeof import("ws").WebSocket;

let emulator: Emulator;
let guild: ReturnType<Emulator["world"]["createGuild"]>;
const events: EmulatorEvent[] = [];

before(async () => {
  emulator = await startEmulator({ quiet: true });
  guild = emulator.world.createGuild();
  emulator.observe((e) => events.push(e));
});
after(() => emulator.close());

const until = async (what: () => boolean) => {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(what(), "timed out");
};

test("a port in use rejects with EADDRINUSE instead of crashing the process", async () => {
  await assert.rejects(startEmulator({ port: emulator.port, quiet: true }), { code: "EADDRINUSE" });
});

test("observers see REST calls with their status and member actions of the control API", async () => {
  await fetch(`${emulator.url}/api/v10/guilds/${guild.guild_id}/roles`, { headers: { authorization: `Bot ${emulator.botToken}` } });
  await fetch(`${emulator.url}/api/v10/channels/404`, { headers: { authorization: `Bot ${emulator.botToken}` } });
  await fetch(`${emulator.url}/_emulator/guilds/${guild.guild_id}/voice`, {
    method: "POST",
    body: JSON.stringify({ user_id: guild.member_id, channel_id: guild.channels.voice }),
  });
  await until(() => events.some((e) => e.type === "control"));
  const rest = events.filter((e) => e.type === "rest");
  assert.deepEqual(
    rest.map((e) => [e.route, e.status]),
    [
      ["GET /guilds/:id/roles", 200],
      ["GET /channels/:id", 404],
    ],
  );
  assert.deepEqual(
    events.filter((e) => e.type === "control").map((e) => [e.method, e.path, e.status]),
    [["POST", `/_emulator/guilds/${guild.guild_id}/voice`, 200]],
  );
});

test("observers see the gateway: identify, dispatches delivered or buffered while the connection is down", async () => {
  const ws = new WebSocket(`${emulator.url.replace("http", "ws")}/gateway`);
  await new Promise((r) => ws.once("open", r));
  ws.send(JSON.stringify({ op: 2, d: { token: `Bot ${emulator.botToken}`, intents: 1, properties: {} } }));
  await until(() => events.some((e) => e.type === "gateway" && e.what === "dispatch" && e.t === "GUILD_CREATE"));
  assert.ok(events.some((e) => e.type === "gateway" && e.what === "identify"));
  emulator.world.setVoice(guild.guild_id, guild.admin_id, guild.channels.voice);
  const live = events.findLast((e) => e.type === "gateway" && e.t === "VOICE_STATE_UPDATE");
  assert.equal(live?.type === "gateway" && live.delivered, true);
  await fetch(`${emulator.url}/_emulator/gateway/drop`, { method: "POST", body: "{}" });
  await until(() => events.some((e) => e.type === "gateway" && e.what === "close"));
  emulator.world.setVoice(guild.guild_id, guild.admin_id, null);
  const buffered = events.findLast((e) => e.type === "gateway" && e.t === "VOICE_STATE_UPDATE");
  assert.equal(buffered?.type === "gateway" && buffered.delivered, false);
});

test("a button on a followup message is clicked on that message (its components reach the bot)", async () => {
  const { record } = buildInteraction(emulator.world, { kind: "command", name: "x", guild_id: guild.guild_id, user_id: guild.admin_id });
  record.response = { type: 5 };
  const followup = (await (
    await fetch(`${emulator.url}/api/v10/webhooks/${emulator.applicationId}/${record.token}`, {
      method: "POST",
      body: JSON.stringify({ content: "Pick", flags: 64, components: [{ type: 1, components: [{ type: 2, style: 1, label: "Yes", custom_id: "a:yes" }] }] }),
    })
  ).json()) as { id: string };
  const { body } = buildInteraction(emulator.world, {
    kind: "component",
    custom_id: "a:yes",
    message_id: followup.id,
    guild_id: guild.guild_id,
    user_id: guild.admin_id,
  });
  const message = body.message as { id: string; content: string; components: unknown[] };
  assert.equal(message.id, followup.id);
  assert.equal(message.content, "Pick");
  assert.equal(message.components.length, 1);
});

test("a button in a DM with the bot carries that DM channel", async () => {
  const dm = (await (
    await fetch(`${emulator.url}/api/v10/users/@me/channels`, {
      method: "POST",
      headers: { authorization: `Bot ${emulator.botToken}` },
      body: JSON.stringify({ recipient_id: guild.member_id }),
    })
  ).json()) as { id: string };
  const { body, record } = buildInteraction(emulator.world, { kind: "component", custom_id: "rm:stop", channel_id: dm.id, user_id: guild.member_id });
  assert.equal(body.channel_id, dm.id);
  assert.equal(record.channel_id, dm.id);
  assert.equal(body.guild_id, undefined);
});
