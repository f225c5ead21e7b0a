/** The every-minute cron that keeps each shard's gateway relay connected (it reconnects itself between ticks). */

import { CRON } from "../../cron-triggers";
import { missingSecrets } from "../../env";
import type { CronJob } from "../../feature";
import { keepRelaysAlive } from "../../gateway/client";
import { logger } from "../../log";

export const gatewayKeepalive: CronJob = {
  name: "gateway.keepalive",
  cron: CRON.everyMinute,
  async run(services) {
    if (missingSecrets(services.env).length) {
      logger.debug("gateway.keepalive_skipped", { reason: "credentials missing" });
      return;
    }
    const { shards, states } = await keepRelaysAlive(services.env.GATEWAY_RELAY);
    logger.debug("gateway.keepalive", { shards, states });
  },
};
