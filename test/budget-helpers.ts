/** A REST budget other guilds have booked solid, on a private gate, so a test can defer one step's calls without filling the suite's shared budget. */
import { env } from "cloudflare:workers";
import { BUCKET_MS, type Lane, MAX_GRANT } from "../src/discord/budget";
import { gatedServices } from "../src/discord/gated";
import { type RateGate, rateGate, SlotSource } from "../src/discord/rate-gate";
import type { Services } from "../src/services";

/**
 * `base` with every Discord call taking its slot from a gate whose next 10 s are booked by time-critical work (the
 * guild's own share of the critical lane among them, 5 s ahead): a step's call in any lane throws BudgetDeferred
 * instead of being made.
 */
export async function fullBudget(base: Services, lane: Lane, guildId: string): Promise<Services> {
  const gate = rateGate(env.RATE_GATE, `full-${crypto.randomUUID()}`);
  await bookSolid(gate, 5_000);
  await gate.take({ lane: "critical", guild: guildId, n: 10 });
  await bookSolid(gate, 10_000);
  return gatedServices(base, new SlotSource(gate, { lane, guild: guildId }));
}

/**
 * Other guilds' time-critical work books every slot of the next `ms` (each guild only its fair share, so as many
 * guilds as it takes); returns the start of the last slot booked.
 */
export async function bookSolid(gate: RateGate, ms: number): Promise<number> {
  const until = Date.now() + ms - BUCKET_MS;
  let last = 0;
  for (let i = 0; i < 2_000 && last < until; i++) {
    const g = await gate.take({ lane: "critical", guild: `busy-${crypto.randomUUID()}`, n: MAX_GRANT });
    if (g.ok) last = Math.max(last, ...g.slots);
  }
  return last;
}
