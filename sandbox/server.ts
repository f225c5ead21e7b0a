/**
 * The sandbox page on the emulator's port: the page and its script, the guild's state as JSON, and one
 * server-sent-events stream that pushes the state whenever the world changes, plus every timeline entry.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Emulator, EmulatorEvent } from "../test/emulator/server.ts";
import { fromEmulatorEvent, Timeline } from "./timeline.ts";
import { guildView } from "./view.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const PUSH_DELAY_MS = 120;
const KEEPALIVE_MS = 15_000;
const STYLES = ["base.css", "messages.css", "panels.css"];

export interface Sandbox {
  /** The emulator's `page` hook. */
  page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  /** Starts observing the emulator and serving `guildId`'s state. */
  attach(emulator: Emulator, guildId: string): void;
  timeline: Timeline;
  close(): void;
}

/** The page's script, bundled from client/ on each load (esbuild takes milliseconds), so edits show on reload. */
async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [join(HERE, "client", "main.ts")],
    bundle: true,
    write: false,
    format: "iife",
    target: "es2022",
    logLevel: "silent",
  });
  return out.outputFiles[0]?.text ?? "";
}

/** Whether an emulator event can change what the page shows (reads cannot). */
function changesWorld(e: EmulatorEvent): boolean {
  if (e.type === "rest") return e.method !== "GET";
  if (e.type === "gateway") return e.what !== "dispatch";
  return true;
}

/** The server-sent-events stream: every open page gets the state on each change and each timeline entry. */
class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private readonly keepalive = setInterval(() => {
    for (const c of this.clients) c.write(": keepalive\n\n");
  }, KEEPALIVE_MS);

  constructor() {
    this.keepalive.unref();
  }

  open(req: IncomingMessage, res: ServerResponse, first: [string, string][]): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    this.clients.add(res);
    for (const [event, data] of first) EventStream.write(res, event, data);
    req.on("close", () => this.clients.delete(res));
  }

  broadcast(event: string, data: string): void {
    for (const c of this.clients) EventStream.write(c, event, data);
  }

  close(): void {
    clearInterval(this.keepalive);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private static write(res: ServerResponse, event: string, data: string): void {
    res.write(`event: ${event}\ndata: ${data}\n\n`);
  }
}

/** The page's own files: its HTML, its styles, its script (bundled on each load). */
async function asset(path: string): Promise<{ type: string; body: string; status?: number } | null> {
  const file = (name: string) => readFile(join(HERE, "client", name), "utf8");
  if (path === "/") return { type: "text/html; charset=utf-8", body: await file("index.html") };
  if (path === "/sandbox.css") return { type: "text/css; charset=utf-8", body: (await Promise.all(STYLES.map(file))).join("\n") };
  if (path !== "/sandbox.js") return null;
  try {
    return { type: "text/javascript; charset=utf-8", body: await bundle() };
  } catch (err) {
    return { type: "text/plain; charset=utf-8", body: `the sandbox page failed to build:\n${err instanceof Error ? err.message : String(err)}`, status: 500 };
  }
}

export function createSandbox(): Sandbox {
  const timeline = new Timeline();
  const stream = new EventStream();
  let emulator: Emulator | null = null;
  let guildId = "";
  let pending: ReturnType<typeof setTimeout> | null = null;
  let lastState = "";

  const state = () => {
    if (!emulator) return null;
    const gateway = emulator.gateway
      .snapshot()
      .sessions.map((s) => ({ id: s.id, connected: s.connected, seq: s.seq, resumes: s.resumes, identifies: s.identifies }));
    return guildView(emulator.world, guildId, { faults: emulator.limiter.faults, gateway });
  };
  // Changes come in bursts (a channel creation is several REST calls): one push per burst, and none when nothing changed.
  const pushState = () => {
    pending = null;
    const text = JSON.stringify(state());
    if (text === lastState) return;
    lastState = text;
    stream.broadcast("state", text);
  };
  timeline.subscribe((entry) => stream.broadcast("timeline", JSON.stringify(entry)));

  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (req.method !== "GET") return false;
    const send = (type: string, body: string, status = 200) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
      return true;
    };
    if (url.pathname === "/favicon.ico") return send("image/x-icon", "", 204);
    if (url.pathname === "/_sandbox/state") return send("application/json", JSON.stringify(state()));
    if (url.pathname === "/_sandbox/events") {
      stream.open(req, res, [
        ["timeline-backlog", JSON.stringify(timeline.recent())],
        ["state", JSON.stringify(state())],
      ]);
      return true;
    }
    const file = await asset(url.pathname);
    return file ? send(file.type, file.body, file.status) : false;
  }

  return {
    page,
    timeline,
    attach(em, guild) {
      emulator = em;
      guildId = guild;
      em.observe((e) => {
        const entry = fromEmulatorEvent(e, (id) => em.world.users.get(id)?.username ?? id);
        if (entry) timeline.add(entry);
        if (changesWorld(e)) pending ??= setTimeout(pushState, PUSH_DELAY_MS);
      });
      pending ??= setTimeout(pushState, PUSH_DELAY_MS);
    },
    close() {
      if (pending) clearTimeout(pending);
      stream.close();
    },
  };
}
