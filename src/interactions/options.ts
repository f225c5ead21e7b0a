/** Typed readers over slash-command options and modal fields, so handlers never walk raw payloads. */
import {
  type APIApplicationCommandInteractionDataOption,
  type APIChatInputApplicationCommandInteractionData,
  type APIModalSubmission,
  ApplicationCommandOptionType,
  ComponentType,
} from "discord-api-types/v10";
import { UserError } from "./types";

type Leaf = Extract<APIApplicationCommandInteractionDataOption, { value: unknown }>;

export interface OptionReader {
  string(name: string): string | null;
  integer(name: string): number | null;
  number(name: string): number | null;
  boolean(name: string): boolean | null;
  /** Snowflake of a channel/role/user/mentionable option. */
  id(name: string): string | null;
  /** Like string() etc. but throws a UserError naming the option when it is missing. */
  required<T>(value: T | null, name: string): T;
  /** The option being typed during autocomplete. */
  focused(): { name: string; value: string } | null;
}

/** Walks subcommand groups/subcommands and returns the path ("group sub") and the leaf options. */
export function flattenOptions(data: APIChatInputApplicationCommandInteractionData): { path: string; leaves: Leaf[] } {
  const path: string[] = [];
  let options = data.options ?? [];
  for (;;) {
    const first = options[0];
    if (first && (first.type === ApplicationCommandOptionType.SubcommandGroup || first.type === ApplicationCommandOptionType.Subcommand)) {
      path.push(first.name);
      options = (first.options ?? []) as APIApplicationCommandInteractionDataOption[];
      continue;
    }
    break;
  }
  return { path: path.join(" "), leaves: options as Leaf[] };
}

export function optionReader(leaves: readonly Leaf[]): OptionReader {
  const find = (name: string) => leaves.find((o) => o.name === name);
  const typed = <T>(name: string, check: (v: unknown) => v is T): T | null => {
    const v = find(name)?.value;
    return check(v) ? v : null;
  };
  const isString = (v: unknown): v is string => typeof v === "string";
  const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  return {
    string: (n) => typed(n, isString),
    integer: (n) => {
      const v = typed(n, isNumber);
      return v === null ? null : Math.trunc(v);
    },
    number: (n) => typed(n, isNumber),
    boolean: (n) => typed(n, (v): v is boolean => typeof v === "boolean"),
    id: (n) => typed(n, isString),
    required: (value, name) => {
      if (value === null || value === undefined) throw new UserError(`The option \`${name}\` is required.`);
      return value;
    },
    focused: () => {
      const f = leaves.find((o) => "focused" in o && o.focused);
      return f ? { name: f.name, value: String(f.value ?? "") } : null;
    },
  };
}

export interface ModalFields {
  get(customId: string): string | null;
}

export function modalFields(data: APIModalSubmission): ModalFields {
  const values = new Map<string, string>();
  const visit = (components: readonly unknown[]) => {
    for (const c of components as { type: number; custom_id?: string; value?: string; components?: unknown[]; component?: unknown }[]) {
      if (c.type === ComponentType.TextInput && c.custom_id) values.set(c.custom_id, c.value ?? "");
      if (Array.isArray(c.components)) visit(c.components);
      if (c.component) visit([c.component]);
    }
  };
  visit(data.components ?? []);
  return { get: (id) => values.get(id) ?? null };
}
