/** Discord's message markdown as the client renders it: mentions, <t:…> timestamps in the viewer's timezone, formatting. */
import { type Child, h } from "./dom.ts";

export interface MentionNames {
  user(id: string): string;
  role(id: string): { name: string; color: number } | undefined;
  channel(id: string): string | undefined;
  openChannel(id: string): void;
}

const INLINE = new RegExp(
  [
    "(?<code>`[^`\\n]+`)",
    "(?<bold>\\*\\*(?<boldText>[\\s\\S]+?)\\*\\*)",
    "(?<under>__(?<underText>[\\s\\S]+?)__)",
    "(?<italic>\\*(?<italicText>[^*\\s][^*]*?)\\*|\\b_(?<italicText2>[^_\\s][^_]*?)_\\b)",
    "(?<strike>~~(?<strikeText>[\\s\\S]+?)~~)",
    "(?<time><t:(?<unix>-?\\d+)(?::(?<style>[tTdDfFR]))?>)",
    "(?<user><@!?(?<userId>\\d+)>)",
    "(?<role><@&(?<roleId>\\d+)>)",
    "(?<chan><#(?<chanId>\\d+)>)",
    "(?<everyone>@everyone|@here)",
    "(?<link>\\[(?<linkText>[^\\]]+)\\]\\(<?(?<linkUrl>https?:\\/\\/[^)\\s>]+)>?\\))",
    "(?<url><?(?<bareUrl>https?:\\/\\/[^\\s<>]+[^\\s<>.,;:!?)\\]])>?)",
  ].join("|"),
  "g",
);

const STYLES: Record<string, Intl.DateTimeFormatOptions> = {
  t: { hour: "numeric", minute: "2-digit" },
  T: { hour: "numeric", minute: "2-digit", second: "2-digit" },
  d: { day: "2-digit", month: "2-digit", year: "numeric" },
  D: { day: "numeric", month: "long", year: "numeric" },
  f: { day: "numeric", month: "long", year: "numeric", hour: "numeric", minute: "2-digit" },
  F: { weekday: "long", day: "numeric", month: "long", year: "numeric", hour: "numeric", minute: "2-digit" },
};

/** "in 3 hours", "5 minutes ago": Discord's R style. */
export function relative(ms: number, now = Date.now()): string {
  const diff = (ms - now) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 31_536_000],
    ["month", 2_592_000],
    ["day", 86_400],
    ["hour", 3600],
    ["minute", 60],
    ["second", 1],
  ];
  const fmt = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, secs] of units) if (Math.abs(diff) >= secs || unit === "second") return fmt.format(Math.round(diff / secs), unit);
  return "";
}

/** A `<t:unix:style>` as Discord shows it, in the viewer's own timezone. */
export function formatTimestamp(unix: number, style = "f"): string {
  const ms = unix * 1000;
  if (style === "R") return relative(ms);
  return new Intl.DateTimeFormat(undefined, STYLES[style] ?? STYLES.f).format(new Date(ms));
}

function inline(text: string, names: MentionNames): Child[] {
  const out: Child[] = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const g = m.groups ?? {};
    if ((m.index ?? 0) > last) out.push(text.slice(last, m.index));
    last = (m.index ?? 0) + m[0].length;
    out.push(token(g, names));
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function token(g: Record<string, string | undefined>, names: MentionNames): Child {
  if (g.code) return h("code", { class: "inline" }, g.code.slice(1, -1));
  if (g.bold) return h("strong", {}, inline(g.boldText ?? "", names));
  if (g.under) return h("u", {}, inline(g.underText ?? "", names));
  if (g.italic) return h("em", {}, inline(g.italicText ?? g.italicText2 ?? "", names));
  if (g.strike) return h("s", {}, inline(g.strikeText ?? "", names));
  if (g.time) {
    const unix = Number(g.unix);
    return h("time", { class: "ts", datetime: new Date(unix * 1000).toISOString(), title: formatTimestamp(unix, "F") }, formatTimestamp(unix, g.style ?? "f"));
  }
  if (g.user) return h("span", { class: "mention" }, `@${names.user(g.userId ?? "")}`);
  if (g.role) {
    const role = names.role(g.roleId ?? "");
    const color = role?.color ? `#${role.color.toString(16).padStart(6, "0")}` : undefined;
    return h("span", { class: "mention mention-role", style: color ? `color:${color}` : undefined }, `@${role?.name ?? "deleted-role"}`);
  }
  if (g.chan) {
    const id = g.chanId ?? "";
    const name = names.channel(id);
    return h("span", { class: "mention mention-channel", onclick: () => name && names.openChannel(id) }, name ? `#${name}` : "#unknown");
  }
  if (g.everyone) return h("span", { class: "mention" }, g.everyone);
  if (g.link) return h("a", { href: g.linkUrl, target: "_blank", rel: "noreferrer" }, inline(g.linkText ?? "", names));
  // Discord shows a link to one of the server's channels as that channel's mention.
  const jump = g.bareUrl?.match(/^https:\/\/(?:\w+\.)?discord(?:app)?\.com\/channels\/\d+\/(\d+)$/);
  if (jump?.[1] && names.channel(jump[1])) return token({ chan: g.bareUrl, chanId: jump[1] }, names);
  return h("a", { href: g.bareUrl, target: "_blank", rel: "noreferrer" }, g.bareUrl ?? "");
}

function line(text: string, names: MentionNames): Node {
  const heading = text.match(/^(#{1,3}) (.*)$/);
  if (heading) return h(`h${(heading[1] ?? "#").length + 2}` as "h3", { class: "md-h" }, inline(heading[2] ?? "", names));
  if (text.startsWith("-# ")) return h("div", { class: "subtext" }, inline(text.slice(3), names));
  if (text.startsWith("> ")) return h("div", { class: "quote" }, inline(text.slice(2), names));
  const item = text.match(/^\s*[-*] (.*)$/);
  if (item) return h("div", { class: "li" }, "• ", inline(item[1] ?? "", names));
  return h("div", { class: "line" }, text === "" ? "\u00a0" : inline(text, names));
}

/** Renders message or embed text: code blocks, headings, quotes, lists, inline formatting and mentions. */
export function markdown(text: string, names: MentionNames): HTMLElement {
  const root = h("div", { class: "md" });
  // U+1CBC, the "invisible" space bots put in channel names, shows as a space in Discord's font.
  const parts = text.replace(/\u1cbc/g, " ").split(/```(?:[a-z]*\n)?([\s\S]*?)```/g);
  parts.forEach((part, i) => {
    if (i % 2 === 1) root.appendChild(h("pre", {}, part.replace(/\n$/, "")));
    else if (part !== "") for (const l of part.replace(/^\n|\n$/g, "").split("\n")) root.appendChild(line(l, names));
  });
  return root;
}
