/**
 * The Discord routes the bot uses, one typed method each (body and result types from discord-api-types), over
 * the same `Discord` client: budget gating, message clamping, typed errors and create-without-retry still apply.
 */
import {
  type APIApplicationCommand,
  type APIChannel,
  type APIGuild,
  type APIGuildMember,
  type APIGuildScheduledEvent,
  type APIGuildScheduledEventUser,
  type APIMessage,
  type APIRole,
  type RESTGetAPIGatewayBotResult,
  type RESTPatchAPIChannelJSONBody,
  type RESTPatchAPIGuildScheduledEventJSONBody,
  type RESTPatchAPIWebhookWithTokenMessageJSONBody,
  type RESTPostAPIChannelMessageJSONBody,
  type RESTPostAPIGuildChannelJSONBody,
  type RESTPostAPIGuildRoleJSONBody,
  type RESTPostAPIGuildScheduledEventJSONBody,
  type RESTPutAPIApplicationCommandsJSONBody,
  Routes,
} from "discord-api-types/v10";
import type { Discord } from "./rest";

/** What a write may carry besides its body: the audit-log reason, and a signal to give up waiting. */
export interface CallOptions {
  reason?: string;
  signal?: AbortSignal;
}

const opts = (o: CallOptions = {}) => ({ ...(o.reason ? { reason: o.reason } : {}), ...(o.signal ? { signal: o.signal } : {}) });

export function discordApi(d: Discord) {
  return {
    gateway: {
      bot: () => d.get<RESTGetAPIGatewayBotResult>(Routes.gatewayBot()),
    },
    guilds: {
      get: (guildId: string) => d.get<APIGuild>(Routes.guild(guildId)),
      member: (guildId: string, userId: string) => d.get<APIGuildMember>(Routes.guildMember(guildId, userId)),
      roles: (guildId: string) => d.get<APIRole[]>(Routes.guildRoles(guildId)),
      /** Never retried blindly: a lost answer is found again by the caller's recorded intent. */
      createRole: (guildId: string, body: RESTPostAPIGuildRoleJSONBody, o?: CallOptions) => d.create<APIRole>(Routes.guildRoles(guildId), { body, ...opts(o) }),
      deleteRole: (guildId: string, roleId: string, o?: CallOptions) => d.delete<void>(Routes.guildRole(guildId, roleId), opts(o)),
      /** Sent alongside others: a guild's grants share one bucket, and one hung grant must not hold the rest. */
      addMemberRole: (guildId: string, userId: string, roleId: string, o?: CallOptions) =>
        d.putAlongside<void>(Routes.guildMemberRole(guildId, userId, roleId), opts(o)),
      /** Sent alongside others, as `addMemberRole`. */
      removeMemberRole: (guildId: string, userId: string, roleId: string, o?: CallOptions) =>
        d.deleteAlongside<void>(Routes.guildMemberRole(guildId, userId, roleId), opts(o)),
      channels: (guildId: string) => d.get<APIChannel[]>(Routes.guildChannels(guildId)),
      /** Never retried blindly, as `createRole`. */
      createChannel: (guildId: string, body: RESTPostAPIGuildChannelJSONBody, o?: CallOptions) =>
        d.create<APIChannel>(Routes.guildChannels(guildId), { body, ...opts(o) }),
    },
    scheduledEvents: {
      /** Every event of the guild; `withUserCount` adds each one's Interested count (`user_count`). */
      list: (guildId: string, o: CallOptions & { withUserCount?: boolean } = {}) =>
        d.get<APIGuildScheduledEvent[]>(Routes.guildScheduledEvents(guildId), {
          ...opts(o),
          ...(o.withUserCount ? { query: new URLSearchParams({ with_user_count: "true" }) } : {}),
        }),
      /** Never retried blindly, as `createRole`. */
      create: (guildId: string, body: RESTPostAPIGuildScheduledEventJSONBody, o?: CallOptions) =>
        d.create<APIGuildScheduledEvent>(Routes.guildScheduledEvents(guildId), { body, ...opts(o) }),
      edit: (guildId: string, eventId: string, body: RESTPatchAPIGuildScheduledEventJSONBody, o?: CallOptions) =>
        d.patch<APIGuildScheduledEvent>(Routes.guildScheduledEvent(guildId, eventId), { body, ...opts(o) }),
      delete: (guildId: string, eventId: string, o?: CallOptions) => d.delete<void>(Routes.guildScheduledEvent(guildId, eventId), opts(o)),
      /** One page of Interested members, ascending by user id after `after` (at most 100). */
      users: (guildId: string, eventId: string, after: string | null, limit = 100) =>
        d.get<APIGuildScheduledEventUser[]>(Routes.guildScheduledEventUsers(guildId, eventId), {
          query: new URLSearchParams({ limit: String(limit), ...(after ? { after } : {}) }),
        }),
    },
    channels: {
      get: (channelId: string) => d.get<APIChannel>(Routes.channel(channelId)),
      edit: (channelId: string, body: RESTPatchAPIChannelJSONBody, o?: CallOptions) => d.patch<APIChannel>(Routes.channel(channelId), { body, ...opts(o) }),
      delete: (channelId: string, o?: CallOptions) => d.delete<APIChannel>(Routes.channel(channelId), opts(o)),
      /** The newest messages (at most 100). */
      messages: (channelId: string, limit = 100) =>
        d.get<APIMessage[]>(Routes.channelMessages(channelId), { query: new URLSearchParams({ limit: String(limit) }) }),
      createMessage: (channelId: string, body: RESTPostAPIChannelMessageJSONBody) => d.post<APIMessage>(Routes.channelMessages(channelId), { body }),
      deleteMessage: (channelId: string, messageId: string, o?: CallOptions) => d.delete<void>(Routes.channelMessage(channelId, messageId), opts(o)),
    },
    users: {
      /**
       * The bot's DM channel with a user (the same one every time, so a repeat is harmless). Sent alongside others: a
       * fan-out's opens all share one bucket, and one hung open must not hold every later member's reminder.
       */
      openDm: (userId: string) => d.postAlongside<APIChannel>(Routes.userChannels(), { body: { recipient_id: userId } }),
    },
    commands: {
      guild: (applicationId: string, guildId: string) => d.get<APIApplicationCommand[]>(Routes.applicationGuildCommands(applicationId, guildId)),
      overwriteGuild: (applicationId: string, guildId: string, body: RESTPutAPIApplicationCommandsJSONBody) =>
        d.put<APIApplicationCommand[]>(Routes.applicationGuildCommands(applicationId, guildId), { body }),
      overwriteGlobal: (applicationId: string, body: RESTPutAPIApplicationCommandsJSONBody) =>
        d.put<APIApplicationCommand[]>(Routes.applicationCommands(applicationId), { body }),
    },
    interactions: {
      /** Edits the deferred (or first) reply; the interaction token is the auth, not the bot's. */
      editOriginal: (applicationId: string, token: string, body: RESTPatchAPIWebhookWithTokenMessageJSONBody) =>
        d.patch<APIMessage>(Routes.webhookMessage(applicationId, token, "@original"), { body, auth: false }),
    },
  };
}

export type DiscordApi = ReturnType<typeof discordApi>;
