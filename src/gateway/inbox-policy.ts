/** Pure rules of the relay's durable dispatch queue: its bound, when reading pauses and resumes, retry delays. */

export interface InboxBound {
  /** Dispatches held at most; at this many the relay stops reading the gateway until the queue has drained. */
  rows: number;
  /** Payload bytes held at most (a 10,000-guild reconnect sends large GUILD_CREATEs). */
  bytes: number;
}

/**
 * Per shard. Discord asks for a shard per 2,500 guilds, so a reconnect storm is ~2,500 GUILD_CREATEs:
 * the bound is four storms, and far below a Durable Object's 10 GB of storage.
 */
export const DEFAULT_INBOX_BOUND: InboxBound = { rows: 10_000, bytes: 512 * 1024 * 1024 };

export interface InboxSize {
  rows: number;
  bytes: number;
}

/** Full: stop reading (nothing is dropped: Discord keeps what it sent after our stored seq for RESUME). */
export function mustPause(size: InboxSize, bound: InboxBound): boolean {
  return size.rows >= bound.rows || size.bytes >= bound.bytes;
}

/** Drained to half: read again. The gap keeps a busy relay from flapping between paused and connected. */
export function mayResume(size: InboxSize, bound: InboxBound): boolean {
  return size.rows <= Math.floor(bound.rows / 2) && size.bytes <= Math.floor(bound.bytes / 2);
}

/** Attempts at a dispatch's failing handlers before they are given up (logged as an error). */
export const MAX_DISPATCH_ATTEMPTS = 5;

/** Wait before retry `attempts` (1-based): 1 s doubling, capped at 30 s; the queue waits with it, to keep order. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempts - 1));
}
