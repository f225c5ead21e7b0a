/** Bounds a Discord call in wall time: past the deadline its request is aborted and the caller stops waiting. */
import { DiscordApiError } from "./errors";

/**
 * Runs `call` with a signal that aborts at `ms`. The client's own retries and rate-limit waits can outlast
 * any single timeout; this is the bound a caller holding a lease can count on. Past it the call rejects
 * like a timeout (status 0): whether Discord acted is unknown.
 */
export async function withDeadline<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DiscordApiError("?", "?", 0, null, `no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
