/** The open channel or DM: its header (who can see it, the bot's overwrites), and its messages as the viewer sees them. */
import type { ChannelView, MessageView } from "../types.ts";
import { type Child, fill, h } from "./dom.ts";
import { renderMessage } from "./message.ts";
import { channel, member, memberName, shown, store } from "./store.ts";

/** Rendered messages by id and content, so a push that changes one message keeps the others (and open menus) as they are. */
const cache = new Map<string, { key: string; el: HTMLElement }>();

function visibleToViewer(m: MessageView): boolean {
  return (!m.ephemeral_to || m.ephemeral_to === store.me) && !store.dismissed.has(m.id);
}

function overwritesTable(c: ChannelView): Child {
  if (!c.overwrites.length) return h("p", { class: "muted" }, "No permission overwrites: it follows its category and the roles.");
  return h(
    "table",
    { class: "overwrites" },
    h("tr", {}, h("th", {}, "Overwrite for"), h("th", {}, "Allowed"), h("th", {}, "Denied")),
    c.overwrites.map((o) =>
      h(
        "tr",
        {},
        h("td", {}, o.kind === "role" ? `@${o.name}` : o.name),
        h("td", { class: "allow" }, o.allow.join(", ") || "—"),
        h("td", { class: "deny" }, o.deny.join(", ") || "—"),
      ),
    ),
  );
}

function header(c: ChannelView | undefined, dmOf: string | undefined): Child {
  if (!c) return h("header", { class: "view-head" }, h("h1", {}, `✉ ${dmOf ?? ""} ↔ Event Bot`), h("span", { class: "muted" }, "Direct messages"));
  return h(
    "header",
    { class: "view-head" },
    h("h1", {}, `${c.type === 2 ? "🔊" : "#"} ${shown(c.name)}`),
    c.topic ? h("span", { class: "topic" }, c.topic) : null,
    h(
      "details",
      { class: "access" },
      h("summary", {}, `👁 Visible to ${c.visible_to.length} of ${store.state?.members.length ?? 0}: `, c.visible_to.map(memberName).join(", ") || "nobody"),
      overwritesTable(c),
      c.type === 2 ? h("p", {}, "Can connect: ", c.can_connect.map(memberName).join(", ") || "nobody") : null,
    ),
  );
}

function list(channelId: string): HTMLElement {
  const messages = (store.state?.messages[channelId] ?? []).filter(visibleToViewer);
  const box = h("div", { class: "messages", id: "messages" });
  if (!messages.length) box.appendChild(h("p", { class: "muted empty" }, "No messages yet."));
  const keep = new Set<string>();
  for (const m of messages) {
    const key = JSON.stringify(m) + store.me;
    let entry = cache.get(m.id);
    if (!entry || entry.key !== key) {
      entry = { key, el: renderMessage(m) };
      cache.set(m.id, entry);
    }
    keep.add(m.id);
    box.appendChild(entry.el);
  }
  if (cache.size > 2000) for (const id of cache.keys()) if (!keep.has(id)) cache.delete(id);
  return box;
}

/** Fills `main` with the channel; keeps the scroll at the bottom when it was there. */
export function renderChannel(main: HTMLElement, channelId: string): void {
  const old = main.querySelector("#messages");
  const atBottom = !old || old.scrollHeight - old.scrollTop - old.clientHeight < 40;
  const top = old?.scrollTop ?? 0;
  const c = channel(channelId);
  const dmOf = c ? undefined : store.state?.members.find((m) => m.dm_channel === channelId)?.name;
  const openAccess = main.querySelector("details.access")?.hasAttribute("open");
  fill(main, header(c, dmOf), list(channelId));
  if (openAccess) main.querySelector("details.access")?.setAttribute("open", "");
  const box = main.querySelector("#messages") as HTMLElement;
  box.scrollTop = atBottom ? box.scrollHeight : top;
  if (c && !c.visible_to.includes(store.me))
    box.prepend(h("p", { class: "warning" }, `${member(store.me)?.name ?? "You"} cannot see this channel in Discord; the sandbox shows it anyway.`));
}
