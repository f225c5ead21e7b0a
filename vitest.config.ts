/**
 * Two projects: the tests inside workerd (real D1 and Durable Objects via Miniflare) against the local Discord
 * emulator, and the chaos suite's fast subset in Node (it runs the bot on its own Miniflare, restarts included).
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

const CHAOS = "test/chaos.test.ts";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  DISCORD_API_BASE: `http://127.0.0.1:${inject<number>("emulatorPort")}`,
                  EMULATOR_URL: `http://127.0.0.1:${inject<number>("emulatorPort")}`,
                  DISCORD_PUBLIC_KEY: inject<string>("publicKey"),
                  DISCORD_APPLICATION_ID: inject<string>("applicationId"),
                  DISCORD_TOKEN: inject<string>("botToken"),
                  EVENT_LEVEL: "",
                  LOG_LEVEL: "warn",
                  WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
                },
              },
            })),
          ],
          // The same stand-ins the Worker bundle uses (wrangler.toml [alias]), so tests run what is deployed.
          resolve: {
            alias: {
              "@vladfrangu/async_event_emitter": new URL("./src/shims/async-event-emitter.ts", import.meta.url).pathname,
              "magic-bytes.js": new URL("./src/shims/magic-bytes.ts", import.meta.url).pathname,
            },
          },
          test: {
            name: "workers",
            // Scenario tests drive whole lifecycles (several alarms, the relay, the emulator) on 2 shared cores.
            testTimeout: 30_000,
            hookTimeout: 30_000,
            globalSetup: ["./test/global-setup.ts"],
            setupFiles: ["./test/setup.ts"],
            include: ["test/**/*.test.ts", "src/**/*.test.ts"],
            exclude: [...configDefaults.exclude, CHAOS],
            deps: { optimizer: { ssr: { enabled: true, include: ["discord-api-types/v10"] } } },
          },
        },
        {
          test: {
            name: "chaos",
            environment: "node",
            include: [CHAOS],
            // One seed of the small scenario: about a minute when clean, longer when it has to wait out a failure.
            testTimeout: 180_000,
          },
        },
      ],
    },
  };
});
