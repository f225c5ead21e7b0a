import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { registry } from "../features";
import { createServices } from "../services";
import { discordApi } from "./api";
import type { Discord } from "./rest";

/** A client that records what it was asked (method, route, options) and answers `{}`. */
function recording(log: string[], tag = ""): Discord {
  const as =
    (method: string) =>
    async <T>(route: string, data?: unknown): Promise<T> => {
      log.push(`${tag}${method} ${route} ${JSON.stringify(data ?? {}, (_k, v) => (v instanceof URLSearchParams ? v.toString() : v))}`);
      return {} as T;
    };
  return { get: as("get"), post: as("post"), put: as("put"), patch: as("patch"), delete: as("delete"), create: as("create") };
}

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
