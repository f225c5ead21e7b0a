import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { GuildSnapshots, type RunPayload } from "./guild-snapshots";
import { Inbox, type InboxEntry, type InboxRow } from "./inbox";

/** Runs `body` against a fresh relay object's own SQLite storage (its snapshot table and queue). */
async function inRelayStorage(body: (snaps: GuildSnapshots, inbox: Inbox) => Promise<void>): Promise<void> {
  const stub = env.GATEWAY_RELAY.getByName(`snapshots-${crypto.randomUUID()}`);
  await runInDurableObject(stub, async (_relay, state) => body(new GuildSnapshots(state.storage.sql), new Inbox(state.storage.sql)));
}

const GUILD = "100000000000000001";
const createOf = (name: string) => JSON.stringify({ t: "GUILD_CREATE", d: { id: GUILD, name } });
const eventUpdate = (): InboxEntry => ({
  kind: "dispatch",
  t: "GUILD_SCHEDULED_EVENT_UPDATE",
  s: 1,
  payload: JSON.stringify({ t: "GUILD_SCHEDULED_EVENT_UPDATE" }),
  guild_id: GUILD,
});

/** A handler runner that records which GUILD_CREATE (by guild name) or other dispatch it ran. */
function recorder(): { run: RunPayload; ran: string[] } {
  const ran: string[] = [];
  const run: RunPayload = async (payload) => {
    const p = JSON.parse(payload) as { t?: string; d?: { name?: string } };
    ran.push(p.d?.name ?? p.t ?? "dispatch");
    return { done: [], failed: [] };
  };
  return { run, ran };
}

describe("GUILD_CREATEs set aside as their frames arrive", () => {
  it("are reconciled before the guild's later dispatches, and not before its earlier ones", async () => {
    await inRelayStorage(async (snaps, inbox) => {
      const { run, ran } = recorder();
      inbox.append(eventUpdate(), 1);
      const earlier = inbox.oldest() as InboxRow;
      snaps.setAside(GUILD, createOf("snapshot"), inbox.newestId(), 2);
      inbox.append(eventUpdate(), 3);
      await snaps.dispatch(earlier, run, 10);
      // The dispatch queued before the GUILD_CREATE arrived runs on its own: the snapshot is newer than it.
      expect(ran).toEqual(["GUILD_SCHEDULED_EVENT_UPDATE"]);
      expect(snaps.count()).toBe(1);
      inbox.remove(earlier.id);
      await snaps.dispatch(inbox.oldest() as InboxRow, run, 10);
      // The later one waits for the guild's snapshot first, which then leaves.
      expect(ran).toEqual(["GUILD_SCHEDULED_EVENT_UPDATE", "snapshot", "GUILD_SCHEDULED_EVENT_UPDATE"]);
      expect(snaps.count()).toBe(0);
    });
  });

  it("a newer GUILD_CREATE goes through the queue while the older one must still come before the guild's waiting dispatches", async () => {
    await inRelayStorage(async (snaps, inbox) => {
      const { run, ran } = recorder();
      // As the relay does on a frame: set aside unless the snapshots say to queue it.
      const arrive = (name: string, at: number) => {
        if (snaps.mustQueue(GUILD, inbox)) inbox.append({ kind: "dispatch", t: "GUILD_CREATE", s: at, payload: createOf(name), guild_id: GUILD }, at);
        else snaps.setAside(GUILD, createOf(name), inbox.newestId(), at);
      };
      arrive("first", 1);
      inbox.append(eventUpdate(), 2);
      arrive("second", 3);
      arrive("third", 4);
      // The queue drained in order, then the snapshots left: each GUILD_CREATE in its place.
      for (let row = inbox.oldest(); row; row = inbox.oldest()) {
        await snaps.dispatch(row, run, 10);
        inbox.remove(row.id);
      }
      while (await snaps.next(run, 10));
      expect(ran).toEqual(["first", "GUILD_SCHEDULED_EVENT_UPDATE", "third"]);
      // With nothing of the guild waiting, the next one is set aside again.
      expect(snaps.mustQueue(GUILD, inbox)).toBe(false);
    });
  });

  it("keep a newer GUILD_CREATE that arrives while the older one is being reconciled", async () => {
    await inRelayStorage(async (snaps, inbox) => {
      const ran: string[] = [];
      const run: RunPayload = async (payload) => {
        const name = (JSON.parse(payload) as { d: { name: string } }).d.name;
        ran.push(name);
        // The newer frame arrives mid-reconcile, with no dispatch queued between the two (same place in the order).
        if (name === "old") snaps.setAside(GUILD, createOf("new"), inbox.newestId(), 5);
        return { done: [], failed: [] };
      };
      snaps.setAside(GUILD, createOf("old"), inbox.newestId(), 1);
      expect(await snaps.next(run, 10)).toBe(true);
      // Finishing the old snapshot did not remove the new one: it is reconciled in its own turn.
      expect(snaps.count()).toBe(1);
      expect(await snaps.next(run, 10)).toBe(true);
      expect(ran).toEqual(["old", "new"]);
      expect(snaps.count()).toBe(0);
      expect(await snaps.next(run, 10)).toBe(false);
    });
  });

  it("a GUILD_CREATE queued before frames were set aside on arrival does not replace a newer snapshot", async () => {
    await inRelayStorage(async (snaps, inbox) => {
      const { run, ran } = recorder();
      inbox.append({ kind: "dispatch", t: "GUILD_CREATE", s: 1, payload: createOf("queued"), guild_id: GUILD }, 1);
      const queued = inbox.oldest() as InboxRow;
      snaps.setAside(GUILD, createOf("arrived"), inbox.newestId(), 2);
      await snaps.dispatch(queued, run, 10);
      expect(ran).toEqual([]);
      expect(await snaps.next(run, 10)).toBe(true);
      expect(ran).toEqual(["arrived"]);
    });
  });
});
