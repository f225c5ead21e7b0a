import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { PermissionFlagsBits as P } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { forgetGuildRoles } from "../src/discord/guild-roles";
import { registry } from "../src/features";
import { queueGuildSync, syncGuild, syncTimerName } from "../src/features/tournaments/sync";
import { createServices } from "../src/services";
import { asAdmin, emu, interact, requestsTo } from "./helpers";
import { ahead, events, H, hourlyCron, iso, type League, league, mapping, schedule, silentMatch, text } from "./tournament-helpers";

const calls = async (guildId: string, since = 0) =>
  (await requestsTo(`/guilds/${guildId}/scheduled-events`)).slice(since).map((r) => ({ method: r.method, body: r.body }));

const sync = async (l: League) => text(await asAdmin(l.g, "tournament", "sync"));
const syncReply = async (l: League) => {
  const r = await asAdmin(l.g, "tournament", "sync");
  const rec = await emu<{ original?: { content: string } }>(`/_emulator/interactions/${r.id}`);
  return rec.original?.content ?? "";
};

describe("hourly match → event sync", () => {
  it("creates missing, fixes drift with only the drifted field, deletes orphans, re-creates deleted events, then writes nothing", async () => {
    const l = await league();
    const kept = await schedule(l, ahead(3));
    const drifted = await schedule(l, ahead(4));
    const orphan = await schedule(l, ahead(5));
    const deleted = await schedule(l, ahead(6));
    const missing = await silentMatch(l, ahead(7));
    const byHand = await events(l.g.guild_id);
    await emu(`/_emulator/guilds/${l.g.guild_id}/scheduled-events/${byHand[1]?.id}`, { method: "PATCH", body: { name: "renamed by hand" } });
    await env.DB.prepare("UPDATE matches SET status = 'finished' WHERE id = ?").bind(orphan.id).run();
    await emu(`/_emulator/guilds/${l.g.guild_id}/scheduled-events/${byHand[3]?.id}`, { method: "DELETE" });
    const before = (await calls(l.g.guild_id)).length;

    const reply = await syncReply(l);
    expect(reply).toContain("2 created, 1 updated, 1 removed, 1 unchanged");
    const made = await calls(l.g.guild_id, before);
    expect(made.map((c) => c.method).sort()).toEqual(["DELETE", "GET", "PATCH", "POST", "POST"]);
    expect(made.find((c) => c.method === "PATCH")?.body).toEqual({ name: `${l.slug.toUpperCase()} - alice vs bob` });
    const now = await events(l.g.guild_id);
    expect(now).toHaveLength(4);
    for (const id of [kept.id, drifted.id, deleted.id, missing]) expect(now.map((e) => e.id)).toContain((await mapping(id))?.scheduled_event_id);
    expect(await mapping(orphan.id)).toBeNull();

    const again = await syncReply(l);
    expect(again).toContain("0 created, 0 updated, 0 removed, 4 unchanged");
    expect(again).toContain("(1 Discord call)");
    expect((await calls(l.g.guild_id, before + made.length)).map((c) => c.method)).toEqual(["GET"]);
  });

  it("runs hourly from cron, and /tournament status shows the last sync, upcoming events and the sync button", async () => {
    const l = await league();
    await silentMatch(l, ahead(10));
    await silentMatch(l, ahead(200)); // beyond 168 h: not the sync's business yet
    await hourlyCron(l.g.guild_id);
    expect(await events(l.g.guild_id)).toHaveLength(1);
    const status = await asAdmin(l.g, "tournament", "status");
    expect(text(status)).toMatch(/last sync: <t:\d+:R> · result: 1 created, 0 updated, 0 removed, 0 unchanged/);
    expect(text(status)).toContain("Upcoming Discord events for matches: **1**");
    expect(status.valid).toBe(true);
    const run = await env.DB.prepare("SELECT last_status FROM cron_runs WHERE job = 'tournaments.match-event-sync'").first();
    expect(run).toEqual({ last_status: "ok" });
    const button = await interact({ kind: "component", custom_id: "tournaments:sync", guild_id: l.g.guild_id, user_id: l.g.admin_id });
    expect(button.response).toMatchObject({ type: 6 });
  });

  it("skips guilds the bot was removed from", async () => {
    const l = await league();
    await silentMatch(l, ahead(10));
    await env.DB.prepare("INSERT INTO guilds (guild_id, left_at, created_at, updated_at) VALUES (?, ?, 0, 0)").bind(l.g.guild_id, Date.now()).run();
    const other = await league();
    await silentMatch(other, ahead(10));
    await hourlyCron(other.g.guild_id);
    expect(await events(other.g.guild_id)).toHaveLength(1);
    expect(await events(l.g.guild_id)).toHaveLength(0);
    // Never even queued: its sync timer has no agenda.
    const timer = env.EVENT_TIMER.getByName(syncTimerName(l.g.guild_id)) as unknown as { list(): Promise<unknown[]> };
    expect(await timer.list()).toEqual([]);
  });

  it("concurrent sync and reschedule leave one event, at the latest time", async () => {
    const l = await league();
    const id = await silentMatch(l, ahead(10));
    // Discord answers slowly, so the sync's create and the reschedule overlap.
    await emu("/_emulator/faults", { body: { path: `/guilds/${l.g.guild_id}/scheduled-events`, method: "POST", delayMs: 400, times: 1 } });
    const latest = ahead(12);
    await Promise.all([sync(l), asAdmin(l.g, "match", "reschedule", { match: String(id), time: iso(latest) })]);
    const list = await events(l.g.guild_id);
    expect(list).toHaveLength(1);
    expect(Date.parse(list[0]?.scheduled_start_time ?? "")).toBe(latest);
    expect(await mapping(id)).toMatchObject({ scheduled_event_id: list[0]?.id, start_at: latest, lease_owner: null });
    expect((await calls(l.g.guild_id)).filter((c) => c.method === "POST")).toHaveLength(1);
  });

  it("reschedule racing a drift fix: the later writer re-reads, the event ends at the latest time", async () => {
    const l = await league();
    const { id } = await schedule(l, ahead(10));
    const [ev] = await events(l.g.guild_id);
    await emu(`/_emulator/guilds/${l.g.guild_id}/scheduled-events/${ev?.id}`, { method: "PATCH", body: { name: "drifted" } });
    await emu("/_emulator/faults", { body: { path: `/scheduled-events/${ev?.id}`, method: "PATCH", delayMs: 300, times: 1 } });
    const latest = ahead(14);
    await Promise.all([sync(l), asAdmin(l.g, "match", "reschedule", { match: String(id), time: iso(latest) })]);
    const [after] = await events(l.g.guild_id);
    expect(after).toMatchObject({ id: ev?.id, name: `${l.slug.toUpperCase()} - alice vs bob` });
    expect(Date.parse(after?.scheduled_start_time ?? "")).toBe(latest);
    expect(await mapping(id)).toMatchObject({ start_at: latest, lease_owner: null });
  });
});

