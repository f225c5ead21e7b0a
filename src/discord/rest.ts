/** The one place that builds Discord REST clients: @discordjs/rest's fetch build, typed errors, no global timers. */
import { REST, type RequestData, type RouteLike } from "@discordjs/rest";
import { apiBase, type Env } from "../env";
import { toDiscordApiError } from "./errors";

export const USER_AGENT_APPENDIX = "eventbot (+https://github.com/eventbot/eventbot)";

export interface DiscordOptions {
  /** Injected transport; defaults to the global fetch (wrapped, since passing fetch itself is an illegal invocation). */
  makeRequest?: (url: string, init: RequestInit) => Promise<Response>;
  /** Per-request timeout in ms (Discord rarely needs more; alarms must not hang). */
  timeout?: number;
  retries?: number;
}

export interface Discord {
  get<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
  post<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
  put<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
  patch<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
  delete<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
}

/**
 * Builds a client for one request or alarm. Rate-limit state lives in the client, so a client is
 * shared by everything one invocation does, and sweepers are off because Workers forbid global timers.
 */
export function createDiscord(env: Pick<Env, "DISCORD_API_BASE" | "DISCORD_TOKEN">, options: DiscordOptions = {}): Discord {
  const makeRequest = options.makeRequest ?? ((url: string, init: RequestInit) => fetch(url, init));
  const rest = new REST({
    version: "10",
    api: `${apiBase(env)}/api`,
    hashSweepInterval: 0,
    handlerSweepInterval: 0,
    timeout: options.timeout ?? 10_000,
    retries: options.retries ?? 2,
    userAgentAppendix: USER_AGENT_APPENDIX,
    // biome-ignore lint/suspicious/noExplicitAny: @discordjs/rest types makeRequest with undici's Response.
    makeRequest: makeRequest as any,
  });
  if (env.DISCORD_TOKEN) rest.setToken(env.DISCORD_TOKEN);

  const call =
    (method: "get" | "post" | "put" | "patch" | "delete") =>
    async <T>(route: RouteLike, data?: RequestData): Promise<T> => {
      try {
        return (await rest[method](route, data)) as T;
      } catch (err) {
        throw toDiscordApiError(err, method.toUpperCase(), route);
      }
    };
  return { get: call("get"), post: call("post"), put: call("put"), patch: call("patch"), delete: call("delete") };
}
