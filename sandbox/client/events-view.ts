/** The Events tab: scheduled events with status and Interested, and what members do with them (create, edit, start, cancel). */
import type { EventView } from "../types.ts";
import { call, guildPath } from "./api.ts";
import { h } from "./dom.ts";
import { openForm } from "./form.ts";
import { formatTimestamp, relative } from "./markdown.ts";
import { memberName, store } from "./store.ts";

const STATUS: Record<number, string> = { 1: "Scheduled", 2: "Live now", 3: "Ended", 4: "Canceled" };

/** A Date as the value of an <input type="datetime-local"> in the viewer's timezone. */
function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const eventPath = (e: EventView, rest = "") => guildPath(`/scheduled-events/${e.id}${rest}`);

export async function createEvent(): Promise<void> {
  const values = await openForm({
    title: "Create an event",
    submit: "Create",
    fields: [
      { id: "name", label: "Topic", required: true, max_length: 100, placeholder: "Raid Night" },
      { id: "start", label: "Starts (your time)", kind: "datetime", value: localInput(new Date(Date.now() + 5 * 60_000)), required: true },
      { id: "minutes", label: "Duration (minutes)", kind: "number", value: "60" },
      { id: "location", label: "Location", value: "Somewhere" },
      { id: "description", label: "Description", kind: "paragraph", required: false },
      { id: "interested", label: "Mark me Interested", kind: "checkbox", value: "true" },
    ],
  });
  if (!values) return;
  const start = new Date(values.start ?? "");
  const created = await call<{ id: string }>("POST", guildPath("/scheduled-events"), {
    name: values.name,
    scheduled_start_time: start.toISOString(),
    scheduled_end_time: new Date(start.getTime() + Number(values.minutes || 60) * 60_000).toISOString(),
    location: values.location || "Somewhere",
    description: values.description || undefined,
    creator_id: store.me,
  });
  if (created && values.interested === "true") await call("POST", guildPath(`/scheduled-events/${created.id}/users`), { user_ids: [store.me] });
}

async function editEvent(e: EventView): Promise<void> {
  const values = await openForm({
    title: `Edit “${e.name}”`,
    submit: "Save",
    fields: [
      { id: "name", label: "Topic", value: e.name, required: true },
      { id: "start", label: "Starts (your time)", kind: "datetime", value: localInput(new Date(e.start)), required: true },
      { id: "end", label: "Ends (your time)", kind: "datetime", value: e.end ? localInput(new Date(e.end)) : "" },
      { id: "description", label: "Description", kind: "paragraph", value: e.description ?? "", required: false },
    ],
  });
  if (!values) return;
  await call("PATCH", eventPath(e), {
    name: values.name,
    scheduled_start_time: new Date(values.start ?? "").toISOString(),
    scheduled_end_time: values.end ? new Date(values.end).toISOString() : null,
    description: values.description || null,
  });
}

const setStatus = (e: EventView, status: number) => call("PATCH", eventPath(e), { status });

function card(e: EventView): HTMLElement {
  const me = store.me;
  const interested = e.users.includes(me);
  const startUnix = Date.parse(e.start) / 1000;
  const open = e.status === 1 || e.status === 2;
  return h(
    "article",
    { class: `event status-${e.status}`, "data-event": e.name },
    h(
      "div",
      { class: "event-when" },
      h("span", { class: `status s${e.status}` }, STATUS[e.status] ?? `status ${e.status}`),
      " ",
      formatTimestamp(startUnix, "F"),
      " · ",
      relative(startUnix * 1000),
    ),
    h("h3", {}, e.name),
    e.description ? h("p", {}, e.description) : null,
    h("div", { class: "muted" }, `📍 ${e.location ?? "—"} · created by ${memberName(e.creator_id)}`),
    h("div", { class: "muted interested-list" }, `⭐ ${e.users.length} interested`, e.users.length ? `: ${e.users.map(memberName).join(", ")}` : ""),
    h(
      "div",
      { class: "event-actions" },
      open
        ? h(
            "button",
            {
              class: `btn ${interested ? "success" : "secondary"}`,
              "data-action": "interested",
              onclick: () => (interested ? call("DELETE", eventPath(e, `/users/${me}`)) : call("POST", eventPath(e, "/users"), { user_ids: [me] })),
            },
            interested ? "✓ Interested" : "☆ Interested",
          )
        : null,
      open ? h("button", { class: "btn secondary", onclick: () => editEvent(e) }, "Edit") : null,
      e.status === 1 ? h("button", { class: "btn secondary", onclick: () => setStatus(e, 2) }, "Start") : null,
      e.status === 2 ? h("button", { class: "btn secondary", onclick: () => setStatus(e, 3) }, "End") : null,
      e.status === 1 ? h("button", { class: "btn danger", onclick: () => setStatus(e, 4) }, "Cancel event") : null,
      h("button", { class: "btn link", onclick: () => confirm(`Delete “${e.name}”?`) && call("DELETE", eventPath(e)) }, "Delete"),
    ),
  );
}

export function renderEvents(main: HTMLElement): void {
  const events = store.state?.events ?? [];
  main.replaceChildren(
    h(
      "header",
      { class: "view-head" },
      h("h1", {}, "📅 Events"),
      h("span", { class: "muted" }, `times in your timezone (${Intl.DateTimeFormat().resolvedOptions().timeZone})`),
      h("button", { class: "btn primary", id: "create-event", onclick: () => createEvent() }, "Create Event"),
    ),
    h(
      "div",
      { class: "events" },
      events.length ? events.map(card) : h("p", { class: "muted empty" }, "No scheduled events. Create one: the bot hears about it through the gateway."),
    ),
  );
}
