/** Starts one Discord emulator for the whole run and hands its port and keys to the Worker under test. */
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    emulatorPort: number;
    publicKey: string;
    applicationId: string;
    botToken: string;
  }
}

export default async function setup(project: TestProject) {
  const { startEmulator } = await import("./emulator/server.ts");
  const emulator = await startEmulator({ quiet: true });
  // Each test file's relay identifies on this one emulator: it needs only the guilds its own tests make.
  emulator.gateway.config.identify_recent_ms = 120_000;
  project.provide("emulatorPort", emulator.port);
  project.provide("publicKey", emulator.keys.publicKeyHex);
  project.provide("applicationId", emulator.applicationId);
  project.provide("botToken", emulator.botToken);
  return async () => emulator.close();
}
