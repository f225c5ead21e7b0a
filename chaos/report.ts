/** The chaos suite's output: a table per seed and feature, each finding spelled out, and the JSON report. */
import { writeFileSync } from "node:fs";
import type { SeedReport } from "./harness.ts";
import { clean } from "./oracle.ts";

export function printTable(reports: readonly SeedReport[], out: (line: string) => void = console.log): void {
  const rows = reports.flatMap((r) =>
    r.features.map((f) => ({ seed: String(r.seed), feature: f.feature, lost: f.lost, duplicated: f.duplicated, "left behind": f.left_behind })),
  );
  const head = ["seed", "feature", "lost", "duplicated", "left behind"] as const;
  const width = head.map((h) => Math.max(h.length, ...rows.map((row) => String(row[h]).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(width[i] as number) : c.padStart(width[i] as number))).join("  ");
  out(line([...head]));
  out(width.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) out(line(head.map((h) => String(row[h]))));
  for (const r of reports) {
    const faults = Object.entries(r.faults)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const errors = Object.entries(r.bot_errors)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    out(
      `seed ${r.seed}: ${r.requests} REST requests; faults: ${faults || "none"}; runtime restarts: ${r.restarts.length}; gateway: ${r.gateway.length} disruptions; bot errors: ${errors || "none"}; settled in ${Math.round(r.settle_ms / 1000)} s; ${Math.round(r.duration_ms / 1000)} s in all`,
    );
  }
}

export function printFindings(reports: readonly SeedReport[], out: (line: string) => void = console.log): void {
  for (const r of reports) {
    for (const f of r.features) {
      if (clean(f) && !f.notes.length) continue;
      out(`seed ${r.seed} · ${f.feature}:`);
      for (const x of f.findings) out(`  ${x.kind.replace("_", " ")}${x.count > 1 ? ` ×${x.count}` : ""}: ${x.what}${x.detail ? ` — ${x.detail}` : ""}`);
      for (const n of f.notes) out(`  note: ${n}`);
    }
  }
}

export function writeReport(path: string, reports: readonly SeedReport[]): void {
  const total = (k: "lost" | "duplicated" | "left_behind") => reports.reduce((s, r) => s + r.features.reduce((t, f) => t + f[k], 0), 0);
  writeFileSync(
    path,
    `${JSON.stringify({ generated_at: new Date().toISOString(), totals: { lost: total("lost"), duplicated: total("duplicated"), left_behind: total("left_behind") }, seeds: reports }, null, 2)}\n`,
  );
}

export const allClean = (reports: readonly SeedReport[]) => reports.every((r) => r.features.every(clean));
