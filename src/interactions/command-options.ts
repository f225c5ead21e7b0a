/**
 * Typed builders for slash-command definitions: each returns the discord-api-types shape of its option, keys in
 * the order `type, name, description, …`, so a definition reads short and registers the same JSON as a literal.
 * (`@discordjs/builders` would add about 80 KiB gzipped to the Worker for the same result.)
 */
import {
  type APIApplicationCommandAttachmentOption,
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandBooleanOption,
  type APIApplicationCommandChannelOption,
  type APIApplicationCommandIntegerOption,
  type APIApplicationCommandMentionableOption,
  type APIApplicationCommandNumberOption,
  type APIApplicationCommandOptionChoice,
  type APIApplicationCommandRoleOption,
  type APIApplicationCommandStringOption,
  type APIApplicationCommandSubcommandGroupOption,
  type APIApplicationCommandSubcommandOption,
  type APIApplicationCommandUserOption,
  ApplicationCommandOptionType,
} from "discord-api-types/v10";

/** What an option may carry besides its type, name and description (per variant: choices or autocomplete). */
type Extra<O> = O extends unknown ? Omit<O, "type" | "name" | "description"> : never;

function build<O extends APIApplicationCommandBasicOption>(type: O["type"]) {
  // The spread keeps the caller's key order after type, name and description; the variant is the caller's Extra.
  return (name: string, description: string, extra?: Extra<O>): O => ({ type, name, description, ...extra }) as O;
}

export const option = {
  string: build<APIApplicationCommandStringOption>(ApplicationCommandOptionType.String),
  integer: build<APIApplicationCommandIntegerOption>(ApplicationCommandOptionType.Integer),
  number: build<APIApplicationCommandNumberOption>(ApplicationCommandOptionType.Number),
  boolean: build<APIApplicationCommandBooleanOption>(ApplicationCommandOptionType.Boolean),
  user: build<APIApplicationCommandUserOption>(ApplicationCommandOptionType.User),
  channel: build<APIApplicationCommandChannelOption>(ApplicationCommandOptionType.Channel),
  role: build<APIApplicationCommandRoleOption>(ApplicationCommandOptionType.Role),
  mentionable: build<APIApplicationCommandMentionableOption>(ApplicationCommandOptionType.Mentionable),
  attachment: build<APIApplicationCommandAttachmentOption>(ApplicationCommandOptionType.Attachment),
};

/** A subcommand; `options` is left out of the JSON when not given. */
export function subcommand(name: string, description: string, options?: APIApplicationCommandBasicOption[]): APIApplicationCommandSubcommandOption {
  return { type: ApplicationCommandOptionType.Subcommand, name, description, ...(options ? { options } : {}) };
}

export function subcommandGroup(
  name: string,
  description: string,
  options: APIApplicationCommandSubcommandOption[],
): APIApplicationCommandSubcommandGroupOption {
  return { type: ApplicationCommandOptionType.SubcommandGroup, name, description, options };
}

/** Choices whose name is their value: `list`, `add`, `remove`. */
export function choices<V extends string>(values: readonly V[]): APIApplicationCommandOptionChoice<V>[] {
  return values.map((value) => ({ name: value, value }));
}

/** The page of a paged list (see list-view.ts): the same option on every list command. */
export const pageOption = option.integer("page", "Page of the list", { min_value: 1, max_value: 1000 });
