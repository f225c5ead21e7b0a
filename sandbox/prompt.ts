/** The terminal prompt of `npm start` offline: slash commands as a member, replies as readable text (or raw with --json). */
import { createInterface, type Interface } from "node:readline";
import { parseCommandLine } from "./command-line.ts";
import { formatGuild, formatResponse, type Names } from "./text.ts";
import type { SandboxState } from "./types.ts";

export interface PromptOptions {
  emulatorUrl: string;
  guildId: string;
  /** The member commands are sent as unless a line starts with another member's name. */
  defaultUser: string;
  json: boolean;
  onClose: () => void;
}

interface Last {
  interaction: string;
  user: string;
  channel?: string;
  /** The message the reply created, for `click` (and to notice when the bot edits it). */
  message?: { id: string; components: unknown[]; shown: string };
  /** The form the reply opened, for `form`. */
  modal?: string;
}

export const HELP = `  /command sub option:value …   run a command as alice (admin); "bob /…" (or any member's name) acts as that member
  click LABEL                    press a button of the last reply
  form field:"text" …            answer the form the last reply opened
  event "Name" MINUTES           bob schedules an event starting in MINUTES and marks Interested
  state                          what the emulated guild looks like now (state --json: raw)
  help                           this list`;

export function startPrompt(opts: PromptOptions): { say(line: string): void } {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: "> " });
  const get = async <T>(path: string): Promise<T> => (await fetch(`${opts.emulatorUrl}${path}`)).json() as Promise<T>;
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${opts.emulatorUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
    const out = (await res.json()) as T & { message?: string; error?: string };
    if (!res.ok) throw new Error(`${res.status} ${out.message ?? out.error ?? ""}`);
    return out;
  };
  const ctx: Ctx = { opts, rl, get, post, last: null };
  // Lines run one after another, and the end of input (a script piping commands) waits for the last one.
  let queue = Promise.resolve();
  rl.prompt();
  rl.on("line", (line) => {
    queue = queue.then(async () => {
      try {
        await handle(ctx, line.trim());
      } catch (err) {
        console.error(err instanceof Error ? err.message : String(err));
      }
      rl.prompt();
    });
  });
  rl.on("close", () => void queue.then(opts.onClose));
  return { say: (text) => say(rl, text) };
}

function say(rl: Interface, text: string): void {
  process.stdout.write("\r\x1b[K");
  console.log(text);
  rl.prompt(true);
}

interface Ctx {
  opts: PromptOptions;
  rl: Interface;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  last: Last | null;
}

function namesOf(s: SandboxState): Names {
  const channels = s.sections.flatMap((x) => (x.category ? [x.category, ...x.channels] : x.channels));
  return {
    user: (id) => s.members.find((m) => m.id === id)?.name ?? id,
    role: (id) => s.roles.find((r) => r.id === id)?.name ?? "deleted-role",
    channel: (id) => channels.find((c) => c.id === id)?.name ?? "unknown",
  };
}

async function handle(ctx: Ctx, text: string): Promise<void> {
  if (!text) return;
  const state = await ctx.get<SandboxState>("/_sandbox/state");
  if (text === "help") return console.log(HELP);
  if (text === "state" || text === "state --json")
    return console.log(text.endsWith("--json") || ctx.opts.json ? JSON.stringify(state, null, 2) : formatGuild(state));
  if (text.startsWith("event ")) return scheduleEvent(ctx, state, text.slice(6));
  if (text.startsWith("click ")) return click(ctx, state, text.slice(6).trim());
  if (text.startsWith("form ")) return answerForm(ctx, state, text.slice(5));
  const [first = "", ...rest] = text.split(/\s+/);
  const member = first.startsWith("/") ? undefined : state.members.find((m) => m.name.toLowerCase() === first.toLowerCase());
  const line = member ? rest.join(" ") : text;
  if (!line.startsWith("/")) return console.log(`Not a command: ${text}\n${HELP}`);
  const lookup = {
    channels: state.sections.flatMap((x) => (x.category ? [x.category, ...x.channels] : x.channels)),
    roles: state.roles,
    members: state.members,
  };
  const cmd = parseCommandLine(line, state.commands, lookup);
  await send(ctx, state, { kind: "command", ...cmd }, member?.id ?? ctx.opts.defaultUser);
}

interface InteractionOut {
  id: string;
  status: number;
  response: unknown;
}
interface ReplyRecord {
  original?: { id: string; components: unknown[]; flags: number; content: string; embeds: unknown[] };
  followups: { content: string; embeds: unknown[]; components: unknown[]; flags: number }[];
}

