/** Calls to the emulator's control API (acting as members) and to the bot through emulated interactions. */
import { toast } from "./dom.ts";
import { store } from "./store.ts";

export async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<T | null> {
  try {
    const res = await fetch(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    const data = text ? JSON.parse(text) : null;
    if (!res.ok) {
      toast(`${method} ${path}: ${res.status} ${data?.message ?? data?.error ?? text}`, "error");
      return null;
    }
    return data as T;
  } catch (err) {
    toast(`${method} ${path}: ${err instanceof Error ? err.message : String(err)}`, "error");
    return null;
  }
}

export const guildPath = (rest = "") => `/_emulator/guilds/${store.state?.guild.id}${rest}`;

export interface InteractionReq {
  kind: "command" | "autocomplete" | "component" | "modal";
  name?: string;
  subcommand?: string;
  options?: Record<string, string | number | boolean>;
  focused?: string;
  custom_id?: string;
  values?: string[];
  component_type?: number;
  message_id?: string;
  fields?: Record<string, string>;
  channel_id?: string;
  /** A DM with the bot: no guild. */
  dm?: boolean;
}

export interface InteractionOut {
  id: string;
  status: number;
  response: { type?: number; data?: Record<string, unknown> } | string | null;
}

/** Sends an interaction as the member the viewer acts as; the bot's answer comes back (and lands in the state). */
export async function interact(req: InteractionReq): Promise<InteractionOut | null> {
  const { dm, ...rest } = req;
  const out = await call<InteractionOut>("POST", "/_emulator/interactions", {
    send: true,
    ...rest,
    user_id: store.me,
    ...(dm ? {} : { guild_id: store.state?.guild.id }),
  });
  if (out && out.status !== 200)
    toast(`The bot answered ${out.status}: ${typeof out.response === "string" ? out.response.slice(0, 200) : JSON.stringify(out.response)}`, "error");
  return out;
}
