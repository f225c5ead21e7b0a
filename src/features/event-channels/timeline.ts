/** The per-event timeline on its EventTimer: create → start message → deletion warning → cleanup, plus follow-ups. */
import { type APIActionRowComponent, type APIButtonComponent, ButtonStyle, ComponentType, Routes } from "discord-api-types/v10";
import { LIMITS, truncate } from "../../discord/message-limits";
import type { TimerAction } from "../../feature";
import { readGuildSettings } from "../../guild-settings";
import { cappedList } from "../../interactions/list-view";
import { logger } from "../../log";
import type { Services } from "../../services";
import type { TimerOutcome } from "../../timers/kinds";
import { remindMeButton } from "../reminders/subscribe-view";
import { createChannels, giveRole, interestedUsers, lookBeforeCreating, removeChannels, syncDivider } from "./actions";
import { channelNames, creationTime, deletionTime, eventOverwrites, fill, nextRetry, roleName, voicePlan, WARNING_BEFORE_DELETE_MS } from "./plan";
import { configuredBy, readSettings, type Settings } from "./settings";
import { type EventRecord, getEvent, updateEvent } from "./storage";

export interface EventRef {
  guild_id: string;
  event_id: string;
}

export const timerName = (guildId: string, eventId: string) => `ec:${guildId}:${eventId}`;
export const timerOf = (s: Services, r: EventRef) => s.timer(timerName(r.guild_id, r.event_id));
const ref = (r: EventRef): EventRef => ({ guild_id: r.guild_id, event_id: r.event_id });

/** (Re)plans the creation step; a no-op when nothing changed (same key, time and payload). */
export async function planCreation(s: Services, rec: EventRecord, settings: Settings): Promise<void> {
  if (rec.state !== "scheduled" && rec.state !== "retrying") return;
  await timerOf(s, rec).schedule("create", creationTime(settings, rec.start_at, s.now()), "ec.create", ref(rec));
}

/** After creation or a time change: the start message, the warning and the deletion. */
export async function planLiveSteps(s: Services, rec: EventRecord, settings: Settings, deleteAt: number): Promise<void> {
  const t = timerOf(s, rec);
  if (rec.start_at > s.now() && settings.event_start_message) await t.schedule("start", rec.start_at, "ec.start", ref(rec));
  if (settings.deletion_warning_message) await t.schedule("warn", Math.max(s.now(), deleteAt - WARNING_BEFORE_DELETE_MS), "ec.warn", ref(rec));
  await t.schedule("delete", deleteAt, "ec.delete", ref(rec));
}

/** Tells the admins once, in the audit channel (or a DM to whoever configured the feature), instead of retrying. */
async function reportProblem(s: Services, rec: EventRecord, problems: string[]): Promise<void> {
  const text = cappedList(
    `⚠️ I could not create the channels for **${rec.name}**:`,
    problems.map((p) => `• ${p}`),
  );
  await s.bus.emit("permission.missing", { event_id: rec.event_id, problems }, { guildId: rec.guild_id });
  const audit = (await readGuildSettings(s.env.DB, rec.guild_id)).audit_channel_id;
  try {
    if (audit) {
      await s.discord.post(Routes.channelMessages(audit), { body: { content: text, allowed_mentions: { parse: [] } } });
      return;
    }
    const admin = await configuredBy(s.env.DB, rec.guild_id);
    if (!admin) return;
    const dm = await s.discord.post<{ id: string }>(Routes.userChannels(), { body: { recipient_id: admin } });
    await s.discord.post(Routes.channelMessages(dm.id), { body: { content: text, allowed_mentions: { parse: [] } } });
  } catch (error) {
    logger.warn("event_channels.report_failed", { guild_id: rec.guild_id, event_id: rec.event_id, error });
  }
}

async function load(s: Services, r: EventRef): Promise<{ rec: EventRecord; settings: Settings } | null> {
  const [rec, settings] = await Promise.all([getEvent(s.env.DB, r.guild_id, r.event_id), readSettings(s.env.DB, r.guild_id)]);
  return rec && settings ? { rec, settings } : null;
}

