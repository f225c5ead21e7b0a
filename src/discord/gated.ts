/** A Discord client (and Services) whose every call first takes its slot from the RateGate in a given lane. */
import type { Services } from "../services";
import { rateGate, SlotSource, type SlotSourceOptions } from "./rate-gate";
import type { Discord } from "./rest";

export function gatedDiscord(discord: Discord, slots: SlotSource): Discord {
  const through = <K extends keyof Discord>(method: K): Discord[K] =>
    (async (route: Parameters<Discord[K]>[0], data?: Parameters<Discord[K]>[1]) => {
      await slots.take();
      return discord[method](route, data);
    }) as Discord[K];
  return {
    get: through("get"),
    post: through("post"),
    put: through("put"),
    patch: through("patch"),
    delete: through("delete"),
    create: through("create"),
  };
}

/**
 * The same services, with a client whose calls go through the gate in `lane` for `guild`. Everything else is
 * the original (looked up through the prototype, so lazy parts stay lazy).
 */
export function gatedServices(s: Services, opts: SlotSourceOptions | SlotSource): Services {
  const slots = opts instanceof SlotSource ? opts : slotSource(s, opts);
  return Object.create(s, { discord: { value: gatedDiscord(s.discord, slots), enumerable: true } }) as Services;
}

/** Slot times are the gate's real clock (not a test's moved one), so the source waits against Date.now(). */
export function slotSource(s: Services, opts: SlotSourceOptions): SlotSource {
  return new SlotSource(rateGate(s.env.RATE_GATE), opts);
}
