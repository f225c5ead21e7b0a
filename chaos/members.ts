/** The runner acting as a server's people: admins and members use the bot (signed interactions) and Discord (the emulator). */
import type { InteractionRequest } from "../test/emulator/interactions.ts";
import type { Emulator } from "../test/emulator/server.ts";
import type { Message } from "../test/emulator/state.ts";
import type { Bot } from "./bot.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Actors {
  emulator: Emulator;
  bot: Bot;
  log(line: string): void;
}

/** A control-API call to the emulator (what members and admins do on Discord by hand). */
export async function emu<T = unknown>(a: Actors, path: string, body?: unknown, method?: string): Promise<T> {
  const res = await fetch(`${a.emulator.url}${path}`, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`emulator ${method ?? ""} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** What the member saw of one interaction: the bot's answer, and the message it ended as (deferred ones included). */
export interface Reply {
  id: string;
  status: number;
  type: number | null;
  /** The final text: the response's, or the deferred reply's edit. */
  content: string;
  /** The message the answer is (for a component: the message it updated). */
  message: Message | null;
  /** A final answer reached the member (false: an HTTP error, or a deferred reply never filled in). */
  answered: boolean;
  /** The deferred reply was still being worked on when the runner evicted the runtime: not the bot's failure. */
  cut: boolean;
}

/**
 * How long a member waits for a deferred reply ("thinking…"). Cloudflare cancels an interaction's waitUntil 30 s after
 * the response, so a reply not there by then (plus the PATCH's own time) is not coming.
 */
const DEFERRED_WAIT_MS = 45_000;

function deferredFilledIn(e: Emulator, token: string, since: number): boolean {
  for (let i = e.requests.length - 1; i >= 0; i--) {
    const r = e.requests[i];
    if (!r || r.seq <= since) break;
    if (r.method === "PATCH" && r.applied && decodeURIComponent(r.path).includes(`/${token}/messages/@original`)) return true;
  }
  return false;
}

/** A member uses the bot: Discord builds and signs the interaction, the bot answers, deferred replies are awaited. */
export async function interact(a: Actors, req: InteractionRequest): Promise<Reply> {
  const prepared = await emu<{ id: string; token: string; body: string; headers: Record<string, string> }>(a, "/_emulator/interactions", req);
  const since = a.emulator.requests.at(-1)?.seq ?? 0;
  const { status, response } = await a.bot.guarded(async () => {
    try {
      // Discord gives up after 3 s; more here only absorbs a slow shared machine, and no exchange may hang the run.
      const res = await fetch(`${a.bot.url}/interactions`, {
        method: "POST",
        headers: prepared.headers,
        body: prepared.body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (!res.ok) return { status: res.status, response: null };
      const response = JSON.parse(text) as { type?: number; data?: { content?: string } };
      await emu(a, `/_emulator/interactions/${prepared.id}/response`, response);
      return { status: res.status, response };
    } catch (error) {
      a.log(`interaction ${req.name ?? req.custom_id} failed to reach the bot: ${String(error)}`);
      return { status: 0, response: null };
    }
  });
  const type = response?.type ?? null;
  let answered = status === 200 && type !== null;
  let cut = false;
  const respondedAt = Date.now();
  // 5 = deferred message, 6 = deferred update: the answer comes as an edit of @original, from the bot's waitUntil.
  if (type === 5 || type === 6) {
    const filledIn = (async () => {
      const deadline = Date.now() + DEFERRED_WAIT_MS;
      while (!deferredFilledIn(a.emulator, prepared.token, since) && Date.now() < deadline) await sleep(100);
    })();
    a.bot.hold(filledIn);
    await filledIn;
    answered = deferredFilledIn(a.emulator, prepared.token, since);
    cut = !answered && a.bot.cutSince(respondedAt);
  }
  const record = a.emulator.world.interactions.get(prepared.id);
  const message = record?.original ?? null;
  const content = type === 4 || type === 7 ? (response?.data?.content ?? message?.content ?? "") : (message?.content ?? "");
  return { id: prepared.id, status, type, content, message, answered, cut };
}

/** A slash command by `userId` in `guildId`. */
export function command(
  a: Actors,
  guildId: string,
  userId: string,
  name: string,
  subcommand?: string,
  options: Record<string, string | number | boolean> = {},
  channelId?: string,
): Promise<Reply> {
  return interact(a, { kind: "command", name, subcommand, options, guild_id: guildId, user_id: userId, channel_id: channelId });
}

/** Autocomplete choices the bot offers while a member types `focused`. */
export async function autocomplete(
  a: Actors,
  guildId: string,
  userId: string,
  name: string,
  subcommand: string,
  focused: string,
  options: Record<string, string | number | boolean>,
): Promise<{ name: string; value: string }[]> {
  const r = await interact(a, { kind: "autocomplete", name, subcommand, focused, options, guild_id: guildId, user_id: userId });
  const record = a.emulator.world.interactions.get(r.id);
  return ((record?.response as { data?: { choices?: { name: string; value: string }[] } } | undefined)?.data?.choices ?? []).map((c) => ({
    name: c.name,
    value: String(c.value),
  }));
}

/** Retries what a member would retry: an answer that says something went wrong, or none at all. */
export async function persist(a: Actors, what: string, attempt: () => Promise<Reply>, tries = 4): Promise<Reply> {
  let last: Reply | null = null;
  for (let i = 0; i < tries; i++) {
    last = await attempt();
    if (last.answered && !/went wrong|try again/i.test(last.content)) return last;
    a.log(`${what}: ${last.answered ? `"${last.content.slice(0, 80)}"` : "no answer"}; trying again`);
    await sleep(2000);
  }
  return last as Reply;
}

export interface GuildFixture {
  guild_id: string;
  owner_id: string;
  admin_id: string;
  member_id: string;
  roles: { everyone: string; admin: string; bot: string };
  channels: { category: string; text: string; voice: string };
}

export const newGuild = (a: Actors, name: string) => emu<GuildFixture>(a, "/_emulator/guilds", { name });

export async function newMember(a: Actors, g: GuildFixture, username: string, roles: string[] = []): Promise<string> {
  return (await emu<{ id: string }>(a, "/_emulator/users", { username, guild_id: g.guild_id, roles })).id;
}

export const iso = (ms: number) => new Date(ms).toISOString();
/** A time as an organiser types it ("2026-12-01 19:30", UTC guilds): absolute, so a retried command changes nothing more. */
export const typed = (ms: number) => new Date(Math.ceil(ms / 60_000) * 60_000).toISOString().slice(0, 16).replace("T", " ");
