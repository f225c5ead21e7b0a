import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BudgetDeferred } from "../src/discord/rate-gate";
import type { Discord } from "../src/discord/rest";
import { registry } from "../src/features";
import { reconcileTimer } from "../src/features/event-channels/reconcile";
import { createServices, type Services } from "../src/services";
import type { AgendaItem } from "../src/timers/agenda";
import {
  channelsIn,
  editEvent,
  eventLog,
  HOUR,
  liveEvent,
  MIN,
  plannedEvent,
  record,
  runAt,
  scheduleEvent,
  setUp,
  timerOf,
  untilPlanned,
  untilRecord,
  useRelay,
} from "./event-channel-helpers";
import { asAdmin, cronAndFanOut, emu, guildState, interact, interactionRecord, newGuild, WAIT_MS } from "./helpers";
import { gatewayControl } from "./relay-helpers";

useRelay();

const roleOf = async (guildId: string, roleId: string | null) => (await guildState(guildId)).guilds[0]?.roles.find((r) => r.id === roleId);

describe("event channels: changes to the event", () => {
  it("moves the creation when the start time changes before it", async () => {
    const g = await newGuild();
    const { ev, start } = await plannedEvent(g, "Raid");
    const later = start + 3 * HOUR;
    await editEvent(g, ev.id, { scheduled_start_time: new Date(later).toISOString(), scheduled_end_time: new Date(later + HOUR).toISOString() });
    await untilRecord(g.guild_id, ev.id, (r) => r?.start_at === later, "the new start");
    expect((await timerOf(g.guild_id, ev.id).list()).find((i) => i.key === "create")?.dueAt).toBe(later - 15 * MIN);
  });

  it("moves the start message, warning and deletion when a live event is rescheduled", async () => {
    const g = await newGuild();
    const { ev, start } = await liveEvent(g);
    const later = start + HOUR;
    await editEvent(g, ev.id, { scheduled_start_time: new Date(later).toISOString(), scheduled_end_time: new Date(later + HOUR).toISOString() });
    const deleteAt = later + HOUR + 4 * HOUR;
    await untilRecord(g.guild_id, ev.id, (r) => r?.delete_at === deleteAt, "the new deletion time");
    const agenda = Object.fromEntries((await timerOf(g.guild_id, ev.id).list()).filter((i) => i.status === "pending").map((i) => [i.key, i.dueAt]));
    expect(agenda).toEqual({ start: later, warn: deleteAt - 15 * MIN, delete: deleteAt });
  });

  it("drops the pending creation when the event is cancelled before it", async () => {
    const g = await newGuild();
    const { ev } = await plannedEvent(g, "Raid");
    await editEvent(g, ev.id, { status: 4 });
    await untilRecord(g.guild_id, ev.id, (r) => r?.state === "cancelled", "cancelled");
    expect((await timerOf(g.guild_id, ev.id).list()).filter((i) => i.status === "pending")).toEqual([]);
    expect(channelsIn(await guildState(g.guild_id), g.channels.category)).toEqual([]);
  });

  it("cleans up at once when a live event is cancelled, and when one is deleted", async () => {
    for (const how of ["cancel", "delete"] as const) {
      const g = await newGuild();
      const { ev, rec } = await liveEvent(g);
      if (how === "cancel") await editEvent(g, ev.id, { status: 4 });
      else await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}`, { method: "DELETE" });
      await untilRecord(g.guild_id, ev.id, (r) => r?.state === "cancelled", `cleanup after ${how}`);
      expect(channelsIn(await guildState(g.guild_id), g.channels.category)).toEqual([]);
      expect(await roleOf(g.guild_id, rec.role_id)).toBeUndefined();
      expect((await timerOf(g.guild_id, ev.id).list()).filter((i) => i.status === "pending")).toEqual([]);
    }
  });

  it("handles the same dispatch twice and a retried creation alarm with exactly one set of channels", async () => {
    const g = await newGuild();
    const { ev, start } = await plannedEvent(g, "Raid");
    // The same CREATE again, as a RESUME replay would deliver it, before and after the channels exist.
    const again = () => gatewayControl("dispatch", { t: "GUILD_SCHEDULED_EVENT_CREATE", d: ev, guild_id: g.guild_id });
    await again();
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    await again();
    // The creation step again (an alarm retried after a lost acknowledgement) finds the channels made.
    await timerOf(g.guild_id, ev.id).schedule("create", start - 15 * MIN + 1, "ec.create", { guild_id: g.guild_id, event_id: ev.id });
    await runAt(g.guild_id, ev.id, start - 15 * MIN + 1);
    const made = channelsIn(await guildState(g.guild_id), g.channels.category);
    expect(made.filter((c) => c.name.endsWith("text"))).toHaveLength(1);
    expect(made.filter((c) => c.type === 2)).toHaveLength(1);
    expect((await guildState(g.guild_id)).guilds[0]?.roles.filter((r) => r.name.startsWith("Raid "))).toHaveLength(1);
    expect((await record(g.guild_id, ev.id))?.state).toBe("live");
  });

  it("picks up an event created while the relay was down on the hourly reconciliation", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Quiet Raid", start, start + HOUR, { silent: true });
    expect(await record(g.guild_id, ev.id)).toBeNull();
    await cronAndFanOut("0 * * * *", Date.now(), [reconcileTimer(g.guild_id)]);
    expect((await untilPlanned(g.guild_id, ev.id, "create")).dueAt).toBe(start - 15 * MIN);
  });
});

describe("event channels: the deletion warning and the end", () => {
  it("extends the deletion by 4 hours from the warning's button and says who did it", async () => {
    const g = await newGuild();
    const { ev, start, rec, fans } = await liveEvent(g);
    const deleteAt = start + HOUR + 4 * HOUR;
    await runAt(g.guild_id, ev.id, deleteAt - 15 * MIN);
    const warning = (await guildState(g.guild_id)).messages[rec.text_id as string]?.at(-1) as { id: string };
    // Someone outside the event's channels (pressing from elsewhere) cannot keep them.
    const press = (user_id: string, channel_id?: string) =>
      interact({
        kind: "component",
        custom_id: `ec:extend:${ev.id}`,
        message_id: warning.id,
        guild_id: g.guild_id,
        user_id,
        ...(channel_id ? { channel_id } : {}),
      });
    const outsider = await press(g.member_id);
    expect((outsider.response as { data: { content: string } }).data.content).toContain("Only members of this event's channels");
    const fan = fans[0] as string;
    const r = await press(fan, rec.text_id as string);
    expect(r.valid).toBe(true);
    expect(r.response.type).toBe(7);
    expect((r.response as { data: { content: string } }).data.content).toContain(`Extended by <@${fan}>`);
    const agenda = Object.fromEntries((await timerOf(g.guild_id, ev.id).list()).filter((i) => i.status === "pending").map((i) => [i.key, i.dueAt]));
    expect(agenda.delete).toBe(deleteAt + 4 * HOUR);
    expect(agenda.warn).toBe(deleteAt + 4 * HOUR - 15 * MIN);
    expect(await eventLog(g.guild_id, "event_channels.extended")).toHaveLength(1);
    await interactionRecord(r.id);
  });

  it("archives a text channel members wrote in, and deletes one nobody used", async () => {
    for (const used of [true, false]) {
      const g = await newGuild();
      const archive = (await emu<{ id: string }[]>(`/_emulator/guilds/${g.guild_id}/channels`, { body: { name: "Archive", type: 4 } }))[0] as { id: string };
      await setUp(g);
      await asAdmin(g, "eventchannels", "archive-category", { category: archive.id });
      const { ev, start, rec } = await liveEvent(g);
      if (used) await emu(`/_emulator/channels/${rec.text_id}/messages`, { body: { user_id: g.member_id, content: "see you there" } });
      await runAt(g.guild_id, ev.id, start + 5 * HOUR);
      const state = await guildState(g.guild_id);
      const archived = channelsIn(state, archive.id);
      if (used) {
        expect(archived.map((c) => c.name)).toEqual(["archived-raid᲼night᲼text"]);
        expect(await eventLog(g.guild_id, "event_channels.archived")).toHaveLength(1);
      } else {
        expect(archived).toEqual([]);
        expect(state.guilds[0]?.channels.some((c) => c.id === rec.text_id)).toBe(false);
      }
      expect(channelsIn(state, g.channels.category)).toEqual([]);
    }
  });
});

describe("event channels: channels and roles deleted by hand", () => {
  it("forgets one deleted voice channel and keeps the rest", async () => {
    const g = await newGuild();
    const { ev, voiceIds } = await liveEvent(g);
    await emu(`/_emulator/channels/${voiceIds[0]}`, { method: "DELETE" });
    const r = await untilRecord(g.guild_id, ev.id, (x) => x?.voice_ids === "[]", "the voice channel to be forgotten");
    expect(r?.state).toBe("live");
    expect(r?.text_id).not.toBeNull();
  });

  it("removes the role and clears the record when every channel is deleted by hand", async () => {
    const g = await newGuild();
    const { ev, rec, voiceIds } = await liveEvent(g);
    for (const id of [rec.text_id as string, ...voiceIds]) await emu(`/_emulator/channels/${id}`, { method: "DELETE" });
    await untilRecord(g.guild_id, ev.id, (x) => x?.state === "cancelled", "cleanup");
    expect(await roleOf(g.guild_id, rec.role_id)).toBeUndefined();
  });

  it("makes the role again when it is deleted while the channels live", async () => {
    const g = await newGuild();
    const { ev, rec, fans } = await liveEvent(g);
    await emu(`/_emulator/guilds/${g.guild_id}/roles/${rec.role_id}`, { method: "DELETE" });
    const after = await untilRecord(g.guild_id, ev.id, (x) => !!x?.role_id && x.role_id !== rec.role_id, "a new role");
    // The record names the new role as soon as it exists; members get it within the same alarm, just after.
    const deadline = Date.now() + WAIT_MS;
    const hasRole = async () => {
      const members = (await guildState(g.guild_id)).guilds[0]?.members ?? [];
      return fans.every((id) => members.find((m) => m.user_id === id)?.roles.includes(after?.role_id as string));
    };
    while (!(await hasRole()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const state = await guildState(g.guild_id);
    const text = state.guilds[0]?.channels.find((c) => c.id === rec.text_id) as unknown as { permission_overwrites: { id: string }[] };
    expect(text.permission_overwrites.some((o) => o.id === after?.role_id)).toBe(true);
    for (const id of fans) expect(state.guilds[0]?.members.find((m) => m.user_id === id)?.roles).toContain(after?.role_id);
  });

  it("forgets a divider deleted by hand and makes a new one for the next event", async () => {
    const g = await newGuild();
    await liveEvent(g);
    const divider = channelsIn(await guildState(g.guild_id), g.channels.category).find((c) => c.name.startsWith("━"));
    await emu(`/_emulator/channels/${divider?.id}`, { method: "DELETE" });
    const deadline = Date.now() + WAIT_MS;
    while (
      (await env.DB.prepare("SELECT channel_id FROM event_channel_dividers WHERE guild_id = ?").bind(g.guild_id).first<{ channel_id: string | null }>())
        ?.channel_id
    ) {
      if (Date.now() > deadline) throw new Error("divider never forgotten");
      await new Promise((r) => setTimeout(r, 10));
    }
    const start = Date.now() + 3 * HOUR;
    const second = await scheduleEvent(g, "Second Raid", start);
    await untilPlanned(g.guild_id, second.id, "create");
    await runAt(g.guild_id, second.id, start - 15 * MIN);
    const dividers = channelsIn(await guildState(g.guild_id), g.channels.category).filter((c) => c.name.startsWith("━"));
    expect(dividers).toHaveLength(1);
    expect(dividers[0]?.id).not.toBe(divider?.id);
  });
});

describe("event channels: what stops creation", () => {
  it("reports a missing permission once, to the audit channel, without retrying", async () => {
    const noRoles = (1n << 4n) | (1n << 10n) | (1n << 11n) | (1n << 14n); // Manage Channels, View, Send, Embed — no Manage Roles
    const g = await newGuild({ bot_permissions: noRoles });
    await asAdmin(g, "bot-config", "audit-channel", { channel: g.channels.text });
    const { ev, start } = await plannedEvent(g, "Raid");
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    expect((await record(g.guild_id, ev.id))?.state).toBe("skipped");
    // Text messages only: the audit sink's coalesced event embeds may land there too.
    const audit = ((await guildState(g.guild_id)).messages[g.channels.text] ?? []).filter((m) => m.content);
    expect(audit.map((m) => m.content)).toEqual([expect.stringContaining("missing the **Manage Roles** permission")]);
    expect(await eventLog(g.guild_id, "permission.missing")).toHaveLength(1);
    expect((await timerOf(g.guild_id, ev.id).list()).filter((i) => i.status === "pending")).toEqual([]);
    expect(channelsIn(await guildState(g.guild_id), g.channels.category)).toEqual([]);
  });

  it("a problem report the REST budget puts off goes out when the step runs again, instead of being dropped", async () => {
    const noRoles = (1n << 4n) | (1n << 10n) | (1n << 11n) | (1n << 14n);
    const g = await newGuild({ bot_permissions: noRoles });
    await asAdmin(g, "bot-config", "audit-channel", { channel: g.channels.text });
    const { ev, start } = await plannedEvent(g, "Raid");
    const at = start - 15 * MIN;
    const base = createServices(
      env,
      () => {},
      registry,
      () => at,
    );
    // Reading works; no message can be posted for a while (the budget's answer to a call it cannot make soon).
    const discord: Discord = {
      ...base.discord,
      post: (route, data) => (route.endsWith("/messages") ? Promise.reject(new BudgetDeferred(Date.now() + 10_000, false)) : base.discord.post(route, data)),
    };
    const busy = Object.create(base, { discord: { value: discord } }) as Services;
    const item = (await timerOf(g.guild_id, ev.id).list()).find((i) => i.kind === "ec.create") as AgendaItem;
    const create = registry.timerKinds.get("ec.create");
    await expect(create?.run(item as never, { services: busy, now: at, timerName: `ec:${g.guild_id}:${ev.id}` })).rejects.toBeInstanceOf(BudgetDeferred);
    // The item is still due (the timer re-arms it at the budget's time): its next run reports, once.
    await runAt(g.guild_id, ev.id, at);
    expect((await record(g.guild_id, ev.id))?.state).toBe("skipped");
    const audit = ((await guildState(g.guild_id)).messages[g.channels.text] ?? []).filter((m) => m.content);
    expect(audit.map((m) => m.content)).toEqual([expect.stringContaining("missing the **Manage Roles** permission")]);
    expect(await eventLog(g.guild_id, "permission.missing")).toHaveLength(1);
  });

  it("does not start creating into a full category", async () => {
    const g = await newGuild();
    await emu(`/_emulator/guilds/${g.guild_id}/channels`, { body: { name: "filler", parent_id: g.channels.category, count: 49 } });
    const { ev, start } = await plannedEvent(g, "Raid");
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    expect((await record(g.guild_id, ev.id))?.state).toBe("skipped");
    expect(channelsIn(await guildState(g.guild_id), g.channels.category)).toHaveLength(49);
    expect((await eventLog(g.guild_id, "permission.missing"))[0]?.problems[0]).toContain("category is full");
  });
});

describe("event channels: a failure half-way", () => {
  it("keeps what it made when a channel cannot be created (deletion already planned), and the retry makes only what is missing", async () => {
    const g = await newGuild();
    await setUp(g);
    const start = Date.now() + 2 * HOUR;
    const ev = await scheduleEvent(g, "Raid", start);
    await emu(`/_emulator/guilds/${g.guild_id}/scheduled-events/${ev.id}/users`, { body: { count: 1 } });
    await untilPlanned(g.guild_id, ev.id, "create");
    // One channel is made, the other fails (creates are never retried blindly by the REST client). The two go out
    // together, each on its own client, so which one Discord sees second is not fixed.
    await emu("/_emulator/faults", { body: { path: `/guilds/${g.guild_id}/channels`, method: "POST", status: 500, after: 1, times: 1 } });
    await runAt(g.guild_id, ev.id, start - 15 * MIN);
    let state = await guildState(g.guild_id);
    const made = channelsIn(state, g.channels.category);
    expect(made).toHaveLength(1);
    const [one] = made;
    const rec = await record(g.guild_id, ev.id);
    expect([rec?.state, rec?.text_id ?? null, rec?.voice_ids]).toEqual([
      "creating",
      one?.type === 0 ? one.id : null,
      one?.type === 2 ? JSON.stringify([one.id]) : "[]",
    ]);
    expect(rec?.role_id).toBeTruthy();
    const agenda = await timerOf(g.guild_id, ev.id).list();
    // Whatever exists has its deletion planned before anything was made.
    expect(agenda.find((i) => i.key === "delete")?.status).toBe("pending");
    const item = agenda.find((i) => i.key === "create");
    expect(item?.attempts).toBe(1);
    // The retry (30 s later) resumes: only the missing channel is made, the rest is reused.
    await runAt(g.guild_id, ev.id, (item?.dueAt ?? 0) + 1);
    state = await guildState(g.guild_id);
    expect(
      channelsIn(state, g.channels.category)
        .filter((c) => !c.name.startsWith("━"))
        .map((c) => c.type)
        .sort(),
    ).toEqual([0, 2]);
    expect(state.guilds[0]?.roles.filter((r) => r.name.startsWith("Raid "))).toHaveLength(1);
    expect((await record(g.guild_id, ev.id))?.state).toBe("live");
  });
});
