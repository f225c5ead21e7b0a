/** Limits Discord enforces on messages that the OpenAPI schemas do not carry: 2000-character content, 6000 across embeds, 5 action rows, 100-character choice values. */
import type { Issue } from "./validate.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" ? v.length : 0);
const IS_COMPONENTS_V2 = 1 << 15;

function embedSize(e: unknown): number {
  if (!isObj(e)) return 0;
  const fields = Array.isArray(e.fields) ? e.fields.reduce((n: number, f) => n + (isObj(f) ? str(f.name) + str(f.value) : 0), 0) : 0;
  return str(e.title) + str(e.description) + fields + (isObj(e.footer) ? str(e.footer.text) : 0) + (isObj(e.author) ? str(e.author.name) : 0);
}

/** A message body (create, edit, webhook, or an interaction callback's data) at `path`. */
export function messageLimitIssues(body: unknown, path: (string | number)[] = []): Issue[] {
  if (!isObj(body)) return [];
  const issues: Issue[] = [];
  if (str(body.content) > 2000) issues.push({ path: [...path, "content"], code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." });
  if (Array.isArray(body.embeds) && body.embeds.reduce((n: number, e) => n + embedSize(e), 0) > 6000)
    issues.push({ path: [...path, "embeds"], code: "MAX_EMBED_SIZE_EXCEEDED", message: "Embed size exceeds maximum size of 6000" });
  const v2 = typeof body.flags === "number" && (body.flags & IS_COMPONENTS_V2) !== 0;
  if (!v2 && Array.isArray(body.components) && body.components.length > 5)
    issues.push({ path: [...path, "components"], code: "BASE_TYPE_MAX_LENGTH", message: "Must be 5 or fewer in length." });
  return issues;
}

/** The bot's answer to an interaction: message data, or autocomplete choices (string values of at most 100). */
export function callbackLimitIssues(body: unknown): Issue[] {
  if (!isObj(body) || !isObj(body.data)) return [];
  if (body.type === 4 || body.type === 7) return messageLimitIssues(body.data, ["data"]);
  const choices = body.data.choices;
  if (body.type !== 8 || !Array.isArray(choices)) return [];
  return choices.flatMap((c, i) =>
    isObj(c) && str(c.value) > 100 ? [{ path: ["data", "choices", i, "value"], code: "BASE_TYPE_MAX_LENGTH", message: "Must be 100 or fewer in length." }] : [],
  );
}
