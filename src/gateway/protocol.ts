/** Gateway protocol decisions as pure functions: intents, what a close code means, reconnect delays, URLs. */
import { GatewayCloseCodes, GatewayDispatchEvents, GatewayIntentBits } from "discord-api-types/v10";

export const GATEWAY_VERSION = 10;

/** No privileged intent: scheduled events, channels/roles and voice states are all the features need. */
export const INTENTS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildVoiceStates | GatewayIntentBits.GuildScheduledEvents;

/** The dispatches features may handle; everything else is dropped at the relay. */
export const FORWARDED_EVENTS = [
  GatewayDispatchEvents.GuildScheduledEventCreate,
  GatewayDispatchEvents.GuildScheduledEventUpdate,
  GatewayDispatchEvents.GuildScheduledEventDelete,
  GatewayDispatchEvents.GuildScheduledEventUserAdd,
  GatewayDispatchEvents.GuildScheduledEventUserRemove,
  GatewayDispatchEvents.ChannelDelete,
  GatewayDispatchEvents.GuildRoleDelete,
  GatewayDispatchEvents.VoiceStateUpdate,
  GatewayDispatchEvents.GuildCreate,
  GatewayDispatchEvents.GuildDelete,
] as const;
export type ForwardedEvent = (typeof FORWARDED_EVENTS)[number];
const FORWARDED = new Set<string>(FORWARDED_EVENTS);
export const isForwarded = (t: string): t is ForwardedEvent => FORWARDED.has(t);

/** Dispatches whose handling is set aside per guild (each is the guild's whole state), off the dispatch path. */
export const DEFERRED_BY_GUILD: ForwardedEvent = GatewayDispatchEvents.GuildCreate;

/** The guild a forwarded dispatch concerns: `guild_id`, or the guild itself for GUILD_CREATE / GUILD_DELETE. */
export function dispatchGuild(t: ForwardedEvent, d: unknown): string | null {
  const data = (d ?? {}) as { guild_id?: unknown; id?: unknown };
  if (typeof data.guild_id === "string") return data.guild_id;
  if ((t === GatewayDispatchEvents.GuildCreate || t === GatewayDispatchEvents.GuildDelete) && typeof data.id === "string") return data.id;
  return null;
}

/** Close codes after which reconnecting cannot help: the token, shard or intents must change first. */
const FATAL = new Set<number>([
  GatewayCloseCodes.AuthenticationFailed,
  GatewayCloseCodes.InvalidShard,
  GatewayCloseCodes.ShardingRequired,
  GatewayCloseCodes.InvalidAPIVersion,
  GatewayCloseCodes.InvalidIntents,
  GatewayCloseCodes.DisallowedIntents,
]);
/** Codes after which the session is gone and the next connection must IDENTIFY again. */
const SESSION_ENDING = new Set<number>([GatewayCloseCodes.InvalidSeq, GatewayCloseCodes.SessionTimedOut]);

export type CloseDecision = { action: "stop"; reason: string } | { action: "reconnect"; resume: boolean };

export function onClose(code: number): CloseDecision {
  if (FATAL.has(code)) return { action: "stop", reason: GatewayCloseCodes[code] ?? `close ${code}` };
  return { action: "reconnect", resume: !SESSION_ENDING.has(code) };
}

/** Delay before reconnect attempt `failures` (0 = first): immediate, then 1 s doubling to 5 min, with ±20 % jitter. */
export function reconnectDelayMs(failures: number, random = Math.random): number {
  if (failures <= 0) return 0;
  const base = Math.min(300_000, 1000 * 2 ** (failures - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** workerd opens WebSockets with fetch(), which wants http(s) URLs; the gateway hands out ws(s) ones. */
export function connectUrl(gatewayUrl: string): string {
  const url = new URL(gatewayUrl.replace(/^ws(s?):/, "http$1:"));
  url.searchParams.set("v", String(GATEWAY_VERSION));
  url.searchParams.set("encoding", "json");
  return url.toString();
}

/** The shard a guild's events arrive on (Discord's formula). */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}
