/**
 * The Worker as it would be uploaded (`wrangler deploy --dry-run`), gzipped: prints the size and fails above the
 * budget (200 KiB), so a dependency that bloats the bundle is caught in CI, not at deploy time.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KIB = 200;
const out = mkdtempSync(join(tmpdir(), "bundle-"));
try {
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  const code = readFileSync(join(out, "index.js"));
  const kib = gzipSync(code, { level: 9 }).length / 1024;
  console.log(`Worker bundle: ${(code.length / 1024).toFixed(1)} KiB, gzipped ${kib.toFixed(1)} KiB (budget ${BUDGET_KIB} KiB)`);
  if (kib > BUDGET_KIB) {
    console.error(`the gzipped bundle is over budget by ${(kib - BUDGET_KIB).toFixed(1)} KiB`);
    process.exit(1);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
