/** `/bot-config webhook add|list|remove|test`: outbound webhooks, their filters, and a test delivery. */
import { truncate } from "../../discord/message-limits";
import type { EmittedEvent } from "../../events/bus";
import { checkWebhookUrl, REFUSAL_TEXT } from "../../events/sinks/webhook-host";
import { allowedHosts, deliver, hostOf, listWebhooks, outcomeClass } from "../../events/sinks/webhooks";
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
        (h) => `• \`${h.id}\` ${h.enabled ? "✅" : "⛔ disabled"} ${hostOf(h.url)} — ${filter(h.filter)}${h.failures ? ` (${h.failures} failures)` : ""}`,
      ),
    );
  }
  if (action === "add") {
    if (hooks.length >= MAX_HOOKS) throw new UserError(`A server can have ${MAX_HOOKS} webhooks.`);
    const raw = o.required(o.string("url"), "url").trim();
    const url = URL.parse(raw);
    if (!url) throw new UserError("That is not a URL. Use the full address, e.g. `https://example.com/hooks/eventbot`.");
    const check = checkWebhookUrl(url.toString(), allowedHosts(s.env));
    if (!check.ok) throw new UserError(REFUSAL_TEXT[check.reason]);
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
  // Only the class of the answer: the admin chose the URL, so echoing bodies or error text would make this a probe.
  const outcome = await deliver(hook, event, s.now(), allowedHosts(s.env));
  return `Test delivery to webhook \`${id}\`: ${outcomeClass(outcome)}.`;
}
