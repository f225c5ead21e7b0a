/** The timeline's entries from wrangler dev's output (timer firings, bus events) and from the emulator's events. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromEmulatorEvent, fromWorkerLog, Timeline } from "./timeline.ts";

test("the Worker's structured logs become timer, bus, cron and log entries; wrangler's own lines are left out", () => {
  assert.deepEqual(fromWorkerLog('{"level":"debug","event":"timer.ran","timer":"ev:1","key":"ec:create:1","kind":"ec.create"}'), {
    kind: "timer",
    title: "timer fired: ec.create",
    detail: "ec:create:1",
    level: "ok",
    data: { timer: "ev:1", key: "ec:create:1", kind: "ec.create" },
  });
  const bus = fromWorkerLog('{"level":"info","event":"events.emitted","event_name":"voice.channel_created","event_level":"FULL","guild_id":"9"}');
  assert.equal(bus?.kind, "bus");
  assert.equal(bus?.title, "voice.channel_created");
  assert.equal(bus?.detail, "FULL · guild 9");
  // wrangler prefixes a Worker's console.warn with its own marker.
  const warn = fromWorkerLog('▲ [WARNING] {"level":"warn","event":"gateway.connect_failed","error":{"message":"Network connection lost."}}');
  assert.equal(warn?.kind, "log");
  assert.equal(warn?.level, "warn");
  assert.equal(warn?.detail, '{"message":"Network connection lost."}');
  assert.equal(fromWorkerLog('{"level":"debug","event":"gateway.keepalive","shards":1}'), null);
  assert.equal(fromWorkerLog("[wrangler:info] Ready on http://127.0.0.1:8787"), null);
  assert.equal(fromWorkerLog("{not json"), null);
});

test("emulator events: REST with status, dispatches buffered while the connection is down, interactions by member", () => {
  const rest = fromEmulatorEvent({
    type: "rest",
    at: 1,
    method: "POST",
    path: "/channels/5/messages",
    route: "POST /channels/:id/messages",
    status: 503,
    ms: 3,
    body: { content: "x" },
  });
  assert.equal(rest?.title, "POST /channels/:id/messages");
  assert.equal(rest?.level, "error");
  assert.equal(rest?.detail, "503 · 3 ms · /channels/5/messages");
  const buffered = fromEmulatorEvent({ type: "gateway", at: 2, what: "dispatch", t: "CHANNEL_DELETE", seq: 7, delivered: false, session: "abcdef123" });
  assert.equal(buffered?.detail, "seq 7 · buffered (connection down)");
  const used = fromEmulatorEvent(
    { type: "interaction", at: 3, id: "i", kind: "command", user_id: "1", name: "voice-channel", subcommand: "public", status: 200, response_type: 4, ms: 40 },
    (id) => (id === "1" ? "alice" : id),
  );
  assert.equal(used?.title, "alice: /voice-channel public");
  assert.equal(used?.detail, "200 · message · 40 ms");
  assert.equal(fromEmulatorEvent({ type: "control", at: 4, method: "POST", path: "/_emulator/interactions", status: 200 }), null);
  assert.equal(
    fromEmulatorEvent({ type: "control", at: 4, method: "POST", path: "/_emulator/guilds/12/voice", status: 200 })?.title,
    "a member joins or leaves voice",
  );
});

test("the timeline keeps the newest entries and tells its subscribers", () => {
  const t = new Timeline();
  const seen: string[] = [];
  t.subscribe((e) => seen.push(e.title));
  for (let i = 0; i < 2005; i++) t.add({ kind: "log", title: `e${i}`, level: "ok" });
  assert.equal(seen.length, 2005);
  assert.equal(
    t
      .recent(3)
      .map((e) => e.title)
      .join(),
    "e2002,e2003,e2004",
  );
  assert.equal(t.recent(5000).length, 2000);
});
