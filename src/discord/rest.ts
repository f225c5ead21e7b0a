/** The one place that builds Discord REST clients: @discordjs/rest's fetch build, typed errors, no global timers. */
import { REST, type RESTOptions, type RequestData, type RouteLike } from "@discordjs/rest";
import { apiBase, type Env } from "../env";
import { logger } from "../log";
import { BucketAllowance, type BucketAnswer, bucketKey } from "./bucket-allowance";
import { routeTemplate, toDiscordApiError } from "./errors";
import { fitOutgoing } from "./message-limits";

export const USER_AGENT_APPENDIX = "eventbot (+https://github.com/eventbot/eventbot)";

/**
 * Requests one isolate may start in any one second: under Discord's global 50, so that arrival jitter never
 * tips a second over. Kept per isolate (module state), so it spans every client and alarm the isolate runs;
 * the RateGate Durable Object spreads fan-outs across isolates.
 */
export const ISOLATE_REQUESTS_PER_SECOND = 49;
const starts: number[] = [];

/** Waits until starting one more request keeps the last second under the limit, then records the start. */
export async function takeSlot(now: () => number = Date.now): Promise<void> {
  for (;;) {
    const t = now();
    while (starts.length && t - (starts[0] as number) >= 1000) starts.shift();
    if (starts.length < ISOLATE_REQUESTS_PER_SECOND) break;
    await new Promise((r) => setTimeout(r, 1000 - (t - (starts[0] as number)) + 1));
  }
  starts.push(now());
}

/**
 * A connection lost before any answer (workerd says "Network connection lost.") is marked ECONNRESET, the one network
 * error @discordjs/rest retries besides its own timeout: a reset is as transient as a timeout and as safe to repeat
 * (calls that make objects go through `create`, which never retries).
 */
function asConnectionReset(error: unknown): unknown {
  if (!(error instanceof Error) || error.name === "AbortError" || "code" in error) return error;
  return Object.assign(error, { code: "ECONNRESET" });
}

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
  /**
   * A POST that makes a new object (role, channel, scheduled event): never retried by the client, since a timeout
   * or 5xx may come after Discord made it and a blind retry makes a second one. The caller records its intent
   * first and finds the object again on its own retry. (A 429 is still waited out: nothing was made.)
   */
  create<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
  /**
   * An idempotent PUT on a client of its own, so that calls to one bucket can go out side by side (role grants):
   * the shared client sends a bucket's requests one after another, and one hung request would hold every later one
   * for its whole timeout. Retried like any PUT. The clients share what the bucket's answers say (BucketAllowance),
   * so side by side they stay within its limit instead of each learning it from a 429.
   */
  putAlongside<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
  /** An idempotent DELETE sent side by side, as `putAlongside` (taking roles back). */
  deleteAlongside<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
  /** An idempotent POST sent side by side, as `putAlongside` (opening DM channels: every member's shares one bucket). */
  postAlongside<T = unknown>(route: RouteLike, options?: RequestData): Promise<T>;
}

/**
 * Builds a client for one request or alarm. Rate-limit state lives in the client, so a client is
 * shared by everything one invocation does, and sweepers are off because Workers forbid global timers.
 */
export function createDiscord(env: Pick<Env, "DISCORD_API_BASE" | "DISCORD_TOKEN">, options: DiscordOptions = {}): Discord {
  const send = options.makeRequest ?? ((url: string, init: RequestInit) => fetch(url, init));
  const makeRequest = async (url: string, init: RequestInit) => {
    await takeSlot();
    try {
      return await send(url, init);
    } catch (error) {
      throw asConnectionReset(error);
    }
  };
  // Clients that send one bucket's requests side by side share what each answer says of the bucket.
  const allowance = new BucketAllowance();
  const alongside = async (url: string, init: RequestInit) => {
    const key = bucketKey(init.method ?? "GET", url);
    await allowance.acquire(key, init.signal);
    let answer: BucketAnswer | null = null;
    try {
      const res = await makeRequest(url, init);
      answer = { status: res.status, header: (name) => res.headers.get(name) };
      return res;
    } finally {
      allowance.settle(key, answer);
    }
  };
  const build = (retries: number, request: (url: string, init: RequestInit) => Promise<Response> = makeRequest) => {
    const rest = new REST({
      version: "10",
      api: `${apiBase(env)}/api`,
      hashSweepInterval: 0,
      handlerSweepInterval: 0,
      timeout: options.timeout ?? 10_000,
      retries,
      userAgentAppendix: USER_AGENT_APPENDIX,
      // @discordjs/rest types makeRequest with undici's Response; workerd's fetch Response is what it reads.
      makeRequest: request as unknown as NonNullable<RESTOptions["makeRequest"]>,
    });
    if (env.DISCORD_TOKEN) rest.setToken(env.DISCORD_TOKEN);
    return rest;
  };
  const rest = build(options.retries ?? 2);

  const call =
    (method: "get" | "post" | "put" | "patch" | "delete", client: () => REST = () => rest) =>
    async <T>(route: RouteLike, data?: RequestData): Promise<T> => {
      let request = data;
      if (data?.body !== undefined) {
        const fit = fitOutgoing(method, route, data.body);
        if (fit.clamped.length) {
          logger.warn("discord.message_clamped", { method: method.toUpperCase(), route: routeTemplate(route), clamped: fit.clamped });
          request = { ...data, body: fit.body };
        }
      }
      try {
        return (await client()[method](route, request)) as T;
      } catch (err) {
        throw toDiscordApiError(err, method.toUpperCase(), route);
      }
    };
  return {
    get: call("get"),
    post: call("post"),
    put: call("put"),
    patch: call("patch"),
    delete: call("delete"),
    // A client of its own per create: @discordjs/rest sends one bucket's requests one after another, so the creates
    // of one step (an event's text and voice channels, each given its REST slot together) would otherwise leave
    // one round trip apart, later and later after their slots. A 429 is still waited out by the library.
    create: call("post", () => build(0)),
    putAlongside: call("put", () => build(options.retries ?? 2, alongside)),
    deleteAlongside: call("delete", () => build(options.retries ?? 2, alongside)),
    postAlongside: call("post", () => build(options.retries ?? 2, alongside)),
  };
}
