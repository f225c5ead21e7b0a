/** The slash-command line shared by the sandbox page's command box and the terminal prompt: parsing and suggestions. */

export interface OptionDef {
  type: number;
  name: string;
  description?: string;
  required?: boolean;
  autocomplete?: boolean;
  choices?: { name: string; value: string | number }[];
  channel_types?: number[];
  options?: OptionDef[];
  min_value?: number;
  max_value?: number;
}

export interface CommandDef {
  name: string;
  description?: string;
  options?: OptionDef[];
  default_member_permissions?: string | null;
}

/** Names the line may refer to by id: the guild's channels, roles and members. */
export interface Lookup {
  channels: { id: string; name: string; type: number }[];
  roles: { id: string; name: string }[];
  members: { id: string; name: string }[];
}

export interface ParsedCommand {
  name: string;
  subcommand?: string;
  options: Record<string, string | number | boolean>;
}

export interface Suggestion {
  label: string;
  detail?: string;
  /** The text that replaces the word being typed. */
  insert: string;
}

export interface Suggestions {
  items: Suggestion[];
  /** The signature of the command or subcommand being typed, e.g. "/voice-channel public [name]". */
  hint?: string;
  /** Set when the option being typed is answered by the bot: ask it with an autocomplete interaction. */
  autocomplete?: { option: string; command: ParsedCommand };
}

export const OPTION = { SUB: 1, GROUP: 2, STRING: 3, INTEGER: 4, BOOLEAN: 5, USER: 6, CHANNEL: 7, ROLE: 8, MENTIONABLE: 9, NUMBER: 10 } as const;
const TYPE_NAMES: Record<number, string> = {
  3: "text",
  4: "integer",
  5: "true/false",
  6: "member",
  7: "channel",
  8: "role",
  9: "member or role",
  10: "number",
};

