/**
 * `npm run chaos`: every feature's lifecycle on local workerd against the emulator while it injects seeded faults,
 * the runtime restarts and the gateway drops; prints what a server saw per seed and feature, writes a JSON report,
 * and exits non-zero unless nothing was lost, duplicated or left behind.
 *
 *   npm run chaos                     seeds 1, 2 and 3
 *   npm run chaos -- --seed 7         one seed (repeat or comma-separate for more)
 *   npm run chaos -- --small          the fast scenario `npm test` runs
 *   npm run chaos -- --out file.json  where the report goes (default chaos-report.json)
 *   npm run chaos -- --verbose        every step, fault switch and restart as it happens
 *   npm run chaos -- --dump /tmp/x    the emulator's request log per seed (/tmp/x-seed1.json …), to diagnose findings
 */
import { parseArgs } from "node:util";
import { defaults, runSeed, type SeedReport } from "./harness.ts";
import { allClean, printFindings, printTable, writeReport } from "./report.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string", multiple: true },
    small: { type: "boolean", default: false },
    out: { type: "string", default: "chaos-report.json" },
    verbose: { type: "boolean", default: false },
    rate: { type: "string" },
    dump: { type: "string" },
  },
});

const seeds = (values.seed ?? ["1,2,3"]).flatMap((s) => s.split(",")).map(Number);
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) {
  console.error("--seed takes whole numbers, e.g. --seed 4 or --seed 1,2,3");
  process.exit(2);
}

process.env.WRANGLER_SEND_METRICS = "false";
const reports: SeedReport[] = [];
for (const seed of seeds) {
  const o = defaults(seed, values.small ? "small" : "full", values.verbose ? (line) => console.error(line) : () => {});
  if (values.rate) o.faultRate = Number(values.rate);
  o.dump = values.dump;
  console.error(`seed ${seed}: running the ${o.size} scenario with ${Math.round(o.faultRate * 100)} % faults …`);
  reports.push(await runSeed(o));
}
printTable(reports);
printFindings(reports);
writeReport(values.out, reports);
console.log(`report: ${values.out}`);
process.exit(allClean(reports) ? 0 : 1);
