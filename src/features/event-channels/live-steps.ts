/** The steps after the channels exist, each its own idempotent agenda item: the three messages and a lost role (grants: grants.ts). */
import { roleMention, TimestampStyles, time } from "@discordjs/formatters";
import { type APIActionRowComponent, type APIButtonComponent, ButtonStyle, ComponentType, type RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import { LIMITS, truncate } from "../../discord/message-limits";
import { postOnce } from "../../discord/post-once";
import type { TimerAction } from "../../feature";
import type { Services } from "../../services";
import { remindMeButton } from "../reminders/subscribe-view";
import { recoverIntent, withMade } from "./actions";
import { queueDividerSync } from "./divider";
import { forgetHolders, ungrantAll } from "./holders";
import { isOccurrenceKey } from "./occurrences";
import { eventOverwrites, fill, roleName } from "./plan";
import type { Settings } from "./settings";
import { type EventRecord, NO_INTENT, updateEvent } from "./storage";
import { load, ref, timerOf } from "./timeline";
import { eventRefPayload } from "./timer-payloads";

export const extendButton = (eventId: string): APIActionRowComponent<APIButtonComponent> => ({
  type: ComponentType.ActionRow,
  components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, label: "Extend 4 h", emoji: { name: "⏰" }, custom_id: `ec:extend:${eventId}` }],
});

/** A message from a template, into the event's text channel, once per `step` (retries and restarts post nothing more). */
async function post(
  s: Services,
  rec: EventRecord,
  step: string,
  template: string,
  extra: Partial<RESTPostAPIChannelMessageJSONBody> = {},
): Promise<string | null> {
  if (!rec.text_id || !template) return null;
  // A template of 1800 characters with {event} several times can outgrow a message.
  const role = rec.role_created ? rec.role_id : null;
  const values = { role: role ? roleMention(role) : "", event: rec.name, time: time(new Date(rec.start_at), TimestampStyles.RelativeTime) };
  const content = truncate(fill(template, values), LIMITS.content);
  const posted = await postOnce(s, {
    key: `ec:${rec.guild_id}:${rec.event_id}:${rec.start_at}:${step}`,
    guildId: rec.guild_id,
    channelId: rec.text_id,
    body: { content, allowed_mentions: { roles: role ? [role] : [] }, ...extra },
  });
  return posted.messageId;
}

const announce: TimerAction<"ec.announce"> = {
  kind: "ec.announce",
  payload: eventRefPayload,
  lane: "critical",
  async run(item, { services: s }) {
    const loaded = await load(s, item.payload);
    if (loaded?.rec.state !== "live") return;
    await post(s, loaded.rec, "announce", loaded.settings.announcement_message, { components: [remindMeButton(loaded.rec.event_id)] });
  },
};

const start: TimerAction<"ec.start"> = {
  kind: "ec.start",
  payload: eventRefPayload,
  lane: "critical",
  async run(item, { services: s }) {
    const loaded = await load(s, item.payload);
    if (loaded?.rec.state === "live") await post(s, loaded.rec, "start", loaded.settings.event_start_message);
  },
};

const warn: TimerAction<"ec.warn"> = {
  kind: "ec.warn",
  payload: eventRefPayload,
  lane: "critical",
  async run(item, { services: s }) {
    const loaded = await load(s, item.payload);
    if (loaded?.rec.state !== "live" || !loaded.rec.delete_at) return;
    // One warning per deletion time: an extension moves it, and the new time gets its own warning.
    const id = await post(s, loaded.rec, `warn:${loaded.rec.delete_at}`, loaded.settings.deletion_warning_message, {
      components: [extendButton(loaded.rec.event_id)],
    });
    if (id) await updateEvent(s.env.DB, loaded.rec.guild_id, loaded.rec.event_id, { warning_message_id: id }, s.now());
  },
};

/** The event role was deleted by hand while channels are live: make a new one (intent first), then put it back everywhere. */
async function restore(s: Services, rec: EventRecord, settings: Settings): Promise<void> {
  const g = rec.guild_id;
  const name = roleName(settings, rec.name, rec.start_at);
  if (!rec.role_id) {
    // Nobody holds the new role yet: every Interested member is given it again from the first page (an ended
    // occurrence's holders, who are its members, are kept and given it again).
    if (isOccurrenceKey(rec.event_id)) await ungrantAll(s.env.DB, g, rec.event_id);
    else await forgetHolders(s.env.DB, g, rec.event_id);
    await updateEvent(s.env.DB, g, rec.event_id, { intent_kind: "role", intent_name: name, intent_at: Date.now(), intent_channels: null }, s.now());
    const role = await s.api.guilds.createRole(g, { name, permissions: "0", mentionable: true }, { reason: "Event role was deleted" });
    await updateEvent(s.env.DB, g, rec.event_id, { role_id: role.id, role_created: true, ...NO_INTENT, grant_cursor: null }, s.now());
    rec.role_id = role.id;
  }
  const overwrites = eventOverwrites(g, rec.role_id, s.env.DISCORD_APPLICATION_ID, settings.whitelisted_roles);
  // Every channel at once (each at its own REST slot): members are shut out until the last one is back.
  await Promise.all(
    [rec.text_id, ...rec.voice_ids].filter((x): x is string => !!x).map((id) => s.api.channels.edit(id, { permission_overwrites: overwrites })),
  );
  // The role in the payload: grants of a new role are new work, even at the same clock reading.
  await timerOf(s, rec).schedule("grant", s.now(), "ec.grant", { ...ref(rec), role_id: rec.role_id });
  await queueDividerSync(s, g);
}

const restoreRole: TimerAction<"ec.restore_role"> = {
  kind: "ec.restore_role",
  payload: eventRefPayload,
  // Live channels without their role shut every member out: as urgent as making them.
  lane: "critical",
  async run(item, { services: s }) {
    const loaded = await load(s, item.payload);
    if (loaded?.rec.state !== "live") return;
    const { rec, settings } = loaded;
    if (rec.intent_kind === "role") {
      // The last attempt may have made the role before it could record it.
      const patch = { ...withMade(rec, await recoverIntent(s, rec, null)), ...NO_INTENT };
      await updateEvent(s.env.DB, rec.guild_id, rec.event_id, patch, s.now());
      Object.assign(rec, patch);
    }
    await restore(s, rec, settings);
  },
};

export const liveKinds: TimerAction[] = [announce, start, warn, restoreRole];
