/** The timeline of what the bot did: REST calls, gateway traffic, interactions, timer firings, bus events, crons. */
import type { EmulatorEvent } from "../test/emulator/server.ts";
import type { TimelineEntry } from "./types.ts";

const KEEP = 2000;

export class Timeline {
  private readonly entries: TimelineEntry[] = [];
  private readonly listeners = new Set<(e: TimelineEntry) => void>();
  private nextId = 1;

  add(e: Omit<TimelineEntry, "id" | "at"> & { at?: number }): TimelineEntry {
    const entry: TimelineEntry = { ...e, id: this.nextId++, at: e.at ?? Date.now() };
    this.entries.push(entry);
    if (this.entries.length > KEEP) this.entries.splice(0, this.entries.length - KEEP);
    for (const l of this.listeners) l(entry);
    return entry;
  }

  recent(n = 300): TimelineEntry[] {
    return this.entries.slice(-n);
  }

  subscribe(listener: (e: TimelineEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

type Draft = Omit<TimelineEntry, "id" | "at"> & { at?: number };

const levelOf = (status: number): TimelineEntry["level"] => (status >= 500 || status === 0 ? "error" : status >= 400 ? "warn" : "ok");

/** Member actions of the control API, in words. */
const CONTROL_WORDS: [RegExp, string][] = [
  [/^POST \/_emulator\/guilds\/\d+\/scheduled-events$/, "a member schedules an event"],
  [/^PATCH \/_emulator\/guilds\/\d+\/scheduled-events\/\d+$/, "a member edits an event"],
  [/^DELETE \/_emulator\/guilds\/\d+\/scheduled-events\/\d+$/, "a member deletes an event"],
  [/^POST \/_emulator\/guilds\/\d+\/scheduled-events\/\d+\/users$/, "a member marks Interested"],
  [/^DELETE \/_emulator\/guilds\/\d+\/scheduled-events\/\d+\/users\/\d+$/, "a member unmarks Interested"],
  [/^POST \/_emulator\/guilds\/\d+\/voice$/, "a member joins or leaves voice"],
  [/^POST \/_emulator\/guilds\/\d+\/channels$/, "an admin creates a channel"],
  [/^DELETE \/_emulator\/channels\/\d+$/, "an admin deletes a channel"],
  [/^POST \/_emulator\/guilds\/\d+\/roles$/, "an admin creates a role"],
  [/^DELETE \/_emulator\/guilds\/\d+\/roles\/\d+$/, "an admin deletes a role"],
  [/^POST \/_emulator\/channels\/\d+\/messages$/, "a member writes a message"],
  [/^POST \/_emulator\/users$/, "a member joins the server"],
  [/^POST \/_emulator\/faults$/, "fault switch on"],
  [/^DELETE \/_emulator\/faults$/, "fault switches off"],
  [/^POST \/_emulator\/gateway\/drop$/, "fault switch: drop the gateway connection"],
];

const RESPONSE_WORDS: Record<number, string> = {
  1: "pong",
  4: "message",
  5: "deferred (thinking…)",
  6: "deferred update",
  7: "message updated",
  8: "autocomplete choices",
  9: "form (modal)",
};

function interactionTitle(e: Extract<EmulatorEvent, { type: "interaction" }>, name: (id: string) => string): string {
  const who = e.user_id ? `${name(e.user_id)}: ` : "";
  if (e.kind === "command") return `${who}/${[e.name, e.subcommand].filter(Boolean).join(" ")}`;
  if (e.kind === "autocomplete") return `${who}autocomplete /${[e.name, e.subcommand].filter(Boolean).join(" ")}`;
  return `${who}${e.kind} ${e.custom_id ?? ""}`.trim();
}

/** One emulator event as a timeline entry; null for what the timeline leaves out (reads of the control API, heartbeats). */
export function fromEmulatorEvent(e: EmulatorEvent, name: (userId: string) => string = (id) => id): Draft | null {
  switch (e.type) {
    case "rest":
      return {
        at: e.at,
        kind: "rest",
        title: `${e.method} ${(e.route ?? `${e.method} ${e.path}`).replace(/^\S+ /, "")}`,
        detail: `${e.status} · ${e.ms} ms · ${e.path}`,
        level: levelOf(e.status),
        data: e.body,
      };
    case "interaction":
      return {
        at: e.at,
        kind: "interaction",
        title: interactionTitle(e, name),
        detail: `${e.status}${e.response_type ? ` · ${RESPONSE_WORDS[e.response_type] ?? `type ${e.response_type}`}` : ""} · ${e.ms} ms`,
        level: levelOf(e.status),
      };
    case "control": {
      if (e.path === "/_emulator/interactions") return null;
      const key = `${e.method} ${e.path}`;
      const words = CONTROL_WORDS.find(([re]) => re.test(key))?.[1];
      return words ? { at: e.at, kind: "member", title: words, detail: `${e.status}`, level: levelOf(e.status) } : null;
    }
    case "gateway": {
      const session = e.session ? e.session.slice(0, 6) : "";
      if (e.what === "dispatch")
        return {
          at: e.at,
          kind: "gateway",
          title: `dispatch ${e.t}`,
          detail: `seq ${e.seq}${e.delivered ? "" : " · buffered (connection down)"}`,
          level: "ok",
        };
      if (e.what === "close")
        return {
          at: e.at,
          kind: "gateway",
          title: e.code === "dropped" ? "connection dropped" : `closed ${e.code}`,
          detail: `session ${session}`,
          level: "warn",
        };
      if (e.what === "resume") return { at: e.at, kind: "gateway", title: "RESUME", detail: `session ${session} · ${e.replayed} replayed`, level: "ok" };
      if (e.what === "identify") return { at: e.at, kind: "gateway", title: "IDENTIFY", detail: `new session ${session}`, level: "ok" };
      if (e.what === "reject") return { at: e.at, kind: "gateway", title: `rejected ${e.code}`, level: "error" };
      return { at: e.at, kind: "gateway", title: "INVALID_SESSION", detail: `session ${session}`, level: "warn" };
    }
  }
}

interface WorkerLog {
  level: string;
  event: string;
  [key: string]: unknown;
}

/** A line wrangler dev printed: the Worker's structured log (one JSON object) becomes an entry; anything else null. */
export function fromWorkerLog(line: string): Draft | null {
  const start = line.indexOf("{");
  if (start < 0) return null;
  let log: WorkerLog;
  try {
    log = JSON.parse(line.slice(start));
  } catch {
    return null;
  }
  if (typeof log?.event !== "string" || typeof log.level !== "string") return null;
  const { level, event, ...fields } = log;
  const lvl: TimelineEntry["level"] = level === "error" ? "error" : level === "warn" ? "warn" : "ok";
  const guild = fields.guild_id ? ` · guild ${fields.guild_id}` : "";
  if (event.startsWith("timer."))
    return {
      kind: "timer",
      title: `timer ${event.slice(6).replace("ran", "fired")}: ${fields.kind ?? ""}`.trim(),
      detail: `${fields.key ?? ""}`,
      level: lvl,
      data: fields,
    };
  if (event === "events.emitted") return { kind: "bus", title: String(fields.event_name), detail: `${fields.event_level}${guild}`, level: "ok", data: fields };
  if (event === "events.suppressed")
    return {
      kind: "bus",
      title: `${fields.event_name} (suppressed)`,
      detail: `below the guild's level ${fields.configured_level}${guild}`,
      level: "ok",
      data: fields,
    };
  if (event.startsWith("cron."))
    return { kind: "cron", title: `${event}: ${fields.job ?? ""}`, detail: fields.ms !== undefined ? `${fields.ms} ms` : undefined, level: lvl, data: fields };
  if (level === "debug") return null;
  const detail = fields.error ? JSON.stringify(fields.error) : typeof fields.message === "string" ? fields.message : guild.slice(3) || undefined;
  return { kind: "log", title: event, detail, level: lvl, data: fields };
}
