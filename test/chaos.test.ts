/** The chaos suite's fast subset: one seed of the small scenario, with the same harness and oracles as `npm run chaos`. */
import { describe, expect, it } from "vitest";
import { defaults, runSeed } from "../chaos/harness.ts";
import { clean } from "../chaos/oracle.ts";
import { printFindings, printTable } from "../chaos/report.ts";
import { Chaos } from "../test/emulator/chaos.ts";

describe("the emulator's seeded faults", () => {
  const run = (seed: number, method = "POST") => {
    const c = new Chaos({ seed, rate: 0.2, commitShare: 0.5 });
    return Array.from({ length: 10_000 }, (_, i) => c.decide(method, `/channels/${i}/messages`));
  };

  it("repeat exactly for a seed, differ across seeds, and hit about the rate asked for", () => {
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    const share = run(3).filter(Boolean).length / 10_000;
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.22);
  });

  it("apply only writes before losing the answer, and never a 429", () => {
    const writes = run(4).filter((d) => d !== null);
    expect(writes.some((d) => d.commit && d.kind !== "429")).toBe(true);
    expect(writes.some((d) => d.commit && d.kind === "429")).toBe(false);
    expect(run(4, "GET").some((d) => d?.commit)).toBe(false);
    expect(new Set(writes.map((d) => d.kind))).toEqual(new Set(["5xx", "429", "timeout", "reset"]));
  });
});

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