async function send(ctx: Ctx, state: SandboxState, req: Record<string, unknown>, user: string, channel?: string): Promise<void> {
  const out = await ctx.post<InteractionOut>("/_emulator/interactions", { send: true, guild_id: ctx.opts.guildId, user_id: user, channel_id: channel, ...req });
  const names = namesOf(state);
  if (ctx.opts.json) console.log(JSON.stringify(out.response, null, 2));
  else console.log(out.status === 200 ? formatResponse(out.response, names) : `The bot answered ${out.status}: ${JSON.stringify(out.response)}`);
  const response = out.response as { type?: number; data?: { custom_id?: string } } | null;
  const before = ctx.last?.message?.shown;
  ctx.last = { interaction: out.id, user, channel, modal: response?.type === 9 ? response.data?.custom_id : undefined };
  // A deferred reply (5) or update (6) is finished later by the bot, with an edit of the original message.
  const later = response?.type === 5 || response?.type === 6;
  const record = await waitForReply(ctx, out.id, later ? (rec) => !!rec.original && shown(rec.original) !== before : undefined);
  if (record?.original) ctx.last.message = { id: record.original.id, components: record.original.components, shown: shown(record.original) };
  if (later && record?.original)
    console.log(
      ctx.opts.json ? JSON.stringify(record.original, null, 2) : formatResponse({ type: response?.type === 6 ? 7 : 4, data: record.original }, names),
    );
  for (const f of record?.followups ?? [])
    console.log(ctx.opts.json ? JSON.stringify(f, null, 2) : `followup:\n${formatResponse({ type: 4, data: f }, names)}`);
}

const shown = (m: { content: string; embeds: unknown[]; components: unknown[] }) => JSON.stringify([m.content, m.embeds, m.components]);

/** The interaction's record, once `done` holds (up to 10 s) when the bot finishes its reply later. */
async function waitForReply(ctx: Ctx, id: string, done?: (rec: ReplyRecord) => boolean): Promise<ReplyRecord | null> {
  for (let i = 0; i < (done ? 40 : 1); i++) {
    const rec = await ctx.get<ReplyRecord>(`/_emulator/interactions/${id}`);
    if (!done || done(rec)) return rec;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log("(the bot has not finished its reply yet)");
  return null;
}

async function click(ctx: Ctx, state: SandboxState, label: string): Promise<void> {
  const rows = (ctx.last?.message?.components ?? []) as { components?: { type: number; label?: string; custom_id?: string }[] }[];
  const button = rows.flatMap((r) => r.components ?? []).find((c) => c.type === 2 && c.label?.toLowerCase() === label.toLowerCase());
  if (!ctx.last?.message || !button?.custom_id) return console.log(`No button [${label}] on the last reply.`);
  await send(
    ctx,
    state,
    { kind: "component", custom_id: button.custom_id, component_type: 2, message_id: ctx.last.message.id },
    ctx.last.user,
    ctx.last.channel,
  );
}

async function answerForm(ctx: Ctx, state: SandboxState, args: string): Promise<void> {
  if (!ctx.last?.modal) return console.log("The last reply opened no form.");
  const fields = parseCommandLine(`/form ${args}`).options;
  const values = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  await send(ctx, state, { kind: "modal", custom_id: ctx.last.modal, fields: values }, ctx.last.user, ctx.last.channel);
}

/** `event "Name" MINUTES`: bob schedules an event (the gateway tells the bot) and marks Interested. */
async function scheduleEvent(ctx: Ctx, state: SandboxState, args: string): Promise<void> {
  const m = args.match(/^"([^"]+)"\s+(\d+)$/) ?? args.match(/^(\S+)\s+(\d+)$/);
  if (!m) return console.log('usage: event "Name" MINUTES_FROM_NOW');
  const bob = state.members.find((x) => x.name === "bob")?.id ?? ctx.opts.defaultUser;
  const start = Date.now() + Number(m[2]) * 60_000;
  const ev = await ctx.post<{ id: string; name: string; scheduled_start_time: string }>(`/_emulator/guilds/${ctx.opts.guildId}/scheduled-events`, {
    name: m[1],
    scheduled_start_time: new Date(start).toISOString(),
    scheduled_end_time: new Date(start + 3_600_000).toISOString(),
    creator_id: bob,
  });
  await ctx.post(`/_emulator/guilds/${ctx.opts.guildId}/scheduled-events/${ev.id}/users`, { user_ids: [bob] });
  console.log(`Scheduled event ${ev.id} "${ev.name}" at ${ev.scheduled_start_time}; "state" shows the channels once they exist.`);
}
