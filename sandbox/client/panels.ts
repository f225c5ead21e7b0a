/** The right-hand panels besides the timeline: members (act as, add), roles (create, delete by hand) and fault switches. */
import type { MemberView, RoleView } from "../types.ts";
import { call, guildPath } from "./api.ts";
import { type Child, h } from "./dom.ts";
import { openForm } from "./form.ts";
import { channel, setMe, store } from "./store.ts";

const hex = (n: number) => (n ? `#${n.toString(16).padStart(6, "0")}` : undefined);

function rolePill(id: string): Child {
  const r = store.state?.roles.find((x) => x.id === id);
  return r ? h("span", { class: "pill", style: r.color ? `border-color:${hex(r.color)}` : undefined }, r.name) : null;
}

export async function addMember(): Promise<void> {
  const values = await openForm({
    title: "Add a member",
    submit: "Add",
    fields: [
      { id: "name", label: "Username", required: true, placeholder: "carol" },
      { id: "admin", label: "Give the Admin role (Manage Server, Channels, Events)", kind: "checkbox", value: "false" },
      { id: "dms", label: "Closed DMs (the bot cannot DM them)", kind: "checkbox", value: "false" },
    ],
  });
  if (!values) return;
  const admin = store.state?.admin_role_id;
  const user = await call<{ id: string }>("POST", "/_emulator/users", {
    username: values.name,
    guild_id: store.state?.guild.id,
    roles: values.admin === "true" && admin ? [admin] : [],
    dms_closed: values.dms === "true",
  });
  if (user) setMe(user.id);
}

function memberRow(m: MemberView): HTMLElement {
  const voice = m.voice ? channel(m.voice)?.name : null;
  return h(
    "li",
    { class: `member${m.id === store.me ? " me" : ""}`, "data-member": m.name },
    h(
      "div",
      { class: "member-head" },
      h("b", {}, m.name),
      m.bot ? h("span", { class: "app-tag" }, "APP") : null,
      m.owner ? " 👑" : null,
      m.admin && !m.owner ? " 🛡" : null,
    ),
    h("div", { class: "pills" }, m.roles.map(rolePill)),
    voice ? h("div", { class: "muted" }, `🎧 in ${voice}`) : null,
    !m.bot && m.id !== store.me ? h("button", { class: "mini", onclick: () => setMe(m.id) }, "Act as") : null,
  );
}

export function membersPanel(): Child {
  const members = store.state?.members ?? [];
  return [
    h("div", { class: "panel-actions" }, h("button", { class: "btn secondary", onclick: addMember }, "+ Add member")),
    h("ul", { class: "members" }, members.map(memberRow)),
  ];
}

async function newRole(): Promise<void> {
  const values = await openForm({
    title: "Create a role",
    submit: "Create",
    fields: [
      { id: "name", label: "Role name", required: true, placeholder: "Team Red" },
      { id: "mine", label: "Give it to the member you act as", kind: "checkbox", value: "true" },
    ],
  });
  if (values) await call("POST", guildPath("/roles"), { name: values.name, user_ids: values.mine === "true" ? [store.me] : [] });
}

function roleRow(r: RoleView): HTMLElement {
  const holds = store.state?.members.find((m) => m.id === store.me)?.roles.includes(r.id);
  return h(
    "li",
    { class: "role", "data-role": r.name, title: r.permissions.join(", ") || "no permissions" },
    h("span", { class: "dot", style: `background:${hex(r.color) ?? "#99aab5"}` }),
    h("b", {}, r.name),
    h("span", { class: "muted" }, ` ${r.members} member${r.members === 1 ? "" : "s"}${r.managed ? " · managed" : ""}${holds ? " · yours" : ""}`),
    h("div", { class: "muted small" }, r.permissions.slice(0, 6).join(", ") + (r.permissions.length > 6 ? ` +${r.permissions.length - 6}` : "")),
    r.everyone || r.managed
      ? null
      : h(
          "button",
          {
            class: "mini danger",
            title: "Delete by hand (as an admin)",
            onclick: () => confirm(`Delete role ${r.name}?`) && call("DELETE", guildPath(`/roles/${r.id}`)),
          },
          "🗑",
        ),
  );
}

export function rolesPanel(): Child {
  return [
    h("div", { class: "panel-actions" }, h("button", { class: "btn secondary", onclick: newRole }, "+ New role")),
    h("ul", { class: "roles" }, (store.state?.roles ?? []).map(roleRow)),
  ];
}

const fault = (body: Record<string, unknown>) => call("POST", "/_emulator/faults", body);

async function customFault(): Promise<void> {
  const v = await openForm({
    title: "Inject a fault",
    submit: "Inject",
    fields: [
      { id: "path", label: "Path contains (e.g. /channels, /scheduled-events; / = every call)", value: "/" },
      { id: "method", label: "Method (empty = any)", value: "" },
      { id: "status", label: "Status", kind: "number", value: "503" },
      { id: "times", label: "How many calls (empty = until cleared)", kind: "number", value: "3" },
      { id: "retryAfter", label: "Retry-After seconds (429 only)", kind: "number", value: "1" },
      { id: "global", label: "Global rate limit (429 only)", kind: "checkbox", value: "false" },
    ],
  });
  if (!v) return;
  await fault({
    path: v.path || "/",
    ...(v.method ? { method: v.method.toUpperCase() } : {}),
    status: Number(v.status),
    ...(v.times ? { times: Number(v.times) } : {}),
    ...(v.status === "429" ? { retryAfter: Number(v.retryAfter || 1), global: v.global === "true" } : {}),
  });
}

export function faultsPanel(): Child {
  const s = store.state;
  return [
    h("p", { class: "muted" }, "Break Discord on purpose and watch the bot recover in the timeline."),
    h(
      "div",
      { class: "fault-buttons" },
      h("button", { class: "btn danger", "data-fault": "5xx", onclick: () => fault({ path: "/", status: 503, times: 3 }) }, "Next 3 calls: 503"),
      h(
        "button",
        { class: "btn danger", "data-fault": "429", onclick: () => fault({ path: "/", status: 429, retryAfter: 2, times: 5 }) },
        "429 storm (5 calls, 2 s)",
      ),
      h(
        "button",
        { class: "btn danger", "data-fault": "global-429", onclick: () => fault({ path: "/", status: 429, retryAfter: 1, global: true, times: 3 }) },
        "Global 429 ×3",
      ),
      h("button", { class: "btn danger", "data-fault": "drop", onclick: () => call("POST", "/_emulator/gateway/drop", {}) }, "Drop the gateway"),
      h("button", { class: "btn secondary", onclick: customFault }, "Custom fault…"),
      h("button", { class: "btn secondary", onclick: () => call("DELETE", "/_emulator/faults") }, "Clear faults"),
    ),
    h("h3", {}, "Active faults"),
    s?.faults.length
      ? h(
          "ul",
          { class: "faults" },
          s.faults.map((f) =>
            h(
              "li",
              {},
              `${f.method ?? "any"} *${f.path}* → ${f.status ?? "hang"}${f.global ? " (global)" : ""} · hit ${f.hits}${f.times !== undefined ? ` of ${f.times}` : ""}`,
            ),
          ),
        )
      : h("p", { class: "muted" }, "none"),
    h("h3", {}, "Gateway sessions"),
    h(
      "ul",
      { class: "sessions" },
      (s?.gateway ?? []).map((g) =>
        h("li", {}, `${g.connected ? "🟢 connected" : "🔴 disconnected"} · ${g.id.slice(0, 8)} · seq ${g.seq} · ${g.identifies} identify, ${g.resumes} resume`),
      ),
    ),
  ];
}
