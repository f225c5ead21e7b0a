/** The shapes the sandbox server sends its page: the guild as a member sees it, and the timeline. */
import type { CommandDef } from "./command-line.ts";

export interface OverwriteView {
  id: string;
  kind: "role" | "member";
  name: string;
  allow: string[];
  deny: string[];
}

export interface ChannelView {
  id: string;
  name: string;
  type: number;
  parent_id: string | null;
  topic: string | null;
  overwrites: OverwriteView[];
  /** Members who can see the channel (View Channel after overwrites). */
  visible_to: string[];
  /** Voice channels: members who may connect, and who is in it now. */
  can_connect: string[];
  voice_members: string[];
}

export interface MemberView {
  id: string;
  name: string;
  bot: boolean;
  owner: boolean;
  admin: boolean;
  roles: string[];
  /** Guild-level permission bits (decimal string): the command box greys out commands a member cannot use. */
  permissions: string;
  voice: string | null;
  dm_channel: string | null;
}

export interface RoleView {
  id: string;
  name: string;
  color: number;
  position: number;
  managed: boolean;
  everyone: boolean;
  permissions: string[];
  members: number;
}

export interface EventView {
  id: string;
  name: string;
  description: string | null;
  start: string;
  end: string | null;
  status: number;
  location: string | null;
  creator_id: string;
  users: string[];
}

export interface MessageView {
  id: string;
  channel_id: string;
  author_id: string;
  content: string;
  embeds: unknown[];
  components: unknown[];
  timestamp: string;
  edited: boolean;
  /** Ephemeral replies: only this member sees them. */
  ephemeral_to: string | null;
  /** A deferred reply not finished yet ("Event Bot is thinking…"). */
  thinking: boolean;
  /** The slash command this message answers, as Discord shows above a reply. */
  used?: { user_id: string; command: string };
}

export interface FaultView {
  id: number;
  path: string;
  method?: string;
  status?: number;
  global?: boolean;
  times?: number;
  hits: number;
}

export interface SandboxState {
  guild: { id: string; name: string; owner_id: string };
  bot_id: string;
  admin_role_id: string | null;
  members: MemberView[];
  roles: RoleView[];
  sections: { category: ChannelView | null; channels: ChannelView[] }[];
  events: EventView[];
  messages: Record<string, MessageView[]>;
  commands: CommandDef[];
  faults: FaultView[];
  gateway: { id: string; connected: boolean; seq: number; resumes: number; identifies: number }[];
}

export type TimelineKind = "rest" | "gateway" | "interaction" | "timer" | "bus" | "cron" | "member" | "log";

export interface TimelineEntry {
  id: number;
  at: number;
  kind: TimelineKind;
  title: string;
  detail?: string;
  level: "ok" | "warn" | "error";
  data?: unknown;
}
