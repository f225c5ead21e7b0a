/**
 * Who can see a channel, for features that must not reveal what sits in one (an event in a private voice channel):
 * the guild's roles and the channel's overwrites, each read from Discord and kept briefly per isolate.
 */

import { type APIOverwrite, PermissionFlagsBits } from "discord-api-types/v10";
import { discordApi } from "./api";
import { DiscordApiError } from "./errors";
import { guildRoles } from "./guild-roles";
import { channelPermissions } from "./permissions";
import type { Discord } from "./rest";

const TTL_MS = 30_000;
const MAX_CACHED = 1000;
const cache = new Map<string, { at: number; overwrites: APIOverwrite[] | null }>();

/** A channel's overwrites, or null when it is gone or the bot cannot see it (then nobody is shown what is in it). */
async function overwritesOf(discord: Discord, channelId: string, now: number): Promise<APIOverwrite[] | null> {
  const hit = cache.get(channelId);
  if (hit && now - hit.at < TTL_MS) return hit.overwrites;
  let overwrites: APIOverwrite[] | null;
  try {
    const ch = await discordApi(discord).channels.get(channelId);
    overwrites = "permission_overwrites" in ch ? (ch.permission_overwrites ?? []) : [];
  } catch (err) {
    if (!(err instanceof DiscordApiError) || err.transient) throw err;
    overwrites = null;
  }
  cache.delete(channelId);
  cache.set(channelId, { at: now, overwrites });
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  return overwrites;
}

/** Whether a member (their role ids from the interaction) can view the channel. */
export async function memberCanView(
  discord: Discord,
  guildId: string,
  member: { userId: string; roleIds: readonly string[] },
  channelId: string,
  now: number,
): Promise<boolean> {
  const [guild, overwrites] = await Promise.all([guildRoles(discord, guildId, now), overwritesOf(discord, channelId, now)]);
  if (!overwrites) return false;
  return (channelPermissions(guild, member, overwrites) & PermissionFlagsBits.ViewChannel) === PermissionFlagsBits.ViewChannel;
}

/** Whether every member can view the channel (@everyone's permissions there); false for a private channel. */
export async function everyoneCanView(discord: Discord, guildId: string, channelId: string, now: number): Promise<boolean> {
  // @everyone's id is the guild's; a user id that matches no member overwrite and no role stands for "anyone".
  return memberCanView(discord, guildId, { userId: "0", roleIds: [] }, channelId, now);
}
