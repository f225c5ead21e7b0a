/** The emulator's world: users, guilds, roles, channels, members, messages, scheduled events, commands, interactions. */

import { P, type PermOverwrite } from "./permissions.ts";
import type { EventException, RecurrenceRule } from "./recurrence.ts";

export interface User {
  id: string;
  username: string;
  global_name: string | null;
  bot?: boolean;
  /** A user who closed DMs: creating a DM works, sending to it fails with 50007. */
  dms_closed?: boolean;
}
export interface Role {
  id: string;
  name: string;
  permissions: string;
  position: number;
  color: number;
  hoist: boolean;
  mentionable: boolean;
  managed: boolean;
}
export interface Channel {
  id: string;
  type: number;
  guild_id?: string;
  name?: string;
  parent_id?: string | null;
  position?: number;
  topic?: string | null;
  user_limit?: number;
  bitrate?: number;
  permission_overwrites?: PermOverwrite[];
  recipients?: User[];
}
export interface Message {
  id: string;
  channel_id: string;
  author: User;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  nonce?: string | number;
  timestamp: string;
  edited_timestamp: string | null;
  interaction_id?: string;
}
export interface ScheduledEvent {
  id: string;
  guild_id: string;
  name: string;
  description: string | null;
  scheduled_start_time: string;
  scheduled_end_time: string | null;
  privacy_level: number;
  status: number;
  entity_type: number;
  entity_id: string | null;
  channel_id: string | null;
  entity_metadata: { location?: string } | null;
  creator_id: string;
  user_count: number;
  recurrence_rule: RecurrenceRule | null;
  guild_scheduled_event_exceptions: EventException[];
  /** Internal: the rule's time of the occurrence shown, when an exception moved its start (never sent). */
  occurrence_original_start?: string;
  users: string[];
}
export interface Guild {
  id: string;
  name: string;
  owner_id: string;
  roles: Role[];
  members: Map<string, { roles: string[]; joined_at: string; nick: string | null }>;
  scheduled_events: ScheduledEvent[];
  commands: unknown[];
  /** Who is in which voice channel (user id → channel id). */
  voice: Map<string, string>;
}
export interface InteractionRecord {
  id: string;
  token: string;
  type: number;
  guild_id?: string;
  channel_id?: string;
  user_id: string;
  created_at: number;
  body: unknown;
  response?: unknown;
  original?: Message;
  followups: Message[];
}

/** Discord-shaped ids: increasing, 18-19 digits, with the creation time in the top bits. */
export class Snowflakes {
  private seq = 0n;
  next(now = Date.now()): string {
    this.seq = (this.seq + 1n) & 0xfffn;
    return (((BigInt(now) - 1420070400000n) << 22n) | (1n << 17n) | this.seq).toString();
  }
}

export class World {
  readonly ids = new Snowflakes();
  readonly users = new Map<string, User>();
  readonly guilds = new Map<string, Guild>();
  readonly channels = new Map<string, Channel>();
  readonly messages = new Map<string, Message[]>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly dmChannels = new Map<string, string>();
  globalCommands: unknown[] = [];
  readonly botUser: User;
  /** How long a message nonce is enforced (Discord: "a few minutes"); the chaos suite sets it, tests keep it for ever. */
  nonceWindowMs = Number.POSITIVE_INFINITY;
  /** Voice channels deleted with members still in them: what a member would notice as being thrown out. */
  readonly occupiedDeletions: { channel_id: string; guild_id: string; users: string[]; at: number }[] = [];
  /** Gateway fan-out: every change Discord would announce goes through here (set by the gateway). */
  onDispatch: (t: string, d: unknown, guildId: string | null) => void = () => {};

  readonly applicationId: string;
  constructor(applicationId: string) {
    this.applicationId = applicationId;
    this.botUser = { id: applicationId, username: "Event Bot", global_name: null, bot: true };
    this.users.set(applicationId, this.botUser);
  }

  /** The last dispatches announced (whether or not a session was connected), for tests: `GET /_emulator/dispatches`. */
  readonly dispatched: { at: number; t: string; d: unknown; guild_id: string | null }[] = [];

  dispatch(t: string, d: unknown, guildId: string | null): void {
    this.dispatched.push({ at: Date.now(), t, d: structuredClone(d), guild_id: guildId });
    if (this.dispatched.length > 5000) this.dispatched.splice(0, this.dispatched.length - 5000);
    this.onDispatch(t, d, guildId);
  }

  /** A member joins, moves to, or (null) leaves a voice channel, as the gateway reports it. */
  setVoice(guildId: string, userId: string, channelId: string | null): void {
    const g = this.guilds.get(guildId);
    if (!g) return;
    if (channelId) g.voice.set(userId, channelId);
    else g.voice.delete(userId);
    this.dispatch("VOICE_STATE_UPDATE", this.voiceState(guildId, userId, channelId), guildId);
  }

  voiceState(guildId: string, userId: string, channelId: string | null) {
    return {
      guild_id: guildId,
      channel_id: channelId,
      user_id: userId,
      session_id: `voice-${userId}`,
      deaf: false,
      mute: false,
      self_deaf: false,
      self_mute: false,
      self_video: false,
      suppress: false,
      request_to_speak_timestamp: null,
    };
  }

