/** Bindings the test configuration adds on top of the Worker's own. */
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
      EMULATOR_URL: string;
    }
  }
}