const create: TimerAction = {
  kind: "ec.create",
  async run(item, { services: s }): Promise<TimerOutcome> {
    const loaded = await load(s, item.payload as EventRef);
    if (!loaded) return;
    const { rec, settings } = loaded;
    if (rec.state !== "scheduled" && rec.state !== "retrying") return; // already live, or over
    if (!settings.category_id) {
      logger.info("event_channels.not_configured", { guild_id: rec.guild_id, event_id: rec.event_id });
      return;
    }
    const users = await interestedUsers(s, rec.guild_id, rec.event_id);
    const plan = voicePlan(settings, rec.name, users.length);
    if (plan.minimum !== null && users.length < plan.minimum) {
      const retryAt = nextRetry(settings, rec.start_at, s.now());
      const counts = { event_id: rec.event_id, name: rec.name, interested: users.length, minimum: plan.minimum, keyword: plan.keyword };
      if (retryAt !== null) {
        await updateEvent(s.env.DB, rec.guild_id, rec.event_id, { state: "retrying" }, s.now());
        await s.bus.emit("event_channels.retry_scheduled", { ...counts, retry_at: retryAt }, { guildId: rec.guild_id });
        return { again: { dueAt: retryAt } };
      }
      await updateEvent(s.env.DB, rec.guild_id, rec.event_id, { state: "skipped" }, s.now());
      await s.bus.emit("event_channels.skipped", counts, { guildId: rec.guild_id });
      return;
    }
    const role = roleName(settings, rec.name, rec.start_at);
    const view = await lookBeforeCreating(s, rec.guild_id, settings, plan.count, role);
    if (view.problems.length) {
      await updateEvent(s.env.DB, rec.guild_id, rec.event_id, { state: "skipped" }, s.now());
      await reportProblem(s, rec, view.problems);
      return;
    }
    const names = channelNames(settings, rec.name, plan.count);
    const made = await createChannels(s, rec, settings, view, names, role, plan.userLimit);
    const deleteAt = deletionTime(settings, rec.start_at, rec.end_at);
    await updateEvent(s.env.DB, rec.guild_id, rec.event_id, { state: "live", delete_at: deleteAt }, s.now());
    await giveRole(s, rec.guild_id, made.roleId, users);
    await syncDivider(s, rec.guild_id, settings, view);
    if (settings.announcement_message) {
      const content = truncate(
        fill(settings.announcement_message, { role: `<@&${made.roleId}>`, event: rec.name, time: `<t:${Math.floor(rec.start_at / 1000)}:R>` }),
        LIMITS.content,
      );
      await s.discord.post(Routes.channelMessages(made.textId), {
        body: { content, allowed_mentions: { roles: [made.roleId] }, components: [remindMeButton(rec.event_id)] },
      });
    }
    await planLiveSteps(s, { ...rec, state: "live" }, settings, deleteAt);
    await s.bus.emit(
      "event_channels.created",
      { event_id: rec.event_id, name: rec.name, role_id: made.roleId, text_id: made.textId, voice_ids: made.voiceIds, interested: users.length },
      { guildId: rec.guild_id },
    );
  },
};

async function post(s: Services, rec: EventRecord, template: string, extra: Record<string, unknown> = {}): Promise<string | null> {
  if (!rec.text_id || !template) return null;
  // A template of 1800 characters with {event} several times can outgrow a message.
  const content = truncate(
    fill(template, { role: rec.role_id ? `<@&${rec.role_id}>` : "", event: rec.name, time: `<t:${Math.floor(rec.start_at / 1000)}:R>` }),
    LIMITS.content,
  );
  const msg = await s.discord.post<{ id: string }>(Routes.channelMessages(rec.text_id), {
    body: { content, allowed_mentions: { roles: rec.role_id ? [rec.role_id] : [] }, ...extra },
  });
  return msg.id;
}

const start: TimerAction = {
  kind: "ec.start",
  async run(item, { services: s }) {
    const loaded = await load(s, item.payload as EventRef);
    if (loaded?.rec.state === "live") await post(s, loaded.rec, loaded.settings.event_start_message);
  },
};

export const extendButton = (eventId: string): APIActionRowComponent<APIButtonComponent> => ({
  type: ComponentType.ActionRow,
  components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, label: "Extend 4 h", emoji: { name: "⏰" }, custom_id: `ec:extend:${eventId}` }],
});

const warn: TimerAction = {
  kind: "ec.warn",
  async run(item, { services: s }) {
    const loaded = await load(s, item.payload as EventRef);
    if (loaded?.rec.state !== "live") return;
    const id = await post(s, loaded.rec, loaded.settings.deletion_warning_message, { components: [extendButton(loaded.rec.event_id)] });
    if (id) await updateEvent(s.env.DB, loaded.rec.guild_id, loaded.rec.event_id, { warning_message_id: id }, s.now());
  },
};

