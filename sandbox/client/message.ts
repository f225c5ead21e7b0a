/** A message as Discord shows it: author, the command it answers, markdown content, embeds, buttons and select menus. */
import type { MessageView } from "../types.ts";
import { type Child, h } from "./dom.ts";
import { chooseOptions, clickButton } from "./interactions.ts";
import { formatTimestamp, type MentionNames, markdown } from "./markdown.ts";
import { changed, channel, go, memberName, shown, store } from "./store.ts";

interface Embed {
  title?: string;
  url?: string;
  description?: string;
  color?: number;
  fields?: { name: string; value: string; inline?: boolean }[];
  footer?: { text: string };
  author?: { name: string };
  timestamp?: string;
  image?: { url: string };
  thumbnail?: { url: string };
}

interface Component {
  type: number;
  custom_id?: string;
  label?: string;
  style?: number;
  url?: string;
  disabled?: boolean;
  emoji?: { name?: string };
  placeholder?: string;
  min_values?: number;
  max_values?: number;
  options?: { label: string; value: string; description?: string; default?: boolean }[];
  components?: Component[];
}

export const names: MentionNames = {
  user: memberName,
  role: (id) => store.state?.roles.find((r) => r.id === id),
  channel: (id) => {
    const name = channel(id)?.name;
    return name === undefined ? undefined : shown(name);
  },
  openChannel: (id) => go({ kind: "channel", id }),
};

const hex = (n: number) => `#${n.toString(16).padStart(6, "0")}`;

function embed(e: Embed): HTMLElement {
  const title = e.title ? (e.url ? h("a", { href: e.url, target: "_blank", rel: "noreferrer" }, e.title) : e.title) : null;
  return h(
    "div",
    { class: "embed", style: `border-left-color:${e.color !== undefined ? hex(e.color) : "#1e1f22"}` },
    e.author ? h("div", { class: "embed-author" }, e.author.name) : null,
    title ? h("div", { class: "embed-title" }, title) : null,
    e.description ? markdown(e.description, names) : null,
    e.fields?.length
      ? h(
          "div",
          { class: "embed-fields" },
          e.fields.map((f) =>
            h("div", { class: `embed-field${f.inline ? " inline" : ""}` }, h("div", { class: "embed-field-name" }, f.name), markdown(f.value, names)),
          ),
        )
      : null,
    e.image ? h("div", { class: "embed-image" }, `🖼 ${e.image.url}`) : null,
    e.footer || e.timestamp
      ? h("div", { class: "embed-footer" }, [e.footer?.text, e.timestamp ? new Date(e.timestamp).toLocaleString() : null].filter(Boolean).join(" • "))
      : null,
  );
}

const BUTTON_STYLE: Record<number, string> = { 1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "primary" };

function button(m: MessageView, c: Component): HTMLElement {
  const label = [c.emoji?.name, c.label].filter(Boolean).join(" ");
  if (c.style === 5) return h("a", { class: "btn link-btn", href: c.url, target: "_blank", rel: "noreferrer" }, label, " ↗");
  return h(
    "button",
    {
      class: `btn ${BUTTON_STYLE[c.style ?? 2] ?? "secondary"}`,
      disabled: c.disabled,
      "data-custom-id": c.custom_id,
      onclick: (e: Event) => {
        (e.currentTarget as HTMLButtonElement).disabled = true;
        clickButton(m, c.custom_id ?? "").finally(() => changed());
      },
    },
    label,
  );
}

/** A select menu as a dropdown of checkboxes (or radio buttons when one value is picked); sends on Apply / pick. */
function select(m: MessageView, c: Component): HTMLElement {
  const many = (c.max_values ?? 1) > 1;
  const chosen = (c.options ?? []).filter((o) => o.default).map((o) => o.label);
  const summary = h("summary", {}, chosen.length ? chosen.join(", ") : (c.placeholder ?? "Make a selection"));
  const inputs = (c.options ?? []).map((o) => {
    const input = h("input", { type: many ? "checkbox" : "radio", name: `${m.id}-${c.custom_id}`, value: o.value, checked: o.default });
    if (!many) input.addEventListener("change", () => chooseOptions(m, c.custom_id ?? "", c.type, [o.value], c.min_values ?? 1));
    return h("label", { class: "option" }, input, h("span", {}, o.label, o.description ? h("small", {}, o.description) : null));
  });
  const apply = many
    ? h(
        "button",
        {
          class: "btn primary small",
          onclick: () => {
            const values = inputs
              .map((l) => l.querySelector("input") as HTMLInputElement)
              .filter((i) => i.checked)
              .map((i) => i.value);
            chooseOptions(m, c.custom_id ?? "", c.type, values, c.min_values ?? 1);
          },
        },
        "Apply",
      )
    : null;
  return h("details", { class: "select", "data-custom-id": c.custom_id, "aria-disabled": c.disabled }, summary, h("div", { class: "options" }, inputs, apply));
}

function components(m: MessageView, list: Component[]): Child[] {
  return list.map((c) => {
    if (c.type === 1) return h("div", { class: "action-row" }, components(m, c.components ?? []));
    if (c.type === 2) return button(m, c);
    if ([3, 5, 6, 7, 8].includes(c.type)) return select(m, c);
    if (c.type === 10) return markdown((c as { content?: string }).content ?? "", names);
    return h("div", { class: "unknown" }, `(component type ${c.type})`);
  });
}

function avatar(id: string, bot: boolean): HTMLElement {
  const name = bot ? "Event Bot" : memberName(id);
  const hue = [...id].reduce((a, ch) => (a * 31 + ch.charCodeAt(0)) % 360, 0);
  return h("div", { class: "avatar", style: `background:hsl(${hue} 45% 45%)` }, bot ? "🤖" : name.slice(0, 1).toUpperCase());
}

export function renderMessage(m: MessageView): HTMLElement {
  const bot = m.author_id === store.state?.bot_id || m.thinking;
  const author = bot ? "Event Bot" : memberName(m.author_id);
  const when = new Date(m.timestamp);
  return h(
    "article",
    { class: `message${m.ephemeral_to ? " ephemeral" : ""}`, "data-message-id": m.id },
    m.used ? h("div", { class: "used" }, h("span", { class: "mention" }, `@${memberName(m.used.user_id)}`), " used ", h("code", {}, m.used.command)) : null,
    h(
      "div",
      { class: "message-main" },
      avatar(m.author_id, bot),
      h(
        "div",
        { class: "message-body" },
        h(
          "div",
          { class: "message-head" },
          h("span", { class: "author" }, author),
          bot ? h("span", { class: "app-tag" }, "APP") : null,
          h("time", { class: "when", title: formatTimestamp(when.getTime() / 1000, "F") }, formatTimestamp(when.getTime() / 1000, "f")),
          m.edited ? h("span", { class: "edited" }, "(edited)") : null,
        ),
        m.thinking ? h("div", { class: "thinking" }, "Event Bot is thinking…") : m.content ? markdown(m.content, names) : null,
        (m.embeds as Embed[]).map(embed),
        components(m, m.components as Component[]),
        m.ephemeral_to
          ? h(
              "div",
              { class: "ephemeral-note" },
              "👁 Only you can see this • ",
              h(
                "a",
                {
                  href: "#",
                  onclick: (e: Event) => {
                    e.preventDefault();
                    store.dismissed.add(m.id);
                    changed();
                  },
                },
                "Dismiss message",
              ),
            )
          : null,
      ),
    ),
  );
}