  /** A deleted voice channel disconnects whoever was in it. */
  removeChannel(channelId: string): Channel | undefined {
    const c = this.channels.get(channelId);
    if (!c) return undefined;
    this.channels.delete(channelId);
    const g = c.guild_id ? this.guilds.get(c.guild_id) : undefined;
    const inside = g ? [...g.voice].filter(([, ch]) => ch === channelId).map(([user]) => user) : [];
    if (g && inside.length) this.occupiedDeletions.push({ channel_id: channelId, guild_id: g.id, users: inside, at: Date.now() });
    for (const user of inside) if (g) this.setVoice(g.id, user, null);
    this.dispatch("CHANNEL_DELETE", c, c.guild_id ?? null);
    return c;
  }

  addUser(username: string, extra: Partial<User> = {}): User {
    const user: User = { id: this.ids.next(), username, global_name: null, ...extra };
    this.users.set(user.id, user);
    return user;
  }

  /**
   * A ready-made guild: owner, an admin, a member, the bot with its own role, a category, a text and a voice
   * channel. `botPermissions` overrides the bot role's permissions (tests of missing permissions).
   */
  createGuild(opts: { name?: string; botPermissions?: bigint; everyonePermissions?: bigint } = {}) {
    const id = this.ids.next();
    const owner = this.addUser("owner");
    const admin = this.addUser("alice");
    const member = this.addUser("bob");
    const everyone: Role = this.role(id, "@everyone", opts.everyonePermissions ?? P.ViewChannel | P.SendMessages | P.Connect | P.Speak | P.EmbedLinks, 0);
    everyone.id = id;
    const adminRole = this.role(this.ids.next(), "Admin", P.ManageGuild | P.ManageChannels | P.ManageEvents | P.ViewChannel | P.SendMessages, 1);
    const botBits =
      opts.botPermissions ??
      P.ManageChannels |
        P.ManageRoles |
        P.ManageEvents |
        P.CreateEvents |
        P.ViewChannel |
        P.SendMessages |
        P.EmbedLinks |
        P.MoveMembers |
        P.Connect |
        P.MentionEveryone;
    const botRole = this.role(this.ids.next(), "Event Bot", botBits, 2);
    botRole.managed = true;
    const now = new Date().toISOString();
    const guild: Guild = {
      id,
      name: opts.name ?? "Test Guild",
      owner_id: owner.id,
      roles: [everyone, adminRole, botRole],
      members: new Map([
        [owner.id, { roles: [], joined_at: now, nick: null }],
        [admin.id, { roles: [adminRole.id], joined_at: now, nick: null }],
        [member.id, { roles: [], joined_at: now, nick: null }],
        [this.botUser.id, { roles: [botRole.id], joined_at: now, nick: null }],
      ]),
      scheduled_events: [],
      commands: [],
      voice: new Map(),
    };
    this.guilds.set(id, guild);
    const category = this.addChannel({ type: 4, guild_id: id, name: "Events", parent_id: null });
    const text = this.addChannel({ type: 0, guild_id: id, name: "general", parent_id: null });
    const voice = this.addChannel({ type: 2, guild_id: id, name: "Lobby", parent_id: null });
    return {
      guild_id: id,
      owner_id: owner.id,
      admin_id: admin.id,
      member_id: member.id,
      bot_id: this.botUser.id,
      roles: { everyone: id, admin: adminRole.id, bot: botRole.id },
      channels: { category: category.id, text: text.id, voice: voice.id },
    };
  }

  private role(id: string, name: string, perms: bigint, position: number): Role {
    return { id, name, permissions: perms.toString(), position, color: 0, hoist: false, mentionable: false, managed: false };
  }

  addChannel(c: Omit<Channel, "id">): Channel {
    const channel: Channel = { permission_overwrites: [], position: 0, ...c, id: this.ids.next() };
    this.channels.set(channel.id, channel);
    this.messages.set(channel.id, []);
    return channel;
  }

  guildChannels(guildId: string): Channel[] {
    return [...this.channels.values()].filter((c) => c.guild_id === guildId);
  }

  /** The state a test inspects: plain JSON, members as arrays. */
  snapshot(guildId?: string) {
    const guilds = [...this.guilds.values()].filter((g) => !guildId || g.id === guildId);
    return {
      guilds: guilds.map((g) => ({
        ...g,
        members: [...g.members.entries()].map(([user_id, m]) => ({ user_id, ...m })),
        voice: Object.fromEntries(g.voice),
        channels: this.guildChannels(g.id),
      })),
      messages: Object.fromEntries(
        [...this.messages.entries()].filter(([cid]) => {
          const ch = this.channels.get(cid);
          return !guildId || ch?.guild_id === guildId || (ch?.type === 1 && ch.recipients?.some((r) => guilds.some((g) => g.members.has(r.id))));
        }),
      ),
      dm_channels: Object.fromEntries(this.dmChannels),
      global_commands: this.globalCommands,
    };
  }
}
