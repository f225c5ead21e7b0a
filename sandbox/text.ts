/** The bot's replies and the guild as readable terminal text: embeds as titled blocks, buttons as [label]. */
import type { SandboxState } from "./types.ts";

export interface Names {
  user(id: string): string;
  role(id: string): string;
  channel(id: string): string;
}

interface Embed {
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: { text: string };
  author?: { name: string };
}

interface Component {
  type: number;
  label?: string;
  style?: number;
  url?: string;
  placeholder?: string;
  options?: { label: string; default?: boolean }[];
  components?: Component[];
  custom_id?: string;
}

export interface MessageLike {
  content?: string;
  embeds?: unknown[];
  components?: unknown[];
  flags?: number;
}

const STYLES: Record<string, Intl.DateTimeFormatOptions> = {
  t: { hour: "2-digit", minute: "2-digit" },
  T: { hour: "2-digit", minute: "2-digit", second: "2-digit" },
  d: { year: "numeric", month: "2-digit", day: "2-digit" },
  D: { year: "numeric", month: "long", day: "numeric" },
  f: { year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" },
  F: { weekday: "long", year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" },
};

/** `<t:…>` in the terminal's timezone (`R` as "in 5 min" / "5 min ago"). */
export function timestamp(unix: number, style = "f", now = Date.now(), timeZone?: string): string {
  if (style === "R") {
    const mins = Math.round((unix * 1000 - now) / 60_000);
    const abs = Math.abs(mins);
    const span = abs < 60 ? `${abs} min` : abs < 2880 ? `${Math.round(abs / 60)} h` : `${Math.round(abs / 1440)} days`;
    return mins >= 0 ? `in ${span}` : `${span} ago`;
  }
  return new Intl.DateTimeFormat("en-GB", { ...(STYLES[style] ?? STYLES.f), timeZone }).format(new Date(unix * 1000));
}

/** Message text with mentions as names and timestamps as local times. */
export function plain(text: string, names: Names, timeZone?: string): string {
  return text
    .replace(/<@!?(\d+)>/g, (_, id) => `@${names.user(id)}`)
    .replace(/<@&(\d+)>/g, (_, id) => `@${names.role(id)}`)
    .replace(/<#(\d+)>/g, (_, id) => `#${names.channel(id)}`)
    .replace(/<t:(-?\d+)(?::([tTdDfFR]))?>/g, (_, unix, style) => timestamp(Number(unix), style ?? "f", Date.now(), timeZone));
}

function embedBlock(e: Embed, names: Names, timeZone?: string): string[] {
  const lines: string[] = [];
  const bar = (s: string) => {
    for (const l of s.split("\n")) lines.push(`  ┃ ${l}`);
  };
  if (e.author) bar(e.author.name);
  bar(`== ${e.title ?? "(embed)"} ==`);
  if (e.description) bar(plain(e.description, names, timeZone));
  for (const f of e.fields ?? []) bar(`${f.name}: ${plain(f.value, names, timeZone)}`);
  if (e.footer) bar(`— ${e.footer.text}`);
  return lines;
}

/** Buttons as `[label]`, select menus as `[▾ placeholder: a | b]`, one line per action row. */
export function componentLines(components: unknown[]): string[] {
  const one = (c: Component): string => {
    if (c.type === 2) return c.style === 5 ? `[${c.label ?? "link"} ↗ ${c.url ?? ""}]` : `[${c.label ?? c.custom_id ?? "button"}]`;
    if ([3, 5, 6, 7, 8].includes(c.type)) {
      const opts = (c.options ?? []).map((o) => (o.default ? `*${o.label}` : o.label)).join(" | ");
      return `[▾ ${c.placeholder ?? "select"}${opts ? `: ${opts}` : ""}]`;
    }
    return `[component ${c.type}]`;
  };
  return (components as Component[]).map((c) => `  ${c.type === 1 ? (c.components ?? []).map(one).join(" ") : one(c)}`);
}

export function formatMessage(m: MessageLike, names: Names, timeZone?: string): string {
  const lines: string[] = [];
  if (m.content) lines.push(plain(m.content, names, timeZone));
  for (const e of (m.embeds ?? []) as Embed[]) lines.push(...embedBlock(e, names, timeZone));
  lines.push(...componentLines(m.components ?? []));
  if ((m.flags ?? 0) & 64) lines.push("  (only you can see this)");
  return lines.join("\n") || "(empty message)";
}

/** A bot's answer to an interaction, by response type. */
export function formatResponse(response: unknown, names: Names, timeZone?: string): string {
  const r = response as { type?: number; data?: Record<string, unknown> } | string | null;
  if (!r || typeof r !== "object") return `(no JSON answer: ${String(r).slice(0, 300)})`;
  const data = r.data ?? {};
  switch (r.type) {
    case 4:
    case 7:
      return (r.type === 7 ? "(message updated)\n" : "") + formatMessage(data as MessageLike, names, timeZone);
    case 5:
      return "Event Bot is thinking…";
    case 6:
      return "(acknowledged; the message will be updated)";
    case 8:
      return (
        ((data.choices as { name: string; value: unknown }[] | undefined) ?? []).map((c) => `  ${c.name} → ${String(c.value)}`).join("\n") || "(no choices)"
      );
    case 9: {
      const fields: string[] = [];
      const visit = (c: { type: number; custom_id?: string; label?: string; components?: unknown[]; component?: unknown }) => {
        if (c.type === 4) fields.push(`${c.custom_id}: ${c.label ?? ""}`);
        for (const x of (c.components ?? []) as (typeof c)[]) visit(x);
        if (c.component) visit(c.component as typeof c);
      };
      for (const c of (data.components ?? []) as Parameters<typeof visit>[0][]) visit(c);
      return [
        `A form opens: "${String(data.title ?? "")}"`,
        ...fields.map((f) => `  ${f}`),
        `Answer with: form ${fields.map((f) => `${f.split(":")[0]}:"…"`).join(" ")}`,
      ].join("\n");
    }
    default:
      return JSON.stringify(r);
  }
}

/** The guild as a short report: channels by category (with who sees private ones), voice, roles, members, events. */
export function formatGuild(s: SandboxState, timeZone?: string): string {
  const name = (id: string) => s.members.find((m) => m.id === id)?.name ?? id;
  const out = [`${s.guild.name} (${s.guild.id})`];
  for (const sec of s.sections) {
    if (sec.category) out.push(`  ${sec.category.name.toUpperCase()} (category ${sec.category.id})`);
    for (const c of sec.channels) {
      const everyone = c.visible_to.length === s.members.length;
      const icon = c.type === 2 ? "🔊" : "#";
      const who = everyone ? "" : `  [visible to ${c.visible_to.map(name).join(", ") || "nobody"}]`;
      const voice = c.voice_members.length ? `  (in it: ${c.voice_members.map(name).join(", ")})` : "";
      out.push(`    ${icon} ${c.name} ${c.id}${who}${voice}`);
    }
  }
  const at = (name: string) => (name.startsWith("@") ? name : `@${name}`);
  out.push("  Roles:", ...s.roles.map((r) => `    ${at(r.name)} ${r.id} · ${r.members} member(s)`));
  out.push(
    "  Members:",
    ...s.members.map(
      (m) =>
        `    ${m.name} ${m.id}${m.bot ? " (bot)" : ""}${m.admin ? " (admin)" : ""} ${m.roles.map((r) => `@${s.roles.find((x) => x.id === r)?.name ?? r}`).join(" ")}`,
    ),
  );
  const status: Record<number, string> = { 1: "scheduled", 2: "active", 3: "completed", 4: "canceled" };
  out.push(
    "  Events:",
    ...(s.events.length
      ? s.events.map(
          (e) =>
            `    ${e.name} ${e.id} · ${status[e.status] ?? e.status} · ${timestamp(Date.parse(e.start) / 1000, "f", Date.now(), timeZone)} · ${e.users.length} interested`,
        )
      : ["    none"]),
  );
  return out.join("\n");
}
