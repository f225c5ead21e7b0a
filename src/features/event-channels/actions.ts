/** The REST side of event channels: look before acting, create only what is missing (intent first), remove only what is ours. */
import { type APIChannel, type APIRole, PermissionFlagsBits, type RESTPostAPIGuildChannelJSONBody } from "discord-api-types/v10";
import { type BotStanding, botStanding } from "../../discord/bot-permissions";
import { DiscordApiError } from "../../discord/errors";
import { missingPermissions } from "../../discord/permissions";
import { BudgetDeferred } from "../../discord/rate-gate";
import { logger } from "../../log";
import type { Services } from "../../services";
import { findIntended } from "./ownership";
import { type ChannelNames, eventOverwrites, TEXT, VOICE } from "./plan";
import type { Settings } from "./settings";
import { type ChannelIntent, type EventRecord, getDivider, getEvent, NO_INTENT, ownedChannelIds, updateEvent } from "./storage";

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

/** What the guild looks like, read in one round (the bot's standing and every channel). */
export interface GuildReading {
  standing: BotStanding;
  channels: APIChannel[];
}

export async function readGuild(s: Services, guildId: string): Promise<GuildReading> {
  const [standing, channels] = await Promise.all([botStanding(s.discord, guildId, s.env.DISCORD_APPLICATION_ID), s.api.guilds.channels(guildId)]);
  return { standing, channels };
}

