/** The REST side of event channels: look before acting, create only what is missing (intent first), remove only what is ours. */
import { type APIChannel, type APIRole, PermissionFlagsBits, type RESTPostAPIGuildChannelJSONBody } from "discord-api-types/v10";
import { botStanding } from "../../discord/bot-permissions";
import { DiscordApiError } from "../../discord/errors";
import { missingPermissions } from "../../discord/permissions";
import { logger } from "../../log";
import type { Services } from "../../services";
import { findIntended } from "./ownership";
import { type ChannelNames, eventOverwrites, TEXT, VOICE } from "./plan";
import type { Settings } from "./settings";
import { type EventRecord, getDivider, getEvent, type IntentKind, ownedChannelIds, updateEvent } from "./storage";

const REQUIRED = PermissionFlagsBits.ManageChannels | PermissionFlagsBits.ManageRoles;
const MAX_GUILD_CHANNELS = 500;
const MAX_CATEGORY_CHANNELS = 50;
const MAX_ROLES = 250;

/** Ignores 404s: what we meant to remove is already gone. */
export async function gone<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof DiscordApiError && err.notFound) return null;
    throw err;
  }
}

/** One page (≤ 100) of members marked "Interested", in user-id order, after `after`. */
export async function interestedPage(s: Services, guildId: string, eventId: string, after: string | null): Promise<string[]> {
  const page = await s.api.scheduledEvents.users(guildId, eventId, after, 100);
  return page.map((u) => u.user.id);
}

/** Members marked "Interested", all pages of 100. */
export async function interestedUsers(s: Services, guildId: string, eventId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await interestedPage(s, guildId, eventId, after);
    ids.push(...page);
    if (page.length < 100) return ids;
    after = page.at(-1) ?? null;
  }
}

export interface GuildView {
  roles: APIRole[];
  channels: APIChannel[];
  problems: string[];
}

/** How many new channels creation still needs: the missing text and voice channels, and the divider if it needs one. */
export async function channelsNeeded(s: Services, rec: EventRecord, settings: Settings, voiceCount: number): Promise<number> {
  const divider = settings.divider_enabled ? await getDivider(s.env.DB, rec.guild_id) : null;
  return (rec.text_id ? 0 : 1) + Math.max(0, voiceCount - rec.voice_ids.length) + (divider && !divider.channel_id ? 1 : 0);
}

/** What the guild looks like and what would stop us: permissions, channel and role limits (counting every channel made). */
export async function lookBeforeCreating(s: Services, rec: EventRecord, settings: Settings, needed: number): Promise<GuildView> {
  const g = rec.guild_id;
  const [standing, channels] = await Promise.all([botStanding(s.discord, g, s.env.DISCORD_APPLICATION_ID), s.api.guilds.channels(g)]);
  const problems: string[] = [];
  const missing = missingPermissions(standing.permissions, REQUIRED);
  if (missing.length) problems.push(`I am missing the **${missing.join(", ")}** permission.`);
  const category = channels.find((c) => c.id === settings.category_id);
  if (!category) problems.push("The event category no longer exists; set it again with `/eventchannels category`.");
  const inCategory = channels.filter((c) => "parent_id" in c && c.parent_id === settings.category_id).length;
  if (category && inCategory + needed > MAX_CATEGORY_CHANNELS)
    problems.push(`The event category is full (${inCategory}/${MAX_CATEGORY_CHANNELS} channels; ${needed} more needed).`);
  if (channels.length + needed > MAX_GUILD_CHANNELS) problems.push(`The server has ${channels.length}/${MAX_GUILD_CHANNELS} channels; ${needed} more needed.`);
  if (!rec.role_id && standing.guild.roles.length >= MAX_ROLES) problems.push(`The server has the maximum of ${MAX_ROLES} roles.`);
  return { roles: standing.guild.roles, channels, problems };
}

/** Ids the guild's event records and its divider own, so an intent is never matched to another's object. */
async function ownedIds(s: Services, guildId: string): Promise<Set<string>> {
  const ids = await ownedChannelIds(s.env.DB, guildId);
  const divider = await getDivider(s.env.DB, guildId);
  if (divider.channel_id) ids.add(divider.channel_id);
  return ids;
}

/** The object an unrecorded intent made, from a fresh listing when `view` has none. */
export async function recoverIntent(s: Services, rec: EventRecord, view: Pick<GuildView, "roles" | "channels"> | null): Promise<string | null> {
  if (!rec.intent_kind || !rec.intent_name || rec.intent_at === null) return null;
  const g = rec.guild_id;
  const intent = { name: rec.intent_name, at: rec.intent_at };
  const known = await ownedIds(s, g);
  if (rec.intent_kind === "role") {
    const roles = view?.roles ?? (await s.api.guilds.roles(g));
    return (
      findIntended(
        roles.filter((r) => !r.managed && r.permissions === "0"),
        intent,
        known,
      )?.id ?? null
    );
  }
  const type = rec.intent_kind === "text" ? TEXT : VOICE;
  const channels = view?.channels ?? (await s.api.guilds.channels(g));
  return (
    findIntended(
      channels.filter((c) => c.type === type).map((c) => ({ id: c.id, name: c.name ?? "" })),
      intent,
      known,
    )?.id ?? null
  );
}

