// Shared helpers for the Node scripts (start, register, bench): config files and bundling src/ for Node.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build } from "esbuild";

/** Reads KEY=VALUE lines of .dev.vars (the file wrangler dev reads), ignoring comments and blanks. */
export function readDevVars(path = ".dev.vars") {
  if (!existsSync(path)) return {};
  const out = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/);
    if (!m) continue;
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}

/** Real Discord credentials present (from the environment or .dev.vars)? */
export function credentials() {
  const vars = { ...readDevVars(), ...process.env };
  const ok = ["DISCORD_TOKEN", "DISCORD_APPLICATION_ID", "DISCORD_PUBLIC_KEY"].every((k) => vars[k] && !String(vars[k]).startsWith("<"));
  return ok ? vars : null;
}

/** Bundles a TypeScript module of src/ for Node so scripts use the same command definitions as the Worker. */
export async function importSrc(entry) {
  // Inside node_modules so the bundle's bare imports (packages stay external) resolve from the project.
  await mkdir("node_modules/.cache/eventbot", { recursive: true });
  const dir = await mkdtemp("node_modules/.cache/eventbot/");
  const outfile = resolve(join(dir, "bundle.mjs"));
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile,
    packages: "external",
    external: ["cloudflare:*"],
    logLevel: "error",
  });
  return import(outfile);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