/** What would stop us: permissions, channel and role limits (counting every channel made). */
export function problemsBeforeCreating(rec: EventRecord, settings: Settings, needed: number, { standing, channels }: GuildReading): GuildView {
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

/** An object of the event's: its role, its text channel or one of its voice channels. */
export interface Made {
  kind: "role" | "text" | "voice";
  id: string;
}

/** What the recorded intent (one object, or several channels asked for at once) made, from a fresh listing when `view` has none. */
export async function recoverIntent(s: Services, rec: EventRecord, view: Pick<GuildView, "roles" | "channels"> | null): Promise<Made[]> {
  if (!rec.intent_kind || rec.intent_at === null) return [];
  const g = rec.guild_id;
  const at = rec.intent_at;
  const known = await ownedIds(s, g);
  if (rec.intent_kind === "role") {
    if (!rec.intent_name) return [];
    const roles = view?.roles ?? (await s.api.guilds.roles(g));
    const found = findIntended(
      roles.filter((r) => !r.managed && r.permissions === "0"),
      { name: rec.intent_name, at },
      known,
    );
    return found ? [{ kind: "role", id: found.id }] : [];
  }
  const wanted: ChannelIntent[] =
    rec.intent_kind === "channels" ? (rec.intent_channels ?? []) : rec.intent_name ? [{ kind: rec.intent_kind, name: rec.intent_name }] : [];
  if (!wanted.length) return [];
  const channels = view?.channels ?? (await s.api.guilds.channels(g));
  const made: Made[] = [];
  for (const w of wanted) {
    const type = w.kind === "text" ? TEXT : VOICE;
    const found = findIntended(
      channels.filter((c) => c.type === type).map((c) => ({ id: c.id, name: c.name ?? "" })),
      { name: w.name, at },
      known,
    );
    // Each channel asked for is matched once: two voice channels of the same name are two objects.
    if (found) known.add(found.id);
    if (found) made.push({ kind: w.kind, id: found.id });
  }
  return made;
}

/** The record once `made` is recorded as the event's. */
export function withMade(rec: Pick<EventRecord, "role_id" | "text_id" | "voice_ids">, made: readonly Made[]): Partial<EventRecord> {
  const patch: Partial<EventRecord> = {};
  // A recorded role or text channel is never replaced: the one already recorded would be orphaned.
  for (const m of made) {
    if (m.kind === "role" && !rec.role_id) Object.assign(patch, { role_id: m.id, role_created: true });
    else if (m.kind === "text" && !rec.text_id) patch.text_id = m.id;
  }
  const voices = made.filter((m) => m.kind === "voice").map((m) => m.id);
  if (voices.length) patch.voice_ids = [...rec.voice_ids, ...voices.filter((v) => !rec.voice_ids.includes(v))];
  return patch;
}

/** The record once `made` is no longer the event's (undone after a lost race). */
function withoutMade(rec: Pick<EventRecord, "role_id" | "text_id" | "voice_ids">, made: readonly Made[]): Partial<EventRecord> {
  const ids = new Set(made.map((m) => m.id));
  const patch: Partial<EventRecord> = {};
  if (rec.role_id && ids.has(rec.role_id)) Object.assign(patch, { role_id: null, role_created: false });
  if (rec.text_id && ids.has(rec.text_id)) patch.text_id = null;
  if (rec.voice_ids.some((v) => ids.has(v))) patch.voice_ids = rec.voice_ids.filter((v) => !ids.has(v));
  return patch;
}

async function setIntent(s: Services, rec: EventRecord, intent: Pick<EventRecord, "intent_kind" | "intent_name" | "intent_channels">): Promise<void> {
  const patch = { ...intent, intent_at: Date.now() };
  await updateEvent(s.env.DB, rec.guild_id, rec.event_id, patch, s.now());
  Object.assign(rec, patch);
}

/**
 * Records made objects, with what is left of the intent (`rest`: nothing, or the channels whose calls failed and
 * may still exist). False when the event stopped being created meanwhile (a cancel won the race): the loser undoes
 * what it just made, and what a failed call may have made, since the cleanup may already have run without seeing it.
 */
async function recordMade(s: Services, rec: EventRecord, made: readonly Made[], rest: Partial<EventRecord> = NO_INTENT): Promise<boolean> {
  const full = { ...withMade(rec, made), ...rest };
  await updateEvent(s.env.DB, rec.guild_id, rec.event_id, full, s.now());
  Object.assign(rec, full);
  if ((await getEvent(s.env.DB, rec.guild_id, rec.event_id))?.state === "creating") return true;
  // What a failed call may have made is looked for too; if the listing fails, its intent stays for the cleanup.
  let maybe: Made[] | null = [];
  if (rest.intent_kind) maybe = await recoverIntent(s, rec, null).catch(() => null);
  const lost = [...made, ...(maybe ?? [])];
  const undone = { reason: "Event cancelled while its channels were being made" };
  const results = await Promise.allSettled(
    lost.map((m) => gone<unknown>(m.kind === "role" ? s.api.guilds.deleteRole(rec.guild_id, m.id, undone) : s.api.channels.delete(m.id, undone))),
  );
  const undo = { ...withoutMade(rec, made), ...(maybe ? NO_INTENT : {}) };
  await updateEvent(s.env.DB, rec.guild_id, rec.event_id, undo, s.now());
  Object.assign(rec, undo);
  const left = lost.filter((_, i) => results[i]?.status === "rejected");
  // The cleanup has run (or runs) without these: nothing will retry them, so an admin must hear of it.
  if (left.length) logger.error("event_channels.undo_failed", { guild_id: rec.guild_id, event_id: rec.event_id, left });
  logger.info("event_channels.creation_lost_race", { guild_id: rec.guild_id, event_id: rec.event_id, made: lost });
  return false;
}

/** Whether a failed create may still have made its object (its answer lost), so that its intent must stay. */
function mayHaveMade(error: unknown): boolean {
  if (error instanceof BudgetDeferred) return false;
  return !(error instanceof DiscordApiError) || (error.transient && error.status !== 429);
}

/**
 * The channels still to make: the text channel if none is recorded, and the voice channels the plan has beyond
 * those recorded, by name (a retry after one of several calls failed makes the one that failed, not its neighbour).
 */
export function missingChannels(
  rec: Pick<EventRecord, "text_id" | "voice_ids">,
  names: ChannelNames,
  channels: readonly Pick<APIChannel, "id" | "name">[],
): ChannelIntent[] {
  const out: ChannelIntent[] = rec.text_id ? [] : [{ kind: "text", name: names.text }];
  const recorded = rec.voice_ids.map((id) => channels.find((c) => c.id === id)?.name ?? null);
  const left = [...names.voice];
  for (const name of recorded) {
    const i = name === null ? -1 : left.indexOf(name);
    // A recorded channel renamed by hand still counts as one of the plan's.
    left.splice(i >= 0 ? i : left.length - 1, 1);
  }
  for (const name of left) out.push({ kind: "voice", name });
  return out;
}

/** A transient failure first: a definite refusal is only reported once nothing asked for may exist after all. */
function firstFailure(results: readonly PromiseSettledResult<unknown>[]): unknown {
  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  return failures.find((e) => !(e instanceof DiscordApiError) || e.transient) ?? failures[0];
}

/**
 * Creates whatever of the role, text and voice channels is still missing: the role first (the channels' overwrites
 * name it), then every channel at once, each call at its own REST slot. Intent recorded, then the calls, then the
 * ids. A retry resumes where the last attempt stopped and adopts what it made but did not record.
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
  if (rec.intent_kind && !(await recordMade(s, rec, await recoverIntent(s, rec, view)))) return false;
  if (!rec.role_id) {
    await setIntent(s, rec, { intent_kind: "role", intent_name: roleName, intent_channels: null });
    const role = await s.api.guilds.createRole(g, { name: roleName, permissions: "0", mentionable: true }, { reason });
    if (!(await recordMade(s, rec, [{ kind: "role", id: role.id }]))) return false;
  }
  const overwrites = eventOverwrites(g, rec.role_id as string, s.env.DISCORD_APPLICATION_ID, settings.whitelisted_roles);
  const wanted = missingChannels(rec, names, view.channels);
  if (!wanted.length) return true;
  await setIntent(s, rec, { intent_kind: "channels", intent_name: null, intent_channels: wanted });
  const body = (w: ChannelIntent): RESTPostAPIGuildChannelJSONBody =>
    w.kind === "text"
      ? { name: w.name, type: TEXT, parent_id: settings.category_id, permission_overwrites: overwrites }
      : { name: w.name, type: VOICE, parent_id: settings.category_id, permission_overwrites: overwrites, ...(userLimit ? { user_limit: userLimit } : {}) };
  const results = await Promise.allSettled(wanted.map((w) => s.api.guilds.createChannel(g, body(w), { reason })));
  const made = results.flatMap((r, i) => (r.status === "fulfilled" ? [{ kind: (wanted[i] as ChannelIntent).kind, id: r.value.id }] : []));
  const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  // A call whose answer was lost may still have made its channel: its intent stays for the retry (or the cleanup).
  const doubtful = wanted.filter((_, i) => {
    const r = results[i];
    return r?.status === "rejected" && mayHaveMade(r.reason);
  });
  const rest = doubtful.length ? { intent_kind: "channels" as const, intent_name: null, intent_at: rec.intent_at, intent_channels: doubtful } : NO_INTENT;
  if (!(await recordMade(s, rec, made, rest))) return false;
  if (failed.length) throw firstFailure(results);
  return true;
}

/**
 * Gives the event role to one member (false: the member left since). One at a time on purpose: many go side by side
 * through the grants' lanes (grants.ts), never one after another here.
 */
export async function giveRole(s: Services, guildId: string, roleId: string, userId: string): Promise<boolean> {
  try {
    await s.api.guilds.addMemberRole(guildId, userId, roleId, { reason: "Interested in the event" });
    return true;
  } catch (err) {
    if (!(err instanceof DiscordApiError && err.notFound)) throw err;
    return false;
  }
}