async function setIntent(s: Services, rec: EventRecord, kind: IntentKind | null, name: string | null): Promise<void> {
  const patch = { intent_kind: kind, intent_name: name, intent_at: kind ? Date.now() : null };
  await updateEvent(s.env.DB, rec.guild_id, rec.event_id, patch, s.now());
  Object.assign(rec, patch);
}

/**
 * Records a made object. False when the event stopped being created meanwhile (a cancel won the race): the loser
 * undoes what it just made, since the cleanup may already have run without seeing it.
 */
async function recordMade(s: Services, rec: EventRecord, made: { kind: IntentKind; id: string }): Promise<boolean> {
  const patch: Partial<EventRecord> =
    made.kind === "role" ? { role_id: made.id, role_created: true } : made.kind === "text" ? { text_id: made.id } : { voice_ids: [...rec.voice_ids, made.id] };
  const full = { ...patch, intent_kind: null, intent_name: null, intent_at: null };
  await updateEvent(s.env.DB, rec.guild_id, rec.event_id, full, s.now());
  Object.assign(rec, full);
  if ((await getEvent(s.env.DB, rec.guild_id, rec.event_id))?.state === "creating") return true;
  const undone = { reason: "Event cancelled while its channels were being made" };
  await gone<unknown>(made.kind === "role" ? s.api.guilds.deleteRole(rec.guild_id, made.id, undone) : s.api.channels.delete(made.id, undone));
  const undo: Partial<EventRecord> =
    made.kind === "role"
      ? { role_id: null, role_created: false }
      : made.kind === "text"
        ? { text_id: null }
        : { voice_ids: rec.voice_ids.filter((v) => v !== made.id) };
  await updateEvent(s.env.DB, rec.guild_id, rec.event_id, undo, s.now());
  logger.info("event_channels.creation_lost_race", { guild_id: rec.guild_id, event_id: rec.event_id, kind: made.kind, id: made.id });
  return false;
}

/**
 * Creates whatever of the role, text and voice channels is still missing, one at a time: intent recorded, then the
 * call, then the id. A retry resumes where the last attempt stopped and adopts an object it made but did not record.
 * Returns false when a cancel won the race: the caller stops, and the cleanup removes what exists.
 */
export async function createMissing(
  s: Services,
  rec: EventRecord,
  settings: Settings,
  view: GuildView,
  names: ChannelNames,
  roleName: string,
  userLimit: number,
): Promise<boolean> {
  const g = rec.guild_id;
  const reason = `Event: ${rec.name}`.slice(0, 500);
  const recovered = await recoverIntent(s, rec, view);
  if (rec.intent_kind && recovered && !(await recordMade(s, rec, { kind: rec.intent_kind, id: recovered }))) return false;
  if (!rec.role_id) {
    await setIntent(s, rec, "role", roleName);
    const role = await s.api.guilds.createRole(g, { name: roleName, permissions: "0", mentionable: true }, { reason });
    if (!(await recordMade(s, rec, { kind: "role", id: role.id }))) return false;
  }
  const roleId = rec.role_id as string;
  const overwrites = eventOverwrites(g, roleId, s.env.DISCORD_APPLICATION_ID, settings.whitelisted_roles);
  const make = async (kind: "text" | "voice", body: RESTPostAPIGuildChannelJSONBody) => {
    await setIntent(s, rec, kind, body.name);
    return (await s.api.guilds.createChannel(g, body, { reason })).id;
  };
  if (!rec.text_id) {
    const id = await make("text", { name: names.text, type: TEXT, parent_id: settings.category_id, permission_overwrites: overwrites });
    if (!(await recordMade(s, rec, { kind: "text", id }))) return false;
  }
  for (const name of names.voice.slice(rec.voice_ids.length)) {
    const body: RESTPostAPIGuildChannelJSONBody = {
      name,
      type: VOICE,
      parent_id: settings.category_id,
      permission_overwrites: overwrites,
      ...(userLimit ? { user_limit: userLimit } : {}),
    };
    const id = await make("voice", body);
    if (!(await recordMade(s, rec, { kind: "voice", id }))) return false;
  }
  if (rec.intent_kind) await setIntent(s, rec, null, null);
  return true;
}

/** Gives the event role to each member; a member who left since is skipped. */
export async function giveRole(s: Services, guildId: string, roleId: string, userIds: readonly string[]): Promise<number> {
  let given = 0;
  for (const id of userIds) {
    try {
      await s.api.guilds.addMemberRole(guildId, id, roleId, { reason: "Interested in the event" });
      given++;
    } catch (err) {
      if (!(err instanceof DiscordApiError && err.notFound)) throw err;
    }
  }
  return given;
}