/** Cleanup: at the deletion time, on cancellation, or when every channel was deleted by hand. */
export async function cleanUp(s: Services, r: EventRef, reason: string): Promise<void> {
  const rec = await getEvent(s.env.DB, r.guild_id, r.event_id);
  if (!rec) return;
  const settings = await readSettings(s.env.DB, r.guild_id);
  if (rec.state !== "live" && rec.state !== "ending") {
    await timerOf(s, rec).cancel("*");
    await updateEvent(s.env.DB, rec.guild_id, rec.event_id, { state: reason === "ended" ? "done" : "cancelled" }, s.now());
    return;
  }
  // "ending" first: the CHANNEL_DELETE / GUILD_ROLE_DELETE our own deletions cause must not look like manual ones.
  await updateEvent(s.env.DB, rec.guild_id, rec.event_id, { state: "ending" }, s.now());
  await timerOf(s, rec).cancel("start");
  await timerOf(s, rec).cancel("warn");
  await timerOf(s, rec).cancel("member:*");
  const textName = settings ? channelNames(settings, rec.name, 1).text : rec.name;
  const outcome = await removeChannels(s, rec, settings, textName);
  await updateEvent(
    s.env.DB,
    rec.guild_id,
    rec.event_id,
    { state: reason === "ended" ? "done" : "cancelled", voice_ids: [], text_id: outcome === "archived" ? rec.text_id : null, role_id: null },
    s.now(),
  );
  if (settings) await syncDivider(s, rec.guild_id, settings, null);
  await s.bus.emit(`event_channels.${outcome}`, { event_id: rec.event_id, name: rec.name, reason, text_id: rec.text_id }, { guildId: rec.guild_id });
}

const remove: TimerAction = {
  kind: "ec.delete",
  async run(item, { services: s }) {
    await cleanUp(s, item.payload as EventRef, "ended");
  },
};

const cleanup: TimerAction = {
  kind: "ec.cleanup",
  async run(item, { services: s }) {
    const p = item.payload as EventRef & { reason: string };
    await cleanUp(s, p, p.reason);
  },
};

/** A member marked or unmarked "Interested" after the channels exist. */
const member: TimerAction = {
  kind: "ec.member",
  async run(item, { services: s }) {
    const p = item.payload as EventRef & { user_id: string; add: boolean };
    const rec = await getEvent(s.env.DB, p.guild_id, p.event_id);
    if (rec?.state !== "live" || !rec.role_id) return;
    if (p.add) await giveRole(s, rec.guild_id, rec.role_id, [p.user_id]);
    else
      await s.discord.delete(Routes.guildMemberRole(rec.guild_id, p.user_id, rec.role_id), { reason: "No longer interested" }).catch((error) => {
        logger.info("event_channels.role_remove_skipped", { guild_id: rec.guild_id, user_id: p.user_id, error });
      });
  },
};

/** The event role was deleted by hand while channels are live: make it again and put it back everywhere. */
const restoreRole: TimerAction = {
  kind: "ec.restore_role",
  async run(item, { services: s }) {
    const loaded = await load(s, item.payload as EventRef);
    if (loaded?.rec.state !== "live") return;
    const { rec, settings } = loaded;
    const name = roleName(settings, rec.name, rec.start_at);
    const role = await s.discord.post<{ id: string }>(Routes.guildRoles(rec.guild_id), {
      body: { name, permissions: "0", mentionable: true },
      reason: "Event role was deleted",
    });
    await updateEvent(s.env.DB, rec.guild_id, rec.event_id, { role_id: role.id, role_created: true }, s.now());
    const overwrites = eventOverwrites(rec.guild_id, role.id, s.env.DISCORD_APPLICATION_ID, settings.whitelisted_roles);
    for (const id of [rec.text_id, ...rec.voice_ids].filter((x): x is string => !!x)) {
      await s.discord.patch(Routes.channel(id), { body: { permission_overwrites: overwrites } });
    }
    await giveRole(s, rec.guild_id, role.id, await interestedUsers(s, rec.guild_id, rec.event_id));
    await syncDivider(s, rec.guild_id, settings, null);
  },
};

export const timerKinds: TimerAction[] = [create, start, warn, remove, cleanup, member, restoreRole];
