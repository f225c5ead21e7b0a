/**
 * What a server saw, read only from the emulator (its world and the log of the bot's REST calls), never from the bot's
 * D1: objects made and removed over time, and findings sorted into lost, duplicated and left behind.
 */
import type { Emulator, RequestLog } from "../test/emulator/server.ts";

export type FindingKind = "lost" | "duplicated" | "left_behind";

export interface Finding {
  kind: FindingKind;
  /** The object or action, as a server admin would name it ("role Raid Night", "DM 1m before Weekly Cup to m2"). */
  what: string;
  detail: string;
  /** How many actions or objects it stands for (one finding for 47 members who never got a role). */
  count: number;
}

export interface FeatureReport {
  feature: string;
  lost: number;
  duplicated: number;
  left_behind: number;
  findings: Finding[];
  /** Things worth knowing that are not failures (redeliveries of one webhook id, retried commands). */
  notes: string[];
}

export class Findings {
  readonly list: Finding[] = [];
  readonly notes: string[] = [];
  lost(what: string, detail = "", count = 1): void {
    this.list.push({ kind: "lost", what, detail, count });
  }
  duplicated(what: string, detail = "", count = 1): void {
    this.list.push({ kind: "duplicated", what, detail, count });
  }
  leftBehind(what: string, detail = "", count = 1): void {
    this.list.push({ kind: "left_behind", what, detail, count });
  }
  note(text: string): void {
    this.notes.push(text);
  }
  report(feature: string): FeatureReport {
    const count = (k: FindingKind) => this.list.filter((f) => f.kind === k).reduce((n, f) => n + f.count, 0);
    return { feature, lost: count("lost"), duplicated: count("duplicated"), left_behind: count("left_behind"), findings: this.list, notes: this.notes };
  }
}

export const clean = (r: FeatureReport) => r.lost + r.duplicated + r.left_behind === 0;

/** One object the bot made: from an applied create (the answer may have been lost), with when it went away, if it did. */
export interface Made {
  id: string;
  at: number;
  body: Record<string, unknown>;
  /** Set when an applied DELETE removed it. */
  gone_at: number | null;
  /** The create's answer never reached the bot (a committed fault): only intent recovery can know it exists. */
  answer_lost: boolean;
}

const OBJECT_DELETES = new Set(["DELETE /channels/:id", "DELETE /guilds/:id/roles/:id", "DELETE /guilds/:id/scheduled-events/:id"]);

/** Applied creates on a route (e.g. `POST /guilds/:id/roles`) under `pathPrefix` (e.g. `/guilds/123/`), distinct by id. */
export function made(e: Emulator, route: string, pathPrefix: string): Made[] {
  const byId = new Map<string, Made>();
  for (const r of e.requests) {
    if (r.route !== route || !r.applied || !r.result_id || !r.path.startsWith(pathPrefix) || byId.has(r.result_id)) continue;
    byId.set(r.result_id, { id: r.result_id, at: r.at, body: (r.body ?? {}) as Record<string, unknown>, gone_at: null, answer_lost: !!r.fault });
  }
  const deletes = e.requests.filter((r) => r.applied && r.route !== null && OBJECT_DELETES.has(r.route));
  for (const m of byId.values()) {
    const d = deletes.find((r) => r.path.endsWith(`/${m.id}`));
    if (d) m.gone_at = d.at;
  }
  return [...byId.values()];
}

/** The most objects of a list that existed at the same moment (an object without `gone_at` lives until now). */
export function maxAtOnce(objects: readonly Made[]): number {
  const edges = objects.flatMap((o) => [
    { t: o.at, d: 1 },
    { t: o.gone_at ?? Number.POSITIVE_INFINITY, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) {
    now += e.d;
    max = Math.max(max, now);
  }
  return max;
}

/** The bot's applied requests matching `pred` (e.g. role grants to one member). */
export function applied(e: Emulator, pred: (r: RequestLog) => boolean): RequestLog[] {
  return e.requests.filter((r) => r.applied && pred(r));
}

/** Describes how a made object's create went, for a finding's detail. */
export function howMade(m: Made): string {
  return `${m.id} made at ${new Date(m.at).toISOString().slice(11, 19)}${m.answer_lost ? " (its create's answer was lost)" : ""}${m.gone_at ? `, removed at ${new Date(m.gone_at).toISOString().slice(11, 19)}` : ""}`;
}
