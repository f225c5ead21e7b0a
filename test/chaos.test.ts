/** The chaos suite's fast subset: one seed of the small scenario, with the same harness and oracles as `npm run chaos`. */
import { expect, it } from "vitest";
import { defaults, runSeed } from "../chaos/harness.ts";
import { clean } from "../chaos/oracle.ts";
import { printFindings, printTable } from "../chaos/report.ts";

it("under 20 % faults, restarts and gateway drops, a server sees nothing lost, duplicated or left behind", async () => {
  process.env.WRANGLER_SEND_METRICS = "false";
  const seed = Number(process.env.CHAOS_SEED ?? 1);
  const report = await runSeed(defaults(seed, "small", () => {}));
  const lines: string[] = [];
  printTable([report], (l) => lines.push(l));
  printFindings([report], (l) => lines.push(l));
  // Faults were really injected, so a clean result means something.
  expect(
    Object.values(report.faults).reduce((a, b) => a + b, 0),
    lines.join("\n"),
  ).toBeGreaterThan(0);
  expect(
    report.features.filter((f) => !clean(f)).flatMap((f) => f.findings.map((x) => `${f.feature}: ${x.kind} ${x.what} — ${x.detail}`)),
    lines.join("\n"),
  ).toEqual([]);
});
