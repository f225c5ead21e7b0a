import { describe, expect, it } from "vitest";
import wranglerToml from "../wrangler.toml?raw";
import { CRON } from "./cron-triggers";
import { registry } from "./features";

/** The `crons = [...]` line of `[triggers]` (the file is small and hand-written; a TOML parser is not needed here). */
function configuredCrons(toml: string): string[] {
  const triggers = toml.slice(toml.indexOf("[triggers]"));
  const line = triggers.split("\n").find((l) => l.trim().startsWith("crons"));
  return JSON.parse(line?.slice(line.indexOf("=") + 1).trim() ?? "[]");
}

describe("cron triggers", () => {
  it("wrangler.toml lists exactly the triggers the code names", () => {
    expect(configuredCrons(wranglerToml).sort()).toEqual(Object.values(CRON).sort());
  });

  it("every trigger has a job, and every job's trigger exists", () => {
    const used = new Set(registry.crons.map((j) => j.cron));
    expect([...used].sort()).toEqual(Object.values(CRON).sort());
  });
});
