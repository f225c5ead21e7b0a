/** Member commands (/subscribe, /unsubscribe, /remind) and the components of the subscribe view. */
import { TimestampStyles, time } from "@discordjs/formatters";
import { InteractionResponseType } from "discord-api-types/v10";
import { sendDm } from "../../discord/dm";
import type { Command, Component } from "../../feature";
import { option } from "../../interactions/command-options";
import type { MessageData } from "../../interactions/reply";
import { UserError } from "../../interactions/types";
import type { Services } from "../../services";
import { formatOffset } from "./offsets";
import { memberTypes, readReminderSettings } from "./settings";
import { addEventMember, deleteSubscription, getReminderEvent, getSubscription, putSubscription, upcomingEvents } from "./storage";
import { stateFrom, subscribeView, type ViewState } from "./subscribe-view";
import { type Viewer, viewerOf, visibleEvents } from "./visibility";

const DM_CLOSED = "I couldn't DM you — open your DMs from this server (Server menu → Privacy Settings → Direct Messages).";

async function currentView(s: Services, guildId: string, userId: string, state?: ViewState, note = ""): Promise<MessageData> {
  const [types, settings, sub] = await Promise.all([
    memberTypes(s.env.DB, guildId),
    readReminderSettings(s.env.DB, guildId),
    getSubscription(s.env.DB, guildId, userId),
  ]);
  return subscribeView(state ?? { types: sub?.types ?? [], offsets: sub?.offsets ?? [], optOut: sub?.interested_opt_out ?? false }, types, settings, note);
}

const update = (data: MessageData) => ({ type: InteractionResponseType.UpdateMessage as const, data });

export const subscribe: Command = {
  data: { name: "subscribe", description: "Get DM reminders before this server's events" },
  async run(ctx) {
    if (!ctx.guildId) throw new UserError("Use this in a server.");
    return currentView(ctx.services, ctx.guildId, ctx.user.id);
  },
};

export const unsubscribe: Command = {
  data: { name: "unsubscribe", description: "Stop DM reminders from this server" },
  async run(ctx) {
    if (!ctx.guildId) throw new UserError("Use this in a server.");
    const removed = await deleteSubscription(ctx.services.env.DB, ctx.guildId, ctx.user.id);
    await ctx.services.bus.emit("subscription.updated", { action: "unsubscribed" }, { guildId: ctx.guildId, userId: ctx.user.id });
    return removed
      ? "Done: no more reminders from this server. (Clicking **Interested** on an event still reminds you unless you turn that off in `/subscribe`.)"
      : "You had no reminders here.";
  },
};

/** Subscribes one member to one event (the /remind command and the Remind-me button). */
async function remindOne(s: Services, guildId: string, viewer: Viewer | null, eventId: string): Promise<string> {
  const userId = viewer?.userId ?? "";
  const ev = await getReminderEvent(s.env.DB, guildId, eventId);
  // An event in a channel the member cannot see answers exactly like one that does not exist.
  if (!ev?.active || ev.start_at <= s.now() || !(await visibleEvents(s, guildId, viewer, [ev])).length)
    throw new UserError("That event is not upcoming any more.");
  await addEventMember(s.env.DB, guildId, eventId, userId, "remind", s.now());
  await s.bus.emit("subscription.updated", { action: "remind", event_id: eventId }, { guildId, userId });
  const sub = await getSubscription(s.env.DB, guildId, userId);
  const settings = await readReminderSettings(s.env.DB, guildId);
  const offsets = sub?.offsets.length ? sub.offsets : settings.default_offsets;
  return `I'll DM you about **${ev.name}** (${time(new Date(ev.start_at), TimestampStyles.RelativeTime)}) ${offsets.map((o) => (o === 0 ? "when it starts" : `${formatOffset(o)} before`)).join(", ")}.`;
}

