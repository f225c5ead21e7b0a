import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { registry } from "../features";
import { createServices } from "../services";
import { discordApi } from "./api";
import { failure } from "./failure.test-util";
import { createDiscord, type Discord } from "./rest";

/** A client that records what it was asked (method, route, options) and answers `{}`. */
function recording(log: string[], tag = ""): Discord {
  const as =
    (method: string) =>
    async <T>(route: string, data?: unknown): Promise<T> => {
      log.push(`${tag}${method} ${route} ${JSON.stringify(data ?? {}, (_k, v) => (v instanceof URLSearchParams ? v.toString() : v))}`);
      return {} as T;
    };
  return {
    get: as("get"),
    post: as("post"),
    put: as("put"),
    patch: as("patch"),
    delete: as("delete"),
    create: as("create"),
    putAlongside: as("put"),
    deleteAlongside: as("delete"),
    postAlongside: as("post"),
  };
}

interface Sent {
  method: string;
  path: string;
  reason: string | null;
  body: unknown;
  aborted: boolean;
}

/** The wire under a real client: every request as sent (method, path and query, audit-log reason, body), answered with `status`. */
function wire(status = 200) {
  const sent: Sent[] = [];
  const makeRequest = async (url: string, init: RequestInit): Promise<Response> => {
    const u = new URL(url);
    const reason = new Headers(init.headers).get("x-audit-log-reason");
    sent.push({
      method: init.method ?? "GET",
      path: `${u.pathname.replace(/^\/api\/v10/, "")}${u.search}`,
      reason: reason === null ? null : decodeURIComponent(reason),
      body: typeof init.body === "string" ? JSON.parse(init.body) : null,
      aborted: init.signal?.aborted ?? false,
    });
    if (status >= 400) return Response.json({ message: "boom", code: 0 }, { status });
    return init.method === "DELETE" || init.method === "PUT" ? new Response(null, { status: 204 }) : Response.json({ id: "100" });
  };
  return { sent, api: discordApi(createDiscord(env, { makeRequest, retries: 2 })) };
}

describe("the typed Discord API on the wire", () => {
  it("sends each method to its route with its body, query and audit-log reason", async () => {
    const { sent, api } = wire();
    await api.guilds.createRole("1", { name: "raid", permissions: "0", mentionable: true }, { reason: "Event: Raid night ✓" });
    await api.channels.edit("2", { name: "archived-raid" }, { reason: "Event over: archived" });
    await api.guilds.removeMemberRole("1", "3", "4", { reason: "No longer interested" });
    await api.channels.deleteMessage("2", "5");
    await api.scheduledEvents.list("1", { withUserCount: true });
    await api.scheduledEvents.users("1", "6", null);
    await api.users.openDm("7");
    expect(sent).toEqual([
      { method: "POST", path: "/guilds/1/roles", reason: "Event: Raid night ✓", body: { name: "raid", permissions: "0", mentionable: true }, aborted: false },
      { method: "PATCH", path: "/channels/2", reason: "Event over: archived", body: { name: "archived-raid" }, aborted: false },
      { method: "DELETE", path: "/guilds/1/members/3/roles/4", reason: "No longer interested", body: null, aborted: false },
      { method: "DELETE", path: "/channels/2/messages/5", reason: null, body: null, aborted: false },
      { method: "GET", path: "/guilds/1/scheduled-events?with_user_count=true", reason: null, body: null, aborted: false },
      { method: "GET", path: "/guilds/1/scheduled-events/6/users?limit=100", reason: null, body: null, aborted: false },
      { method: "POST", path: "/users/@me/channels", reason: null, body: { recipient_id: "7" }, aborted: false },
    ]);
  });

  it("sends a create once whatever the answer, while an edit is retried on a 5xx", async () => {
    const { sent, api } = wire(500);
    const event = { name: "e", privacy_level: 2, scheduled_start_time: "2026-12-01T00:00:00Z", entity_type: 3 } as const;
    await failure(api.guilds.createRole("1", { name: "r" }, { reason: "why" }));
    await failure(api.guilds.createChannel("1", { name: "c" }));
    await failure(api.scheduledEvents.create("1", event));
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /guilds/1/roles", "POST /guilds/1/channels", "POST /guilds/1/scheduled-events"]);
    sent.length = 0;
    await failure(api.scheduledEvents.edit("1", "2", { name: "e2" }));
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(Array(3).fill("PATCH /guilds/1/scheduled-events/2"));
  });

  it("hands the caller's signal to the request", async () => {
    const { sent, api } = wire();
    const controller = new AbortController();
    controller.abort();
    await api.scheduledEvents.list("1", { signal: controller.signal }).catch(() => undefined);
    expect(sent.map((r) => r.aborted)).toEqual([true]);
  });
});

describe("the typed Discord API", () => {
  it("creates roles, channels and scheduled events without blind retries, and carries reasons and queries", async () => {
    const log: string[] = [];
    const api = discordApi(recording(log));
    await api.guilds.createRole("1", { name: "r", permissions: "0" }, { reason: "why" });
    await api.guilds.createChannel("1", { name: "c" });
    await api.scheduledEvents.create("1", { name: "e", privacy_level: 2, scheduled_start_time: "2026-12-01T00:00:00Z", entity_type: 3 });
    await api.scheduledEvents.users("1", "2", "3", 50);
    await api.interactions.editOriginal("9", "tok", { content: "x" });
    expect(log).toEqual([
      'create /guilds/1/roles {"body":{"name":"r","permissions":"0"},"reason":"why"}',
      'create /guilds/1/channels {"body":{"name":"c"}}',
      'create /guilds/1/scheduled-events {"body":{"name":"e","privacy_level":2,"scheduled_start_time":"2026-12-01T00:00:00Z","entity_type":3}}',
      'get /guilds/1/scheduled-events/2/users {"query":"limit=50&after=3"}',
      'patch /webhooks/9/tok/messages/%40original {"body":{"content":"x"},"auth":false}',
    ]);
  });

  it("a service object derived with another client (a gated one) gets an api over that client", async () => {
    const s = createServices(env, () => undefined, registry);
    const log: string[] = [];
    const derived = Object.create(s, { discord: { value: recording(log, "gated "), enumerable: true } });
    await derived.api.channels.get("5");
    expect(log).toEqual(["gated get /channels/5 {}"]);
  });
});
