/** `/bot-config webhook add|list|remove|test`: outbound webhooks, their filters, and a test delivery. */
import { truncate } from "../../discord/message-limits";
import type { EmittedEvent } from "../../events/bus";
import { deliver, listWebhooks, refusedHost } from "../../events/sinks/webhooks";
import { cappedList } from "../../interactions/list-view";
import type { OptionReader } from "../../interactions/options";
import { UserError } from "../../interactions/types";
import type { Services } from "../../services";

const MAX_HOOKS = 5;
const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");

export async function webhookCommand(action: string, s: Services, guildId: string, o: OptionReader): Promise<string> {
  const db = s.env.DB;
  const hooks = await listWebhooks(db, guildId);
  if (action === "list") {
    if (!hooks.length) return "No webhooks. Add one with `/bot-config webhook add url:https://…`.";
    // Each filter can be 500 characters: five of them outgrow one message.
    const filter = (f: string[]) => truncate(f.length ? f.join(", ") : "all events", 300);
    return cappedList(
      "Webhooks:",
      hooks.map(
        (h) => `• \`${h.id}\` ${h.enabled ? "✅" : "⛔ disabled"} ${new URL(h.url).host} — ${filter(h.filter)}${h.failures ? ` (${h.failures} failures)` : ""}`,
      ),
    );
  }
  if (action === "add") {
    if (hooks.length >= MAX_HOOKS) throw new UserError(`A server can have ${MAX_HOOKS} webhooks.`);
    let url: URL;
    try {
      url = new URL(o.required(o.string("url"), "url").trim());
    } catch {
      throw new UserError("That is not a URL. Use the full address, e.g. `https://example.com/hooks/eventbot`.");
    }
    const allowed = (s.env.WEBHOOK_ALLOW_HOSTS ?? "")
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean);
    const refused = refusedHost(url, allowed);
    if (refused) throw new UserError(refused);
    const filter = (o.string("events") ?? "")
      .split(/[,\s]+/)
      .map((f) => f.trim())
      .filter(Boolean);
    if (filter.some((f) => !/^[a-z_]+(\.[a-z_]+|\.\*)$/.test(f))) throw new UserError("Events are names like `match.scheduled` or namespaces like `match.*`.");
    const id = hex(4);
    const secret = hex(32);
    await db
      .prepare("INSERT INTO webhooks (guild_id, id, url, filter, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(guildId, id, url.toString(), JSON.stringify(filter), secret, s.now())
      .run();
    return `Webhook \`${id}\` added for ${url.host}. Its signing secret (shown only now — store it): \`${secret}\`\nDeliveries carry \`X-Eventbot-Signature: sha256=HMAC(secret, timestamp + "." + body)\`; see the README.`;
  }
  const id = o.required(o.string("id"), "id").trim();
  const hook = hooks.find((h) => h.id === id);
  if (!hook) throw new UserError(`There is no webhook \`${id.slice(0, 20)}\` here.`);
  if (action === "remove") {
    await db.prepare("DELETE FROM webhooks WHERE guild_id = ? AND id = ?").bind(guildId, id).run();
    return `Webhook \`${id}\` removed.`;
  }
  const event: EmittedEvent = {
    id: crypto.randomUUID(),
    name: "webhook.test",
    level: "SYSTEM",
    guild_id: guildId,
    occurred_at: new Date(s.now()).toISOString(),
    data: { webhook_id: id },
  };
  try {
    const status = await deliver(hook, event, s.now());
    return status >= 200 && status < 300
      ? `Test delivered to ${new URL(hook.url).host} (HTTP ${status}).`
      : `${new URL(hook.url).host} answered HTTP ${status}.`;
  } catch (error) {
    return `Could not reach ${new URL(hook.url).host}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
