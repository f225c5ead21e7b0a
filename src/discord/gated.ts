/** A Discord client (and Services) whose every call first takes its slot from the RateGate in a given lane. */
import type { Services } from "../services";
import { rateGate, SlotSource, type SlotSourceOptions } from "./rate-gate";
import type { Discord } from "./rest";

/** The client a gated one wraps: gating a gated client again replaces its lane instead of taking two slots per call. */
const UNGATED = Symbol("ungated");
type MaybeGated = Discord & { [UNGATED]?: Discord };

export function gatedDiscord(discord: Discord, slots: SlotSource): Discord {
  const raw = (discord as MaybeGated)[UNGATED] ?? discord;
  const through = <K extends keyof Discord>(method: K): Discord[K] =>
    (async (route: Parameters<Discord[K]>[0], data?: Parameters<Discord[K]>[1]) => {
      await slots.take();
      return raw[method](route, data);
    }) as Discord[K];
  const gated: MaybeGated = {
    get: through("get"),
    post: through("post"),
    put: through("put"),
    patch: through("patch"),
    delete: through("delete"),
    create: through("create"),
    putAlongside: through("putAlongside"),
    deleteAlongside: through("deleteAlongside"),
    postAlongside: through("postAlongside"),
  };
  Object.defineProperty(gated, UNGATED, { value: raw });
  return gated;
}

/**
 * The same services, with a client whose calls go through the gate in `lane` for `guild`. Everything else is
 * the original (looked up through the prototype, so lazy parts stay lazy; the client too is made on first use).
 */
export function gatedServices(s: Services, opts: SlotSourceOptions | SlotSource): Services {
  let discord: Discord | undefined;
  const client = () => {
    discord ??= gatedDiscord(s.discord, opts instanceof SlotSource ? opts : slotSource(s, opts));
    return discord;
  };
  return Object.create(s, { discord: { get: client, enumerable: true } }) as Services;
}

/** Slot times are the gate's real clock (not a test's moved one), so the source waits against Date.now(). */
export function slotSource(s: Pick<Services, "env">, opts: SlotSourceOptions): SlotSource {
  return new SlotSource(rateGate(s.env.RATE_GATE), opts);
}
