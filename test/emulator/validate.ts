/** Validates request bodies against Discord's OpenAPI-derived zod schemas, strictly (unknown keys are errors). */
import * as S from "discord-api-spec/preview/zod";
import * as z from "zod/mini";
import { callbackLimitIssues, messageLimitIssues } from "./message-limits.ts";

type Schema = z.ZodMiniType;
// biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definition tree.
type Def = any;

/** A schema by name; throws at load time if a discord-api-spec update renamed it. */
function spec(name: string): Schema {
  // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the table is built once at load.
  const schema = S[`${name}Schema`];
  if (!schema) throw new Error(`discord-api-spec has no ${name}Schema`);
  return schema;
}

const union = (...options: Schema[]) => z.union(options as [Schema, Schema, ...Schema[]]);

/** Checks Discord makes beyond the schema (see message-limits.ts), by schema. */
const LIMIT_CHECKS = new Map<Schema, (body: unknown) => Issue[]>();
function withLimits(schema: Schema, check: (body: unknown) => Issue[]): Schema {
  LIMIT_CHECKS.set(schema, check);
  return schema;
}
const messageSchema = (schema: Schema) => withLimits(schema, (body) => messageLimitIssues(body));

/** Request-body schemas by "METHOD /route/template", as the OpenAPI document pairs them. */
const BODY_SCHEMAS: Record<string, Schema> = {
  "PUT /applications/:id/commands": z.array(spec("ApplicationCommandUpdateRequest")).check(z.maxLength(130)),
  "PUT /applications/:id/guilds/:id/commands": z.array(spec("ApplicationCommandUpdateRequest")).check(z.maxLength(130)),
  "POST /applications/:id/commands": spec("ApplicationCommandCreateRequest"),
  "PATCH /webhooks/:id/:token/messages/@original": messageSchema(spec("IncomingWebhookUpdateRequestPartial")),
  "PATCH /webhooks/:id/:token/messages/:id": messageSchema(spec("IncomingWebhookUpdateRequestPartial")),
  "POST /webhooks/:id/:token": messageSchema(union(spec("IncomingWebhookRequestPartial"), spec("IncomingWebhookUpdateRequestPartial"))),
  "POST /guilds/:id/scheduled-events": union(
    spec("ExternalScheduledEventCreateRequest"),
    spec("StageScheduledEventCreateRequest"),
    spec("VoiceScheduledEventCreateRequest"),
  ),
  "PATCH /guilds/:id/scheduled-events/:id": union(
    spec("ExternalScheduledEventPatchRequestPartial"),
    spec("StageScheduledEventPatchRequestPartial"),
    spec("VoiceScheduledEventPatchRequestPartial"),
  ),
  "POST /guilds/:id/roles": spec("CreateRoleRequest"),
  "PATCH /guilds/:id/roles/:id": spec("UpdateRoleRequestPartial"),
  "POST /guilds/:id/channels": spec("CreateGuildChannelRequest"),
  "PATCH /channels/:id": spec("UpdateGuildChannelRequestPartial"),
  "POST /users/@me/channels": spec("CreatePrivateChannelRequest"),
  "POST /channels/:id/messages": messageSchema(spec("MessageCreateRequest")),
  "PATCH /channels/:id/messages/:id": messageSchema(spec("MessageEditRequestPartial")),
};

/** The bot's HTTP answer to an interaction, validated like a POST to /callback. */
export const CALLBACK_SCHEMA: Schema = withLimits(
  union(
    spec("PongInteractionCallbackRequest"),
    spec("CreateMessageInteractionCallbackRequest"),
    spec("UpdateMessageInteractionCallbackRequest"),
    spec("ApplicationCommandAutocompleteCallbackRequest"),
    spec("ModalInteractionCallbackRequest"),
  ),
  callbackLimitIssues,
);

export function schemaFor(method: string, template: string): Schema | undefined {
  return BODY_SCHEMAS[`${method} ${template}`];
}

export interface Issue {
  path: (string | number)[];
  code: string;
  message: string;
}

/** Keys present in `value` that the schema does not declare, walking into the branch that parses. */
function unknownKeys(schema: Schema, value: unknown, path: (string | number)[], out: Issue[]): void {
  const def: Def = (schema as Def)._zod.def;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
    case "nonoptional":
      if (value !== undefined && value !== null) unknownKeys(def.innerType, value, path, out);
      return;
    case "lazy":
      unknownKeys(def.getter(), value, path, out);
      return;
    case "pipe":
      unknownKeys(def.in, value, path, out);
      return;
    case "array":
      if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) unknownKeys(def.element, v, [...path, i], out);
      }
      return;
    case "union": {
      const branches = def.options.filter((o: Schema) => o.safeParse(value).success);
      // The strictest branch that parses decides: the one reporting the fewest unknown keys.
      let best: Issue[] | null = null;
      for (const branch of branches) {
        const found: Issue[] = [];
        unknownKeys(branch, value, path, found);
        if (!best || found.length < best.length) best = found;
      }
      if (best) out.push(...best);
      return;
    }
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return;
      for (const [k, v] of Object.entries(value)) {
        const prop = def.shape[k];
        if (!prop) out.push({ path: [...path, k], code: "UNKNOWN_FIELD", message: `Unknown field "${k}"` });
        else unknownKeys(prop, v, [...path, k], out);
      }
      return;
    }
    default:
      return;
  }
}

/**
 * The OpenAPI document types permission bit sets (allow, deny, permissions, default_member_permissions) as integers, while Discord and
 * discord-api-types use decimal strings; Discord accepts both, so the emulator reads such strings as numbers.
 */
function permissionStringsAsNumbers(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => permissionStringsAsNumbers(v));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, permissionStringsAsNumbers(v, k)]));
  }
  if (typeof value === "string" && /^\d{1,16}$/.test(value) && ["allow", "deny", "permissions", "default_member_permissions"].includes(key))
    return Number(value);
  return value;
}

export function validateBody(schema: Schema, raw: unknown): Issue[] {
  const body = permissionStringsAsNumbers(raw);
  const result = schema.safeParse(body);
  if (!result.success) {
    return result.error.issues.map((i) => ({ path: i.path as (string | number)[], code: i.code.toUpperCase(), message: i.message }));
  }
  const issues: Issue[] = [];
  unknownKeys(schema, body, [], issues);
  issues.push(...(LIMIT_CHECKS.get(schema)?.(body) ?? []));
  return issues;
}

/** Discord's 400 body: `{code: 50035, message: "Invalid Form Body", errors: {field: {_errors: [...]}}}`. */
export function invalidFormBody(issues: Issue[]) {
  const errors: Record<string, unknown> = {};
  for (const issue of issues) {
    let node = errors as Record<string, unknown>;
    for (const key of issue.path) {
      node[String(key)] ??= {};
      node = node[String(key)] as Record<string, unknown>;
    }
    node._errors ??= [];
    (node._errors as unknown[]).push({ code: issue.code, message: issue.message });
  }
  return { code: 50035, message: "Invalid Form Body", errors };
}