describe("limits and permissions", () => {
  it("missing Create Events: no call to Discord, one warning to the admin, shown by status; fixed → sync creates", async () => {
    const bits = P.ViewChannel | P.SendMessages | P.ManageChannels | P.ManageRoles;
    const l = await league({ bot_permissions: bits });
    const first = await schedule(l, ahead(24));
    const second = await schedule(l, ahead(25));
    expect(first.content).toContain("I need the **Create Events** permission");
    expect(second.content).toContain("I need the **Create Events** permission");
    expect(await calls(l.g.guild_id)).toEqual([]);
    await hourlyCron(l.g.guild_id);
    expect((await calls(l.g.guild_id)).map((c) => c.method)).toEqual(["GET"]);
    const warned = await env.DB.prepare("SELECT COUNT(*) AS n FROM event_log WHERE guild_id = ? AND name = 'tournament.permission_missing'")
      .bind(l.g.guild_id)
      .first<{ n: number }>();
    expect(warned?.n).toBe(1);
    expect(text(await asAdmin(l.g, "tournament", "status"))).toContain("⚠️ I need the **Create Events** permission");
    // The admin fixes the bot's role; the next command carries the new permissions and the sync catches up.
    const state = await emu<{ guilds: { roles: { id: string; name: string }[] }[] }>(`/_emulator/state?guild=${l.g.guild_id}`);
    const botRole = state.guilds[0]?.roles.find((r) => r.name === "Event Bot");
    // …and the permission caches expire (D1: 10 minutes; the guild's roles: 30 s per isolate).
    await env.DB.prepare("DELETE FROM bot_guild_permissions WHERE guild_id = ?").bind(l.g.guild_id).run();
    forgetGuildRoles(l.g.guild_id);
    await emuPatchRole(l, botRole?.id as string, bits | P.CreateEvents);
    expect(await syncReply(l)).toContain("2 created");
    expect(text(await asAdmin(l.g, "tournament", "status"))).not.toContain("⚠️");
  });

  it("guild at Discord's 100-event limit (30038): a clear note, status counts it; the soonest matches win the free slots", async () => {
    const l = await league();
    const later = await schedule(l, ahead(100));
    const others: string[] = [];
    for (let i = 0; i < 99; i++) {
      const ev = await emu<{ id: string }>(`/_emulator/guilds/${l.g.guild_id}/scheduled-events`, {
        body: { name: `Community ${i}`, scheduled_start_time: new Date(ahead(30)).toISOString(), silent: true },
      });
      others.push(ev.id);
    }
    const sooner = await schedule(l, ahead(20));
    expect(sooner.content).toContain("maximum of 100 upcoming events");
    expect((await mapping(sooner.id))?.last_error).toBe("limit");
    // The sync gives the slot to the sooner match: the later one's event makes way.
    expect(await syncReply(l)).toContain("over Discord's limit");
    expect((await mapping(sooner.id))?.scheduled_event_id).toBeTruthy();
    expect((await mapping(later.id))?.scheduled_event_id ?? null).toBeNull();
    expect(text(await asAdmin(l.g, "tournament", "status"))).toContain("matches without their event: **1**");
    // Room again → the next sync brings the later match back.
    await emu(`/_emulator/guilds/${l.g.guild_id}/scheduled-events/${others[0]}`, { method: "DELETE" });
    await sync(l);
    expect((await mapping(later.id))?.scheduled_event_id).toBeTruthy();
    expect(await events(l.g.guild_id)).toHaveLength(100);
  });

  it("a run stops at its write budget and the guild's timer carries on with the rest", async () => {
    const l = await league();
    for (let i = 0; i < 5; i++) await silentMatch(l, ahead(3 + i));
    const s = createServices(env, () => {}, registry);
    const first = await syncGuild(s, l.g.guild_id, 2);
    expect(first).toMatchObject({ created: 2, remaining: 3 });
    expect(await events(l.g.guild_id)).toHaveLength(2);
    // The timer kind continues until nothing is left, one run per alarm.
    await queueGuildSync(s, l.g.guild_id);
    const timer = env.EVENT_TIMER.getByName(syncTimerName(l.g.guild_id));
    for (let i = 0; i < 20 && (await events(l.g.guild_id)).length < 5; i++) {
      await runDurableObjectAlarm(timer);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await events(l.g.guild_id)).toHaveLength(5);
    expect((await calls(l.g.guild_id)).filter((c) => c.method === "POST")).toHaveLength(5);
  });

  it("past matches stay out of the sync; a 5xx from Discord is reported and retried by the next sync", async () => {
    const l = await league();
    await silentMatch(l, Date.now() - 2 * H);
    const id = await silentMatch(l, ahead(3));
    await emu("/_emulator/faults", { body: { path: `/guilds/${l.g.guild_id}/scheduled-events`, method: "POST", status: 500, times: 10 } });
    expect(await syncReply(l)).toContain("1 failed (retried next hour)");
    expect((await mapping(id))?.last_error).toMatch(/^error: /);
    await emu(`/_emulator/faults?path=/guilds/${l.g.guild_id}/scheduled-events`, { method: "DELETE" });
    expect(await syncReply(l)).toContain("1 created");
    expect(await events(l.g.guild_id)).toHaveLength(1);
  });
});

async function emuPatchRole(l: League, roleId: string, permissions: bigint): Promise<void> {
  const state = await emu<{ guilds: { roles: { id: string; permissions: string }[] }[] }>(`/_emulator/state?guild=${l.g.guild_id}`);
  expect(state.guilds[0]?.roles.some((r) => r.id === roleId)).toBe(true);
  await emu(`/_emulator/guilds/${l.g.guild_id}/roles/${roleId}`, { method: "PATCH", body: { permissions: permissions.toString() } });
}