/** Splits a line into words; `key:"a b"` stays one word. */
export function words(line: string): string[] {
  return line.match(/(?:[^\s"]+|"[^"]*"?)+/g) ?? [];
}

const unquote = (s: string) => s.replace(/^"|"$/g, "");
const quote = (s: string) => (/\s/.test(s) ? `"${s}"` : s);

/** Walks `/name sub group …` through the command's definitions: the leaf options and the words left over. */
function descend(def: CommandDef, rest: string[]): { path: string[]; defs: OptionDef[]; rest: string[] } {
  let defs = def.options ?? [];
  const path: string[] = [];
  while (rest.length && defs.some((d) => d.type === OPTION.SUB || d.type === OPTION.GROUP)) {
    const next = defs.find((d) => (d.type === OPTION.SUB || d.type === OPTION.GROUP) && d.name === rest[0]);
    if (!next) break;
    path.push(next.name);
    defs = next.options ?? [];
    rest = rest.slice(1);
  }
  return { path, defs, rest };
}

/** Turns a typed value into what Discord would send for an option of that type (ids for channels, roles, members). */
export function optionValue(def: OptionDef | undefined, raw: string, lookup?: Lookup): string | number | boolean {
  const text = unquote(raw);
  if (!def) return /^-?\d+(\.\d+)?$/.test(text) && text.length < 15 ? Number(text) : text === "true" ? true : text === "false" ? false : text;
  if (def.type === OPTION.INTEGER || def.type === OPTION.NUMBER) return text !== "" && !Number.isNaN(Number(text)) ? Number(text) : text;
  if (def.type === OPTION.BOOLEAN) return text === "true" ? true : text === "false" ? false : text;
  if (lookup && !/^\d+$/.test(text)) {
    const bare = text.replace(/^<[#@&!]*|>$/g, "").replace(/^[#@]/, "");
    if (/^\d+$/.test(bare)) return bare;
    const lower = bare.toLowerCase();
    if (def.type === OPTION.CHANNEL) return lookup.channels.find((c) => c.name.toLowerCase() === lower)?.id ?? text;
    if (def.type === OPTION.ROLE || def.type === OPTION.MENTIONABLE) {
      const role = lookup.roles.find((r) => r.name.toLowerCase() === lower);
      if (role) return role.id;
    }
    if (def.type === OPTION.USER || def.type === OPTION.MENTIONABLE) return lookup.members.find((m) => m.name.toLowerCase() === lower)?.id ?? text;
  }
  return text;
}

/** Parses `/name [sub [sub]] key:value …`; without definitions, values are typed from how they look. */
export function parseCommandLine(line: string, commands: CommandDef[] = [], lookup?: Lookup): ParsedCommand {
  const [head = "", ...rest] = words(line.trim().replace(/^\//, ""));
  const def = commands.find((c) => c.name === head);
  const walked = def ? descend(def, rest) : { path: [] as string[], defs: [] as OptionDef[], rest };
  const sub = [...walked.path];
  const options: ParsedCommand["options"] = {};
  for (const w of walked.rest) {
    const i = w.indexOf(":");
    if (i > 0)
      options[w.slice(0, i)] = optionValue(
        walked.defs.find((d) => d.name === w.slice(0, i)),
        w.slice(i + 1),
        lookup,
      );
    else if (!def) sub.push(w);
  }
  return { name: head, ...(sub.length ? { subcommand: sub.join(" ") } : {}), options };
}

function signature(name: string, path: string[], defs: OptionDef[]): string {
  const opts = defs.filter((d) => d.type !== OPTION.SUB && d.type !== OPTION.GROUP).map((d) => (d.required ? `${d.name}:` : `[${d.name}:]`));
  return ["/" + [name, ...path].join(" "), ...opts].join(" ");
}

function matches(text: string, prefix: string): boolean {
  return text.toLowerCase().includes(prefix.toLowerCase());
}

function valueChoices(def: OptionDef, typed: string, lookup: Lookup): Suggestion[] {
  const put = (value: string, label: string, detail?: string): Suggestion => ({ label, detail, insert: `${def.name}:${quote(value)}` });
  if (def.choices?.length) return def.choices.filter((c) => matches(c.name, typed) || matches(String(c.value), typed)).map((c) => put(String(c.value), c.name));
  if (def.type === OPTION.BOOLEAN) return ["true", "false"].filter((v) => v.startsWith(typed)).map((v) => put(v, v));
  const out: Suggestion[] = [];
  if (def.type === OPTION.CHANNEL)
    for (const c of lookup.channels)
      if ((!def.channel_types || def.channel_types.includes(c.type)) && matches(c.name, typed)) out.push(put(c.id, `#${c.name}`, CHANNEL_KIND[c.type]));
  if (def.type === OPTION.ROLE || def.type === OPTION.MENTIONABLE)
    for (const r of lookup.roles) if (matches(r.name, typed)) out.push(put(r.id, `@${r.name}`, "role"));
  if (def.type === OPTION.USER || def.type === OPTION.MENTIONABLE)
    for (const m of lookup.members) if (matches(m.name, typed)) out.push(put(m.id, `@${m.name}`, "member"));
  return out;
}

const CHANNEL_KIND: Record<number, string> = { 0: "text channel", 2: "voice channel", 4: "category", 5: "announcement channel", 13: "stage", 15: "forum" };

/** What to offer for the word being typed at the end of `line`. */
export function suggest(line: string, commands: CommandDef[], lookup: Lookup): Suggestions {
  if (!line.startsWith("/")) return { items: [] };
  const all = words(line.slice(1));
  const typing = /\s$/.test(line) ? "" : (all.pop() ?? "");
  const [head, ...done] = all;
  if (head === undefined)
    return { items: commands.filter((c) => c.name.startsWith(typing)).map((c) => ({ label: `/${c.name}`, detail: c.description, insert: `/${c.name} ` })) };
  const def = commands.find((c) => c.name === head);
  if (!def) return { items: [], hint: `/${head}: no such command` };
  const walked = descend(def, done);
  const hint = signature(def.name, walked.path, walked.defs);
  const branches = walked.defs.filter((d) => d.type === OPTION.SUB || d.type === OPTION.GROUP);
  if (branches.length && !walked.rest.length)
    return { hint, items: branches.filter((d) => d.name.startsWith(typing)).map((d) => ({ label: d.name, detail: d.description, insert: `${d.name} ` })) };
  const used = new Set(walked.rest.map((w) => w.slice(0, w.indexOf(":"))));
  const colon = typing.indexOf(":");
  if (colon < 0) {
    const free = walked.defs.filter((d) => !used.has(d.name) && d.name.startsWith(typing)).sort((a, b) => Number(!!b.required) - Number(!!a.required));
    return {
      hint,
      items: free.map((d) => ({
        label: `${d.name}:`,
        detail: `${d.required ? "" : "optional · "}${TYPE_NAMES[d.type] ?? ""} · ${d.description ?? ""}`,
        insert: `${d.name}:`,
      })),
    };
  }
  const option = walked.defs.find((d) => d.name === typing.slice(0, colon));
  if (!option) return { hint, items: [] };
  const typed = unquote(typing.slice(colon + 1));
  const optHint = `${hint}  —  ${option.name}: ${option.description ?? ""}`;
  if (option.autocomplete) {
    const command = parseCommandLine(line, commands, lookup);
    command.options[option.name] = typed;
    return { hint: optHint, items: [], autocomplete: { option: option.name, command } };
  }
  return { hint: optHint, items: valueChoices(option, typed, lookup) };
}

/** Replaces the word being typed at the end of `line` with a suggestion. */
export function applySuggestion(line: string, s: Suggestion): string {
  if (/\s$/.test(line)) return line + s.insert;
  const all = words(line);
  const last = all[all.length - 1] ?? "";
  const base = line.slice(0, line.length - last.length);
  return base + s.insert + (s.insert.endsWith(" ") || s.insert.endsWith(":") ? "" : " ");
}
