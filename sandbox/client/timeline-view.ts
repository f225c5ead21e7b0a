/** The live timeline: what the bot did (REST calls with status, gateway dispatches, timers, bus events), newest first. */
import type { TimelineEntry, TimelineKind } from "../types.ts";
import { h } from "./dom.ts";

const KINDS: [TimelineKind, string][] = [
  ["interaction", "interactions"],
  ["rest", "REST"],
  ["gateway", "gateway"],
  ["timer", "timers"],
  ["bus", "bus events"],
  ["member", "members"],
  ["cron", "cron"],
  ["log", "logs"],
];
const MAX_ROWS = 600;

const list = h("ol", { class: "timeline", id: "timeline" });
const hidden = new Set<TimelineKind>();

function time(at: number): string {
  const d = new Date(at);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

function row(e: TimelineEntry): HTMLElement {
  const parts = [
    h("span", { class: "t" }, time(e.at)),
    h("span", { class: `kind k-${e.kind}` }, e.kind),
    h("span", { class: "title" }, e.title),
    e.detail ? h("span", { class: "detail" }, e.detail) : null,
  ];
  const content =
    e.data === undefined ? h("div", { class: "flat" }, parts) : h("details", {}, h("summary", {}, parts), h("pre", {}, JSON.stringify(e.data, null, 2)));
  return h("li", { class: `entry ${e.level} k-${e.kind}`, "data-kind": e.kind, "data-at": e.at, hidden: hidden.has(e.kind) }, content);
}

/** Newest first, by when things happened: an interaction is logged when the bot answers but sorts where it began. */
export function addEntries(entries: TimelineEntry[]): void {
  for (const e of entries) {
    let after: Element | null = list.firstElementChild;
    while (after && Number((after as HTMLElement).dataset.at) > e.at) after = after.nextElementSibling;
    list.insertBefore(row(e), after);
  }
  while (list.childElementCount > MAX_ROWS) list.lastElementChild?.remove();
}

export function clearTimeline(): void {
  list.replaceChildren();
}

function toggle(kind: TimelineKind, on: boolean): void {
  if (on) hidden.delete(kind);
  else hidden.add(kind);
  for (const li of list.querySelectorAll<HTMLElement>(`li[data-kind="${kind}"]`)) li.hidden = !on;
}

export function timelinePanel(): HTMLElement {
  return h(
    "div",
    { class: "timeline-panel" },
    h(
      "div",
      { class: "filters" },
      KINDS.map(([k, label]) =>
        h(
          "label",
          { class: `chip k-${k}` },
          h("input", { type: "checkbox", checked: true, onchange: (e: Event) => toggle(k, (e.target as HTMLInputElement).checked) }),
          label,
        ),
      ),
      h("button", { class: "mini", onclick: clearTimeline }, "Clear"),
    ),
    list,
  );
}
