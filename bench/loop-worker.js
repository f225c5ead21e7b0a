// Runs N interactions through one handler inside a single workerd isolate, so the client's cost (and the
// HTTP stack both handlers share) drops out: the wall time of one /loop request divided by N is server time.

import bot from "../src/index.ts";
import minimal from "./minimal-worker.js";

export { EventTimer, GatewayRelay, RateGate } from "../src/index.ts";

const handlers = { ours: bot, minimal };

export default {
  async fetch(request, env, ctx) {
    const { target, n, headers, body } = await request.json();
    const handler = handlers[target];
    if (!handler) return new Response(`unknown target ${target}`, { status: 400 });
    let failures = 0;
    for (let i = 0; i < n; i++) {
      const response = await handler.fetch(new Request("http://bench/interactions", { method: "POST", headers, body }), env, ctx);
      await response.arrayBuffer();
      if (response.status !== 200) failures++;
    }
    return Response.json({ n, failures });
  },
};
