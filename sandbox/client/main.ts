/** The sandbox page: lays out the Discord-like client and keeps it live from the emulator's event stream. */
import type { SandboxState, TimelineEntry } from "../types.ts";
import { renderChannel } from "./channel-view.ts";
import { Composer } from "./composer.ts";
import { fill, h } from "./dom.ts";
import { renderEvents } from "./events-view.ts";
import { addMember, faultsPanel, membersPanel, rolesPanel } from "./panels.ts";
import { renderSidebar } from "./sidebar.ts";
import { onChange, setMe, setState, store } from "./store.ts";
import { addEntries, clearTimeline, timelinePanel } from "./timeline-view.ts";

type Tab = "timeline" | "members" | "roles" | "faults";
let tab: Tab = "timeline";

const acting = h("select", { id: "acting", onchange: (e: Event) => setMe((e.target as HTMLSelectElement).value) });
const live = h("span", { class: "live off", id: "live" }, "● connecting");
const sidebar = h("nav", { id: "sidebar" });
const view = h("section", { id: "view" });
const composer = new Composer();
const timeline = timelinePanel();
const panelBody = h("div", { class: "panel-body" });
const tabs = h("div", { class: "tabs", role: "tablist" });

function renderTabs(): void {
  const names: [Tab, string][] = [
    ["timeline", "Timeline"],
    ["members", "Members"],
    ["roles", "Roles"],
    ["faults", "Faults"],
  ];
  fill(
    tabs,
    names.map(([t, label]) =>
      h(
        "button",
        {
          class: `tab${t === tab ? " active" : ""}`,
          role: "tab",
          "data-tab": t,
          onclick: () => {
            tab = t;
            render();
          },
        },
        label,
      ),
    ),
  );
}

function renderActing(): void {
  const humans = store.state?.members.filter((m) => !m.bot) ?? [];
  fill(
    acting,
    humans.map((m) => h("option", { value: m.id, selected: m.id === store.me }, `${m.name}${m.owner ? " (owner)" : m.admin ? " (admin)" : ""}`)),
  );
}

function render(): void {
  if (!store.state) return;
  fill(sidebar, renderSidebar());
  if (store.view.kind === "events") renderEvents(view);
  else renderChannel(view, store.view.id);
  composer.update();
  renderActing();
  renderTabs();
  timeline.hidden = tab !== "timeline";
  panelBody.hidden = tab === "timeline";
  if (tab === "members") fill(panelBody, membersPanel());
  if (tab === "roles") fill(panelBody, rolesPanel());
  if (tab === "faults") fill(panelBody, faultsPanel());
}

function connect(): void {
  const source = new EventSource("/_sandbox/events");
  source.addEventListener("open", () => {
    live.className = "live on";
    live.textContent = "● live";
  });
  source.addEventListener("error", () => {
    live.className = "live off";
    live.textContent = "● reconnecting";
  });
  source.addEventListener("state", (e) => {
    const s = JSON.parse((e as MessageEvent).data) as SandboxState | null;
    if (s) setState(s);
  });
  source.addEventListener("timeline-backlog", (e) => {
    clearTimeline();
    addEntries(JSON.parse((e as MessageEvent).data) as TimelineEntry[]);
  });
  source.addEventListener("timeline", (e) => addEntries([JSON.parse((e as MessageEvent).data) as TimelineEntry]));
}

document.body.append(
  h(
    "header",
    { id: "top" },
    h("b", {}, "eventbot sandbox"),
    h("span", { class: "muted" }, "an emulated Discord server with the real bot behind it"),
    h("span", { class: "spacer" }),
    h("label", {}, "Acting as ", acting),
    h("button", { class: "btn secondary small", onclick: addMember }, "+ member"),
    h("span", { class: "muted", title: "Times and <t:…> timestamps are shown in this timezone" }, `🕑 ${Intl.DateTimeFormat().resolvedOptions().timeZone}`),
    live,
  ),
  h("div", { id: "layout" }, sidebar, h("main", {}, view, composer.el), h("aside", { id: "panel" }, tabs, timeline, panelBody)),
);
onChange(render);
connect();
