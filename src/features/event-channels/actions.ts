/** The REST side of event channels: look before acting, create with rollback, keep the divider, clean up. */
import {
  type APIChannel,
  type APIGuildScheduledEventUser,
  type APIMessage,
  type APIRole,
  PermissionFlagsBits,
  type RESTPostAPIGuildChannelJSONBody,
  Routes,
} from "discord-api-types/v10";
import { botStanding } from "../../discord/bot-permissions";
import { DiscordApiError } from "../../discord/errors";
import { missingPermissions } from "../../discord/permissions";
import { logger } from "../../log";
import type { Services } from "../../services";
import { archivedOverwrites, type ChannelNames, dividerOverwrites, eventOverwrites, TEXT, VOICE } from "./plan";
import type { Settings } from "./settings";
import { type EventRecord, getDivider, liveEvents, setDivider, updateEvent } from "./storage";

const REQUIRED = PermissionFlagsBits.ManageChannels | PermissionFlagsBits.ManageRoles;
const MAX_GUILD_CHANNELS = 500;
const MAX_CATEGORY_CHANNELS = 50;
const MAX_ROLES = 250;

/** Ignores 404s: what we meant to remove is already gone. */
async function gone<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof DiscordApiError && err.notFound) return null;
    throw err;
  }
}

/** Members marked "Interested", all pages of 100. */
export async function interestedUsers(s: Services, guildId: string, eventId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ limit: "100", ...(after ? { after } : {}) });
    const page = await s.discord.get<APIGuildScheduledEventUser[]>(Routes.guildScheduledEventUsers(guildId, eventId), { query });
    ids.push(...page.map((u) => u.user.id));
    if (page.length < 100) return ids;
    after = page.at(-1)?.user.id;
  }
}

export interface GuildView {
  roles: APIRole[];
  channels: APIChannel[];
  botTop: number;
  problems: string[];
}

/** What the guild looks like and what would stop us: permissions, role position, channel and role limits. */
export async function lookBeforeCreating(s: Services, guildId: string, settings: Settings, voiceCount: number, roleName: string): Promise<GuildView> {
  const botId = s.env.DISCORD_APPLICATION_ID;
  const [standing, channels] = await Promise.all([botStanding(s.discord, guildId, botId), s.discord.get<APIChannel[]>(Routes.guildChannels(guildId))]);
  const problems: string[] = [];
  const missing = missingPermissions(standing.permissions, REQUIRED);
  if (missing.length) problems.push(`I am missing the **${missing.join(", ")}** permission.`);
  const category = channels.find((c) => c.id === settings.category_id);
  if (!category) problems.push("The event category no longer exists; set it again with `/eventchannels category`.");
  const needed = 1 + voiceCount;
  const inCategory = channels.filter((c) => "parent_id" in c && c.parent_id === settings.category_id).length;
  if (category && inCategory + needed > MAX_CATEGORY_CHANNELS)
    problems.push(`The event category is full (${inCategory}/${MAX_CATEGORY_CHANNELS} channels; ${needed} more needed).`);
  if (channels.length + needed > MAX_GUILD_CHANNELS) problems.push(`The server has ${channels.length}/${MAX_GUILD_CHANNELS} channels; ${needed} more needed.`);
  const existing = standing.guild.roles.find((r) => r.name === roleName);
  if (!existing && standing.guild.roles.length >= MAX_ROLES) problems.push(`The server has the maximum of ${MAX_ROLES} roles.`);
  if (existing && existing.position >= standing.topRolePosition)
    problems.push(`The role **${existing.name}** is above my highest role; move my role above it.`);
  return { roles: standing.guild.roles, channels, botTop: standing.topRolePosition, problems };
}

export interface Created {
  roleId: string;
  roleCreated: boolean;
  textId: string;
  voiceIds: string[];
}

/**
 * Creates (or adopts) the role and creates the channels with their overwrites inline. Ids are saved as they
 * are made, so a retried alarm reuses them; on failure everything made by this attempt is removed again.
 */
