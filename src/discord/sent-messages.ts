/** Finds a message the bot posted earlier, for a post whose answer was lost once Discord's nonce no longer dedups it. */
import type { APIMessage } from "discord-api-types/v10";
import type { Services } from "../services";
import { snowflakeTime } from "./snowflake";

/**
 * `enforce_nonce` makes a retry return the first message only "in the past few minutes" (Discord does not
 * say how many). Within two minutes of the first attempt a retry with the same nonce is safe; after that,
 * whether the first attempt got through is read from the channel, never assumed.
 */
export const NONCE_SAFE_MS = 2 * 60_000;
const PAGE = 100;

export { snowflakeTime };

export interface Lookup {
  found: APIMessage | null;
  /** The page reached back past `since` (or held the whole channel): when nothing was found, nothing was posted. */
  complete: boolean;
}

/**
 * Reads the channel's latest messages and picks the bot's own that `isSame` recognises. Discord does not
 * return a message's nonce when it is read back, so the caller recognises its post by what it says.
 */
export async function findOwnMessage(s: Services, channelId: string, isSame: (m: APIMessage) => boolean, since?: number): Promise<Lookup> {
  const page = await s.api.channels.messages(channelId, PAGE);
  const found = page.find((m) => m.author?.id === s.env.DISCORD_APPLICATION_ID && isSame(m)) ?? null;
  const oldest = page.at(-1);
  const complete = page.length < PAGE || (since !== undefined && oldest !== undefined && snowflakeTime(oldest.id) <= since);
  return { found, complete };
}
