/** The shape of the chaos scenario: features contribute set-up, timed lifecycle steps and an oracle of what a server saw. */
import type { Actors, Reply } from "./members.ts";
import { type FeatureReport, Findings } from "./oracle.ts";

export type Size = "full" | "small";

export interface Ctx extends Actors {
  /** When the faults started: every step's time counts from here (ms since the epoch). */
  start: number;
  size: Size;
  /** The scenario's own seeded choices. */
  random(): number;
  /** The bot's user id (its messages' author). */
  botId: string;
}

export interface Step {
  /** ms after the start. */
  at: number;
  what: string;
  run(): Promise<void>;
  /** Who acts: one person's steps run one after another, different people's side by side (default: the feature's admin). */
  actor?: string;
}

export interface Feature {
  name: string;
  /** Guilds, settings and members, before the faults start. */
  setup(): Promise<void>;
  /** The lifecycle, in time order; each actor's steps run one after another, actors and features side by side. */
  steps(): Step[];
  /** ms after the start when the last thing the lifecycle plans is due. */
  endsAt(): number;
  /** What a server sees now, against what the scenario leads to. */
  check(): FeatureReport;
}

/** The replies a feature's members got; one that never arrived is a lost action too ("The application did not respond"). */
export class Replies {
  private readonly seen: { what: string; reply: Reply }[] = [];
  track(what: string, reply: Reply): Reply {
    this.seen.push({ what, reply });
    return reply;
  }
  judge(f: Findings): void {
    for (const { what, reply } of this.seen) {
      if (reply.cut) f.note(`reply to ${what}: its waitUntil was cut by the runner's eviction of the runtime; not judged`);
      else if (!reply.answered) f.lost(`reply to ${what}`, `HTTP ${reply.status}, response type ${reply.type ?? "none"}: the member never got an answer`);
    }
  }
}

export { Findings };

/** `at` seconds after the start, as a step time. */
export const sec = (s: number) => s * 1000;
