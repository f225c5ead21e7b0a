import { describe, expect, it } from "vitest";
import { Drainer, type DrainQueue } from "./drain";
import type { InboxRow } from "./inbox";
import { MAX_DISPATCH_ATTEMPTS } from "./inbox-policy";

/** An in-memory queue with the relay queue's contract. */
function memoryQueue(ts: string[]): DrainQueue & { rows: InboxRow[] } {
  const rows: InboxRow[] = ts.map((t, i) => ({ id: i + 1, kind: "dispatch", t, s: i + 1, payload: "{}", received_at: 0, attempts: 0, done: [] }));
  return {
    rows,
    oldest: () => rows[0] ?? null,
    remove: (id) => {
      const i = rows.findIndex((r) => r.id === id);
      if (i >= 0) rows.splice(i, 1);
    },
    failed: (id, attempts, done) => {
      const r = rows.find((x) => x.id === id);
      if (r) Object.assign(r, { attempts, done: [...done] });
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("the relay queue's drainer", () => {
  it("handles entries in order, one at a time, and returns to its caller at once", async () => {
    const q = memoryQueue(["A", "B", "C"]);
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const d = new Drainer(
      q,
      {
        handle: async (row) => {
          seen.push(row.t);
          if (row.t === "A") await new Promise<void>((r) => (release = r));
          return { done: ["h"], failed: [] };
        },
        afterEach: async () => undefined,
      },
      async () => undefined,
    );
    d.kick();
    d.kick(); // already running: no second loop
    await settle();
    // A's handler waits; the caller (a socket event, the heartbeat alarm) was not held, nothing overtook A.
    expect(seen).toEqual(["A"]);
    expect(d.busy).toBe(true);
    release();
    for (let i = 0; i < 20 && d.busy; i++) await settle();
    expect(seen).toEqual(["A", "B", "C"]);
    expect(q.rows).toEqual([]);
  });

  it("retries only the handlers that failed, holding later entries back, and gives up after the last attempt", async () => {
    const q = memoryQueue(["A", "B"]);
    const calls: string[] = [];
    const waits: number[] = [];
    let failures = 0;
    const d = new Drainer(
      q,
      {
        handle: async (row) => {
          calls.push(`${row.t}:${row.done.join("+") || "-"}`);
          if (row.t === "A" && failures < 2) {
            failures++;
            return { done: ["one"], failed: ["two"] };
          }
          return { done: ["one", "two"], failed: [] };
        },
        afterEach: async () => undefined,
      },
      async (ms) => {
        waits.push(ms);
      },
    );
    d.kick();
    for (let i = 0; i < 50 && d.busy; i++) await settle();
    // A's second and third attempts skip the handler that already succeeded; B waits for A.
    expect(calls).toEqual(["A:-", "A:one", "A:one", "B:-"]);
    expect(waits.filter((w) => w > 0)).toEqual([1000, 2000]);

    const poison = memoryQueue(["P", "Q"]);
    const seen: string[] = [];
    const d2 = new Drainer(
      poison,
      {
        handle: async (row) => {
          seen.push(row.t);
          if (row.t === "P") throw new Error("always");
          return { done: [], failed: [] };
        },
        afterEach: async () => undefined,
      },
      async () => undefined,
    );
    d2.kick();
    for (let i = 0; i < 100 && d2.busy; i++) await settle();
    expect(seen.filter((t) => t === "P")).toHaveLength(MAX_DISPATCH_ATTEMPTS);
    expect(seen.at(-1)).toBe("Q");
    expect(poison.rows).toEqual([]);
  });

  it("does idle work only while the queue is empty, one piece at a time, and a new entry goes before the next piece", async () => {
    const q = memoryQueue(["A"]);
    const seen: string[] = [];
    let pieces = 3;
    const d = new Drainer(
      q,
      {
        handle: async (row) => {
          seen.push(row.t);
          return { done: [], failed: [] };
        },
        afterEach: async () => undefined,
        idle: async () => {
          if (pieces === 0) return false;
          seen.push(`idle${pieces}`);
          // A dispatch arrives while the first piece runs.
          if (pieces === 3) q.rows.push({ id: 9, kind: "dispatch", t: "B", s: 9, payload: "{}", received_at: 0, attempts: 0, done: [] });
          pieces--;
          return true;
        },
      },
      async () => undefined,
    );
    d.kick();
    for (let i = 0; i < 50 && d.busy; i++) await settle();
    expect(seen).toEqual(["A", "idle3", "B", "idle2", "idle1"]);
    expect(d.busy).toBe(false);
  });
});
