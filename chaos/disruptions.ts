/** Disruptions beside the emulator's REST faults: the gateway dropped, invalidated and told to reconnect; the runtime restarted. */
import { weighted } from "../test/emulator/chaos.ts";
import type { Bot } from "./bot.ts";
import { type Actors, emu } from "./members.ts";

export interface DisruptionOptions {
  /** A gateway disruption every [min, max] ms. */
  gatewayEveryMs: [number, number];
  /** A runtime restart (every Durable Object evicted) every [min, max] ms, besides the ones the emulator asks for mid-request. */
  restartEveryMs: [number, number];
}

const GATEWAY: { weight: number; action: string; body: Record<string, unknown> }[] = [
  { weight: 35, action: "drop", body: {} },
  { weight: 25, action: "invalidate", body: { resumable: false } },
  { weight: 15, action: "invalidate", body: { resumable: true } },
  { weight: 15, action: "reconnect", body: {} },
  { weight: 10, action: "close", body: { code: 4000, reason: "unknown error" } },
];

const pick = (random: () => number) => weighted(GATEWAY, (g) => g.weight, random());

const between = (random: () => number, [min, max]: [number, number]) => min + random() * (max - min);

/** Starts both loops; `stop()` ends them (and waits for a restart under way). What happened is in `log`. */
export function disrupt(a: Actors & { bot: Bot }, random: () => number, opts: DisruptionOptions) {
  const log: string[] = [];
  let running = true;
  // Waits that stop() can cut short, so a finished run does not sit out the last interval.
  const waits = new Set<ReturnType<typeof setTimeout>>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        waits.delete(t);
        resolve();
      }, ms);
      waits.add(t);
    });
  const gateway = (async () => {
    while (running) {
      await sleep(between(random, opts.gatewayEveryMs));
      if (!running) break;
      const g = pick(random);
      const what = `${g.action}${g.action === "invalidate" ? (g.body.resumable ? " (resumable)" : " (not resumable)") : ""}`;
      try {
        await emu(a, `/_emulator/gateway/${g.action}`, g.body);
        log.push(what);
        a.log(`gateway: ${what}`);
      } catch (error) {
        a.log(`gateway ${what} failed: ${String(error)}`);
      }
    }
  })();
  const restarts = (async () => {
    while (running) {
      await sleep(between(random, opts.restartEveryMs));
      if (!running) break;
      a.log("runtime restart (scheduled)");
      await a.bot.restart("scheduled");
    }
  })();
  return {
    log,
    async stop() {
      running = false;
      for (const t of waits) clearTimeout(t);
      await a.bot.ready();
      // A loop parked in a cleared wait never resumes; one mid-action finishes it, then sees `running` false.
      void gateway;
      void restarts;
    },
  };
}