export async function createChannels(
  s: Services,
  rec: EventRecord,
  settings: Settings,
  view: GuildView,
  names: ChannelNames,
  roleName: string,
  userLimit: number,
): Promise<Created> {
  const g = rec.guild_id;
  const botId = s.env.DISCORD_APPLICATION_ID;
  const made: { role?: string; channels: string[] } = { channels: [] };
  const exists = (id: string | null) => !!id && view.channels.some((c) => c.id === id);
  try {
    let roleId = rec.role_id && view.roles.some((r) => r.id === rec.role_id) ? rec.role_id : (view.roles.find((r) => r.name === roleName)?.id ?? null);
    let roleCreated = rec.role_created && roleId === rec.role_id;
    if (!roleId) {
      const role = await s.discord.post<APIRole>(Routes.guildRoles(g), {
        body: { name: roleName, permissions: "0", mentionable: true },
        reason: `Event: ${rec.name}`,
      });
      roleId = role.id;
      roleCreated = true;
      made.role = role.id;
    }
    await updateEvent(s.env.DB, g, rec.event_id, { role_id: roleId, role_created: roleCreated }, s.now());
    const overwrites = eventOverwrites(g, roleId, botId, settings.whitelisted_roles);
    const create = async (body: RESTPostAPIGuildChannelJSONBody) => {
      const ch = await s.discord.post<APIChannel>(Routes.guildChannels(g), { body, reason: `Event: ${rec.name}` });
      made.channels.push(ch.id);
      return ch.id;
    };
    const textId = exists(rec.text_id)
      ? (rec.text_id as string)
      : await create({ name: names.text, type: TEXT, parent_id: settings.category_id, permission_overwrites: overwrites });
    await updateEvent(s.env.DB, g, rec.event_id, { text_id: textId }, s.now());
    const voiceIds = rec.voice_ids.filter(exists);
    for (const name of names.voice.slice(voiceIds.length)) {
      voiceIds.push(
        await create({
          name,
          type: VOICE,
          parent_id: settings.category_id,
          permission_overwrites: overwrites,
          ...(userLimit ? { user_limit: userLimit } : {}),
        }),
      );
      await updateEvent(s.env.DB, g, rec.event_id, { voice_ids: voiceIds }, s.now());
    }
    return { roleId, roleCreated, textId, voiceIds };
  } catch (err) {
    for (const id of made.channels) await gone(s.discord.delete(Routes.channel(id))).catch(() => undefined);
    if (made.role) await gone(s.discord.delete(Routes.guildRole(g, made.role))).catch(() => undefined);
    const keep = (ids: string[]) => ids.filter((id) => !made.channels.includes(id));
    await updateEvent(
      s.env.DB,
      g,
      rec.event_id,
      {
        role_id: made.role ? null : rec.role_id,
        role_created: made.role ? false : rec.role_created,
        text_id: rec.text_id && !made.channels.includes(rec.text_id) ? rec.text_id : null,
        voice_ids: keep(rec.voice_ids),
      },
      s.now(),
    );
    logger.warn("event_channels.rolled_back", { guild_id: g, event_id: rec.event_id, channels: made.channels.length, role: !!made.role, error: err });
    throw err;
  }
}

/** Gives the event role to each member; a member who left since is skipped. */
export async function giveRole(s: Services, guildId: string, roleId: string, userIds: readonly string[]): Promise<number> {
  let given = 0;
  for (const id of userIds) {
    try {
      await s.discord.put(Routes.guildMemberRole(guildId, id, roleId), { reason: "Interested in the event" });
      given++;
    } catch (err) {
      if (!(err instanceof DiscordApiError && err.notFound)) throw err;
    }
  }
  return given;
}

/** Keeps the divider at the top of the category, visible to the roles of live events. */
export async function syncDivider(s: Services, guildId: string, settings: Settings, view: GuildView | null): Promise<void> {
  if (!settings.divider_enabled || !settings.category_id) return;
  const botId = s.env.DISCORD_APPLICATION_ID;
  const roles = (await liveEvents(s.env.DB, guildId)).flatMap((e) => (e.role_id ? [e.role_id] : []));
  const divider = await getDivider(s.env.DB, guildId);
  const overwrites = dividerOverwrites(guildId, botId, roles, settings.whitelisted_roles);
  if (roles.length === 0) {
    if (divider.channel_id) await gone(s.discord.delete(Routes.channel(divider.channel_id), { reason: "No event channels remain" }));
    await setDivider(s.env.DB, guildId, { channel_id: null, role_ids: [] });
    return;
  }
  const known = divider.channel_id && (!view || view.channels.some((c) => c.id === divider.channel_id));
  if (known && divider.channel_id) {
    if (JSON.stringify([...divider.role_ids].sort()) === JSON.stringify([...roles].sort())) return;
    const ok = await gone(s.discord.patch(Routes.channel(divider.channel_id), { body: { permission_overwrites: overwrites } }));
    if (ok) {
      await setDivider(s.env.DB, guildId, { channel_id: divider.channel_id, role_ids: roles });
      return;
    }
  }
  const ch = await s.discord.post<APIChannel>(Routes.guildChannels(guildId), {
    body: { name: settings.divider_name, type: TEXT, parent_id: settings.category_id, position: 0, permission_overwrites: overwrites },
    reason: "Event channels divider",
  });
  await setDivider(s.env.DB, guildId, { channel_id: ch.id, role_ids: roles });
}

/** Whether anyone but bots wrote in the channel (decides archive vs delete). */
async function hasMemberMessages(s: Services, channelId: string): Promise<boolean> {
  const msgs = await gone(s.discord.get<APIMessage[]>(Routes.channelMessages(channelId), { query: new URLSearchParams({ limit: "100" }) }));
  return !!msgs?.some((m) => !m.author.bot);
}

/** Removes an event's channels and role: voice and role deleted, the text channel archived if members wrote in it. */
export async function removeChannels(s: Services, rec: EventRecord, settings: Settings | null, textName: string): Promise<"archived" | "deleted"> {
  const g = rec.guild_id;
  for (const id of rec.voice_ids) await gone(s.discord.delete(Routes.channel(id), { reason: "Event over" }));
  let outcome: "archived" | "deleted" = "deleted";
  if (rec.text_id) {
    if (settings?.archive_category_id && (await hasMemberMessages(s, rec.text_id))) {
      const name = `archived-${textName}`.slice(0, 100);
      const archived = await gone(
        s.discord.patch(Routes.channel(rec.text_id), {
          body: { name, parent_id: settings.archive_category_id, permission_overwrites: archivedOverwrites(g, rec.role_id, s.env.DISCORD_APPLICATION_ID) },
          reason: "Event over: archived",
        }),
      );
      if (archived) outcome = "archived";
    } else await gone(s.discord.delete(Routes.channel(rec.text_id), { reason: "Event over" }));
  }
  if (rec.role_id) await gone(s.discord.delete(Routes.guildRole(g, rec.role_id), { reason: "Event over" }));
  return outcome;
}