export const remind: Command = {
  data: {
    name: "remind",
    description: "Get a DM reminder for one upcoming event",
    options: [option.string("event", "The event", { required: true, autocomplete: true, max_length: 25 })],
  },
  async autocomplete(ctx) {
    if (!ctx.guildId) return [];
    const typed = (ctx.options.focused()?.value ?? "").toLowerCase();
    const events = await visibleEvents(
      ctx.services,
      ctx.guildId,
      viewerOf(ctx.interaction),
      await upcomingEvents(ctx.services.env.DB, ctx.guildId, ctx.services.now()),
    );
    return events
      .filter((e) => e.name.toLowerCase().includes(typed))
      .slice(0, 25)
      .map((e) => ({ name: `${e.name} — ${new Date(e.start_at).toISOString().slice(0, 16).replace("T", " ")} UTC`.slice(0, 100), value: e.event_id }));
  },
  async run(ctx) {
    if (!ctx.guildId) throw new UserError("Use this in a server.");
    const eventId = ctx.options.required(ctx.options.string("event"), "event");
    if (!/^\d{17,20}$/.test(eventId)) throw new UserError("Pick an event from the list.");
    return remindOne(ctx.services, ctx.guildId, viewerOf(ctx.interaction), eventId);
  },
};

export const remindButton: Component = {
  id: "rm:remind",
  async run(ctx) {
    if (!ctx.guildId || !ctx.args[0]) throw new UserError("This button is not from an event.");
    return remindOne(ctx.services, ctx.guildId, viewerOf(ctx.interaction), ctx.args[0]);
  },
};

/** The two selects and the opt-out button re-render the view; the state travels in the message. */
export const typesSelect: Component = {
  id: "rm:types",
  async run(ctx) {
    const state = { ...stateFrom(ctx.interaction.message), types: ctx.values };
    return update(await currentView(ctx.services, ctx.guildId as string, ctx.user.id, state));
  },
};

export const offsetsSelect: Component = {
  id: "rm:offsets",
  async run(ctx) {
    const state = { ...stateFrom(ctx.interaction.message), offsets: ctx.values.map(Number).filter((n) => Number.isInteger(n) && n >= 0) };
    return update(await currentView(ctx.services, ctx.guildId as string, ctx.user.id, state));
  },
};

export const optOutButton: Component = {
  id: "rm:optout",
  async run(ctx) {
    const state = stateFrom(ctx.interaction.message);
    return update(await currentView(ctx.services, ctx.guildId as string, ctx.user.id, { ...state, optOut: !state.optOut }));
  },
};

export const cancelButton: Component = {
  id: "rm:cancel",
  async run() {
    return update({ content: "Nothing changed.", components: [] });
  },
};

export const saveButton: Component = {
  id: "rm:save",
  async run(ctx) {
    const s = ctx.services;
    const guildId = ctx.guildId;
    if (!guildId) throw new UserError("Use this in a server.");
    const state = stateFrom(ctx.interaction.message);
    const [types, settings] = await Promise.all([memberTypes(s.env.DB, guildId), readReminderSettings(s.env.DB, guildId)]);
    const known = new Set(["all", ...types.map((t) => t.name)]);
    const picked = state.types.filter((t) => known.has(t));
    if (!picked.length) return update(await currentView(s, guildId, ctx.user.id, state, "Pick at least one kind of event first."));
    const offsets = state.offsets.filter((o) => settings.allowed_offsets.includes(o));
    await putSubscription(s.env.DB, guildId, ctx.user.id, { types: picked, offsets, interested_opt_out: state.optOut }, s.now());
    await s.bus.emit("subscription.updated", { action: "saved", types: picked, offsets }, { guildId, userId: ctx.user.id });
    const when = (offsets.length ? offsets : settings.default_offsets).map((o) => (o === 0 ? "when it starts" : `${formatOffset(o)} before`)).join(", ");
    const welcome = await sendDm(
      s,
      ctx.user.id,
      { content: `You'll get reminders for **${picked.join(", ")}** events ${when}. Change them with /subscribe, stop them with /unsubscribe.` },
      `welcome|${guildId}|${ctx.user.id}|${s.now()}`,
    );
    const saved = `Saved: **${picked.join(", ")}**, ${when}.`;
    return update({ content: welcome.ok ? `${saved} I sent you a DM to confirm.` : `${saved}\n⚠️ ${DM_CLOSED}`, components: [] });
  },
};
