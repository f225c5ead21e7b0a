/** Typed Discord API errors and their classification (retry, permission, not-found). */

/** Discord JSON error codes the bot reacts to (https://discord.com/developers/docs/topics/opcodes-and-status-codes). */
export const DiscordErrorCode = {
  UnknownChannel: 10003,
  UnknownGuild: 10004,
  UnknownMember: 10007,
  UnknownMessage: 10008,
  UnknownRole: 10011,
  UnknownUser: 10013,
  UnknownInteraction: 10062,
  UnknownScheduledEvent: 10070,
  MaxRoles: 30005,
  MaxChannels: 30013,
  MaxScheduledEvents: 30038,
  MissingAccess: 50001,
  CannotDmUser: 50007,
  MissingPermissions: 50013,
  InvalidFormBody: 50035,
} as const;

/** Replaces ids and tokens in a path with placeholders, so routes group in logs and tokens never leak. */
export function routeTemplate(path: string): string {
  return path
    .replace(/^\/api(\/v\d+)?/, "")
    .replace(/\/webhooks\/(\d+)\/[^/?]+/, "/webhooks/:app/:token")
    .replace(/\/interactions\/(\d+)\/[^/?]+/, "/interactions/:id/:token")
    .replace(/\/\d{15,25}(?=\/|$|\?)/g, "/:id")
    .replace(/\?.*$/, "");
}

export class DiscordApiError extends Error {
  override readonly name = "DiscordApiError";
  constructor(
    readonly method: string,
    readonly route: string,
    readonly status: number,
    readonly code: number | null,
    message: string,
    readonly errors?: unknown,
  ) {
    super(message);
  }

  /** 429 and 5xx are transient; a timeout/network failure is reported with status 0. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  get forbidden(): boolean {
    return this.status === 403;
  }

  is(code: number): boolean {
    return this.code === code;
  }
}

/** Converts whatever @discordjs/rest or fetch threw into a DiscordApiError. */
export function toDiscordApiError(err: unknown, method: string, path: string): DiscordApiError {
  if (err instanceof DiscordApiError) return err;
  const route = routeTemplate(path);
  const e = err as { status?: number; code?: number | string; rawError?: { message?: string; errors?: unknown }; name?: string; message?: string };
  if (typeof e?.status === "number") {
    const code = typeof e.code === "number" ? e.code : null;
    const message = e.rawError?.message ?? e.message ?? `HTTP ${e.status}`;
    return new DiscordApiError(method, route, e.status, code, message, e.rawError?.errors);
  }
  const message = e?.name === "AbortError" ? "request timed out" : (e?.message ?? String(err));
  return new DiscordApiError(method, route, 0, null, message);
}
