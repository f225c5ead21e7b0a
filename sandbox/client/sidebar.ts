/** The server sidebar: Events, channels by category (locks, who is in voice, join/leave, delete), and members' DMs. */
import type { ChannelView } from "../types.ts";
import { call, guildPath } from "./api.ts";
import { type Child, h } from "./dom.ts";
import { go, memberName, shown, store } from "./store.ts";

const ICON: Record<number, string> = { 0: "#", 2: "🔊", 4: "▾", 5: "📣", 13: "🎙", 15: "💬" };

function isPrivate(c: ChannelView): boolean {
  return c.overwrites.some((o) => o.id === store.state?.guild.id && o.deny.includes("View Channel"));
}

function accessTitle(c: ChannelView): string {
  const who = c.visible_to.map(memberName).join(", ") || "nobody";
  const lines = c.overwrites.map(
    (o) => `${o.kind === "role" ? "@" : ""}${o.name}: ${o.allow.length ? `+${o.allow.join(", +")}` : ""}${o.deny.length ? ` −${o.deny.join(", −")}` : ""}`,
  );
  return [`Visible to: ${who}`, ...(lines.length ? ["Overwrites:", ...lines] : ["No overwrites (synced with the category)"])].join("\n");
}

async function deleteChannel(c: ChannelView) {
  if (confirm(`Delete ${c.type === 4 ? "category" : "channel"} "${c.name}" by hand?`)) await call("DELETE", `/_emulator/channels/${c.id}`);
}

async function setVoice(channelId: string | null) {
  await call("POST", guildPath("/voice"), { user_id: store.me, channel_id: channelId });
}

function channelRow(c: ChannelView): Child {
  const me = store.me;
  const hidden = !c.visible_to.includes(me);
  const active = store.view.kind === "channel" && store.view.id === c.id;
  const inHere = c.voice_members.includes(me);
  const row = h(
    "div",
    {
      class: `channel${active ? " active" : ""}${hidden ? " hidden-to-me" : ""}`,
      "data-channel": c.name,
      "data-channel-id": c.id,
      title: accessTitle(c),
      onclick: () => go({ kind: "channel", id: c.id }),
    },
    h("span", { class: "icon" }, ICON[c.type] ?? "#"),
    h("span", { class: "name" }, shown(c.name)),
    isPrivate(c) ? h("span", { class: "lock", title: "@everyone cannot see it" }, "🔒") : null,
    hidden ? h("span", { class: "tag" }, "hidden from you") : null,
    h(
      "span",
      { class: "row-actions" },
      c.type === 2
        ? h(
            "button",
            {
              class: "mini",
              onclick: (e: Event) => {
                e.stopPropagation();
                void setVoice(inHere ? null : c.id);
              },
              disabled: !inHere && !c.can_connect.includes(me),
            },
            inHere ? "Leave" : "Join",
          )
        : null,
      h(
        "button",
        {
          class: "mini danger",
          title: "Delete by hand (as an admin)",
          onclick: (e: Event) => {
            e.stopPropagation();
            void deleteChannel(c);
          },
        },
        "🗑",
      ),
    ),
  );
  const voice = c.voice_members.length
    ? h(
        "ul",
        { class: "voice-members" },
        c.voice_members.map((u) => h("li", {}, "🎧 ", memberName(u))),
      )
    : null;
  return [row, voice];
}

function dms(): Child {
  const list = (store.state?.members ?? []).filter((m) => m.dm_channel);
  if (!list.length) return null;
  return [
    h("div", { class: "category" }, "▾ Direct messages with the bot"),
    list.map((m) => {
      const id = m.dm_channel as string;
      const active = store.view.kind === "channel" && store.view.id === id;
      const count = store.state?.messages[id]?.length ?? 0;
      return h(
        "div",
        { class: `channel dm${active ? " active" : ""}${m.id === store.me ? " mine" : ""}`, "data-dm": m.name, onclick: () => go({ kind: "channel", id }) },
        h("span", { class: "icon" }, "✉"),
        h("span", { class: "name" }, m.name),
        h("span", { class: "tag" }, String(count)),
      );
    }),
  ];
}

export function renderSidebar(): Child[] {
  const s = store.state;
  if (!s) return [];
  const upcoming = s.events.filter((e) => e.status === 1 || e.status === 2).length;
  return [
    h("div", { class: "guild-name" }, s.guild.name),
    h(
      "div",
      { class: `channel events-link${store.view.kind === "events" ? " active" : ""}`, onclick: () => go({ kind: "events" }), "data-nav": "events" },
      h("span", { class: "icon" }, "📅"),
      h("span", { class: "name" }, `Events${upcoming ? ` (${upcoming})` : ""}`),
    ),
    s.sections.map((sec) => [
      sec.category
        ? h(
            "div",
            {
              class: `category${sec.category.visible_to.includes(store.me) ? "" : " hidden-to-me"}`,
              title: accessTitle(sec.category),
              "data-category": sec.category.name,
            },
            h("span", {}, `▾ ${sec.category.name.toUpperCase()}`),
            isPrivate(sec.category) ? " 🔒" : null,
            h("span", { class: "row-actions" }, h("button", { class: "mini danger", onclick: () => deleteChannel(sec.category as ChannelView) }, "🗑")),
          )
        : null,
      sec.channels.map(channelRow),
    ]),
    dms(),
  ];
}
