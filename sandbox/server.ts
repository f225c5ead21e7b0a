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

export function createSandbox(): Sandbox {
  const timeline = new Timeline();
  const clients = new Set<ServerResponse>();
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
  const write = (res: ServerResponse, event: string, data: string) => res.write(`event: ${event}\ndata: ${data}\n\n`);
  const broadcast = (event: string, data: string) => {
    for (const c of clients) write(c, event, data);
  };
  const pushState = () => {
    pending = null;
    const text = JSON.stringify(state());
    if (text === lastState) return;
    lastState = text;
    broadcast("state", text);
  };
  const schedulePush = () => {
    pending ??= setTimeout(pushState, PUSH_DELAY_MS);
  };
  timeline.subscribe((entry) => broadcast("timeline", JSON.stringify(entry)));
  const keepalive = setInterval(() => {
    for (const c of clients) c.write(": keepalive\n\n");
  }, KEEPALIVE_MS);
  keepalive.unref();

  function events(req: IncomingMessage, res: ServerResponse) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" });
    clients.add(res);
    write(res, "timeline-backlog", JSON.stringify(timeline.recent()));
    write(res, "state", JSON.stringify(state()));
    req.on("close", () => clients.delete(res));
  }

  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (req.method !== "GET") return false;
    const send = (type: string, body: string, status = 200) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
      return true;
    };
    switch (url.pathname) {
      case "/":
        return send("text/html; charset=utf-8", await readFile(join(HERE, "client", "index.html"), "utf8"));
      case "/sandbox.css":
        return send("text/css; charset=utf-8", (await Promise.all(STYLES.map((f) => readFile(join(HERE, "client", f), "utf8")))).join("\n"));
      case "/sandbox.js":
        try {
          return send("text/javascript; charset=utf-8", await bundle());
        } catch (err) {
          return send("text/plain; charset=utf-8", `the sandbox page failed to build:\n${err instanceof Error ? err.message : String(err)}`, 500);
        }
      case "/favicon.ico":
        res.writeHead(204).end();
        return true;
      case "/_sandbox/state":
        return send("application/json", JSON.stringify(state()));
      case "/_sandbox/events":
        events(req, res);
        return true;
      default:
        return false;
    }
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
        if (changesWorld(e)) schedulePush();
      });
      schedulePush();
    },
    close() {
      clearInterval(keepalive);
      if (pending) clearTimeout(pending);
      for (const c of clients) c.end();
      clients.clear();
    },
  };
}
