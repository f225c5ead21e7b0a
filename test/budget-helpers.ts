/** A REST budget other guilds have booked solid, on a private gate, so a test can defer one step's calls without filling the suite's shared budget. */
import { env } from "cloudflare:workers";
import type { Lane } from "../src/discord/budget";
import { gatedServices } from "../src/discord/gated";
import { rateGate, SlotSource } from "../src/discord/rate-gate";
import type { Services } from "../src/services";

/**
 * `base` with every Discord call taking its slot from a gate whose next 10 s are booked by time-critical work (the
 * guild's own share of the critical lane among them, 5 s ahead): a step's call in any lane throws BudgetDeferred
 * instead of being made.
 */
export async function fullBudget(base: Services, lane: Lane, guildId: string): Promise<Services> {
  const gate = rateGate(env.RATE_GATE, `full-${crypto.randomUUID()}`);
  for (let i = 0; i < 25; i++) await gate.take({ lane: "critical", guild: `busy-${i}`, n: 10 });
  await gate.take({ lane: "critical", guild: guildId, n: 10 });
  for (let i = 25; i < 60; i++) await gate.take({ lane: "critical", guild: `busy-${i}`, n: 10 });
  return gatedServices(base, new SlotSource(gate, { lane, guild: guildId }));
}
