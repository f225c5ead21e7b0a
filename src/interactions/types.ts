/** What a feature declares to handle interactions: commands (with subcommands), components and modals. */
import type {
  APIApplicationCommandOptionChoice,
  APIChatInputApplicationCommandInteraction,
  APIInteraction,
  APIInteractionResponse,
  APIMessageComponentInteraction,
  APIModalSubmitInteraction,
  APIUser,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from "discord-api-types/v10";
import type { ModalFields, OptionReader } from "./options";
import type { MessageData } from "./reply";

/** An error whose message is meant for the member (bad input, missing setup); shown ephemerally, logged at info. */
export class UserError extends Error {
  override readonly name = "UserError";
}

export interface BaseContext<S> {
  services: S;
  interaction: APIInteraction;
  guildId: string | null;
  user: APIUser;
  /**
   * The member's permissions in the channel where they typed, overwrites included (0n outside a guild). Never
   * use it to authorise a guild-wide change: a single channel's overwrite can grant Manage Channels or Events.
   */
  memberPermissions: bigint;
  /** The bot's permissions in that channel, from the interaction (not its guild-level permissions). */
  appPermissions: bigint;
  /** The member's guild-level permissions (their roles, owner, Administrator), for guild-wide changes. */
  guildPermissions(): Promise<bigint>;
}

export interface CommandContext<S> extends BaseContext<S> {
  interaction: APIChatInputApplicationCommandInteraction;
  /** "" for a command without subcommands, "view" or "group sub" otherwise. */
  subcommand: string;
  options: OptionReader;
}

export interface ComponentContext<S> extends BaseContext<S> {
  interaction: APIMessageComponentInteraction;
  /** custom_id segments after `namespace:action`. */
  args: string[];
  /** Selected values for select menus. */
  values: string[];
}

export interface ModalContext<S> extends BaseContext<S> {
  interaction: APIModalSubmitInteraction;
  args: string[];
  fields: ModalFields;
}

export type HandlerResult = APIInteractionResponse | MessageData | string;

export type Visibility = "ephemeral" | "public";

export interface CommandDef<S> {
  /** The registration payload; the one definition feeds both the router and `npm run register`. */
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Permissions a member needs: set as default_member_permissions and re-checked on every use. */
  requires?: bigint;
  /** Extra permissions per subcommand path, for commands whose reading subcommands are open to everyone. */
  requiresFor?: Readonly<Record<string, bigint>>;
  /** Visibility of plain-message results (default ephemeral). */
  visibility?: Visibility;
  /** Subcommands known to be slow: answered with a deferred response and finished by a followup. */
  deferred?: readonly string[];
  run(ctx: CommandContext<S>): Promise<HandlerResult>;
  autocomplete?(ctx: CommandContext<S>): Promise<APIApplicationCommandOptionChoice[]>;
}

/**
 * Answers a command the static table does not know (e.g. a guild's custom command registered as `/name`);
 * null means "not mine".
 */
export type CommandFallback<S> = (ctx: CommandContext<S>, name: string) => Promise<HandlerResult | null>;

export interface ComponentDef<S> {
  /** `namespace:action`; the namespace is the feature's, so ids never collide across features. */
  id: string;
  requires?: bigint;
  /** Slow components acknowledge with a deferred update and edit the message afterwards. */
  deferred?: boolean;
  run(ctx: ComponentContext<S>): Promise<HandlerResult>;
}

export interface ModalDef<S> {
  id: string;
  requires?: bigint;
  run(ctx: ModalContext<S>): Promise<HandlerResult>;
}

/** Builds a component custom_id, enforcing Discord's 100-character limit. */
export function customId(id: string, ...args: (string | number)[]): string {
  const value = [id, ...args.map(String)].join(":");
  if (value.length > 100) throw new Error(`custom_id too long (${value.length} > 100): ${id}`);
  return value;
}
