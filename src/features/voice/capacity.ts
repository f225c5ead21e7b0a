/**
 * How many temporary voice channels the guild may have at once: its own limit, and what Discord leaves in the category
 * (50 channels) and the guild (500) next to the channels that are not the bot's. Pure; the reservation is in intents.ts.
 */
import type { APIChannel } from "discord-api-types/v10";

/** Discord's caps: channels in one category, channels in one guild. */
export const CATEGORY_CHANNEL_LIMIT = 50;
export const GUILD_CHANNEL_LIMIT = 500;

export type Binding = "max_live" | "category" | "guild";

export interface Capacity {
  /** Temporary channels (live or being made) the guild may have in all. */
  limit: number;
  /** Which cap sets `limit` (the first, when several are equal). */
  binding: Binding;
}

/**
 * `ours`: the ids of the bot's temporary channels (tracked, or an intent's). Everything else Discord lists takes room
 * the bot cannot use. The bot's own channels are all counted against the category, wherever they are: a category
 * changed while channels are live only makes this stricter, never lets a create past Discord's cap.
 */
export function capacity(channels: readonly Pick<APIChannel, "id">[], ours: ReadonlySet<string>, categoryId: string, maxLive: number): Capacity {
  const others = channels.filter((c) => !ours.has(c.id));
  const inCategory = others.filter((c) => "parent_id" in c && c.parent_id === categoryId).length;
  const caps: [Binding, number][] = [
    ["max_live", maxLive],
    ["category", CATEGORY_CHANNEL_LIMIT - inCategory],
    ["guild", GUILD_CHANNEL_LIMIT - others.length],
  ];
  const [binding, limit] = caps.reduce((a, b) => (b[1] < a[1] ? b : a));
  return { limit: Math.max(0, limit), binding };
}
