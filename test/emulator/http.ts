/** Route table plumbing for the emulator: matching, Discord-shaped errors, the handler contract. */
import type { World } from "./state.ts";

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Ctx {
  world: World;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The user the request acts as: the bot for REST, null for webhook-token routes. */
  actor: string | null;
  reason?: string;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pattern: string;
  /** Webhook routes authenticate with the token in the URL, not the bot token. */
  noAuth?: boolean;
  handler: Handler;
}

/** Thrown by handlers; becomes Discord's JSON error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly extra: Record<string, unknown>;
  constructor(status: number, code: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

export const errors = {
  unknown: (
    what: "Channel" | "Guild" | "Member" | "Message" | "Role" | "User" | "Webhook" | "Guild Scheduled Event" | "Interaction" | "Application Command",
  ) => {
    const codes = {
      Channel: 10003,
      Guild: 10004,
      Member: 10007,
      Message: 10008,
      Role: 10011,
      User: 10013,
      Webhook: 10015,
      "Guild Scheduled Event": 10070,
      Interaction: 10062,
      "Application Command": 10063,
    };
    return new ApiError(404, codes[what], `Unknown ${what}`);
  },
  missingPermissions: () => new ApiError(403, 50013, "Missing Permissions"),
  missingAccess: () => new ApiError(403, 50001, "Missing Access"),
  cannotDm: () => new ApiError(403, 50007, "Cannot send messages to this user"),
  max: (code: 30005 | 30013 | 30038, message: string) => new ApiError(400, code, message),
  badRequest: (message: string) => new ApiError(400, 50035, "Invalid Form Body", { errors: { _errors: [{ code: "INVALID", message }] } }),
};

export function json(body: unknown, status = 200): Reply {
  return { status, body };
}

export function noContent(): Reply {
  return { status: 204 };
}

/** Matches "/guilds/:guild/channels" against a path, returning the params. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.split("/");
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] as string;
    const val = decodeURIComponent(s[i] as string);
    if (seg.startsWith(":")) params[seg.slice(1)] = val;
    else if (seg !== val) return null;
  }
  return params;
}

/** "/channels/:channel/messages" → "/channels/:id/messages", the form the schema table and buckets use. */
export function template(pattern: string): string {
  return pattern
    .split("/")
    .map((seg) => (seg === ":token" ? seg : seg.startsWith(":") ? ":id" : seg))
    .join("/");
}
