/**
 * The payload of every timer kind, by kind name. Each feature adds its kinds here by declaration merging
 * (next to the handler), so scheduling a kind by name is checked against the payload its handler reads.
 */
import * as z from "zod";
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in each feature.
export interface TimerPayloads {}

export type TimerKindName = keyof TimerPayloads & string;

/** Every kind that acts in a guild carries its id (the REST budget's fair share is per guild). */
export const guildPayload = z.object({ guild_id: z.string().min(1) });
