// bench:scale's measuring tools: the bench Worker's counters (diffed between two reads), the emulator's log of the bot's
// REST calls, percentiles, and waiting for a condition with a deadline.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { CLK_TCK } from "../lib.mjs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU time (ms, user + system) of the workerd processes this bench started (its descendants only: the machine may run
 * other workerd processes), or null where /proc is missing.
 */
export function ownWorkerdCpuMs() {
  if (!existsSync("/proc/self/stat")) return null;
  const procs = new Map();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(pid), { workerd: stat.includes("(workerd)"), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended between listing and reading.
    }
  }
  const mine = (pid) => {
    for (let p = procs.get(pid)?.ppid, hops = 0; p && hops < 20; p = procs.get(p)?.ppid, hops++) if (p === process.pid) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, p] of procs) if (p.workerd && mine(pid)) ticks += p.ticks;
  return Math.round((ticks * 1000) / CLK_TCK);
}

/** The counters of bench/scale/worker.ts (monotonic since the runtime started). */
export async function readStats(botUrl) {
  const res = await fetch(new URL("/__bench/stats", botUrl));
  return res.json();
}

const sum = (o, f) => Object.values(o).reduce((n, v) => n + f(v), 0);

/** What the bot did between two reads of its counters, and what Discord saw in between (the emulator's log). */
export function workBetween(a, b, emulator, seqFrom, seqTo) {
  const d1 = {};
  for (const k of ["statements", "batches", "rows_read", "rows_written"]) d1[k] = sum(b.d1, (v) => v[k]) - sum(a.d1, (v) => v[k]);
  const objects = {};
  for (const [cls, o] of Object.entries(b.objects)) {
    const before = a.objects[cls];
    objects[cls] = {
      requests: o.rpc + o.alarm - before.rpc - before.alarm,
      rpc: o.rpc - before.rpc,
      alarm: o.alarm - before.alarm,
      active_ms: o.active_ms - before.active_ms,
    };
  }
  const calls = emulator.requests.filter((r) => r.seq > seqFrom && r.seq <= seqTo && r.user_agent?.includes("DiscordBot"));
  return {
    worker_invocations: b.worker.fetch + b.worker.scheduled - a.worker.fetch - a.worker.scheduled,
    d1,
    do_requests: sum(objects, (o) => o.requests),
    objects,
    rest_calls: calls.filter((r) => r.status !== 429).length,
    rest_429: calls.filter((r) => r.status === 429).length,
  };
}

/** `work` divided by `n` units (figures rounded for the table). */
export function perUnit(work, n) {
  const r = (x) => Math.round((x / (n > 0 ? n : 1)) * 1000) / 1000;
  return {
    units: n,
    worker_invocations: r(work.worker_invocations),
    d1_statements: r(work.d1.statements),
    d1_rows_read: r(work.d1.rows_read),
    d1_rows_written: r(work.d1.rows_written),
    do_requests: r(work.do_requests),
    do_active_ms: r(Object.values(work.objects).reduce((t, o) => t + o.active_ms, 0)),
    rest_calls: r(work.rest_calls),
    cpu_ms: work.cpu_ms === null || work.cpu_ms === undefined ? null : r(work.cpu_ms),
  };
}

export function percentile(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function summary(xs) {
  return { n: xs.length, p50_ms: percentile(xs, 50), p99_ms: percentile(xs, 99), max_ms: xs.length ? Math.max(...xs) : null };
}

/**
 * Runs a bench-side D1 call (Node → Miniflare's proxy), again after a lost connection: on a loaded machine the proxy's
 * socket is sometimes closed under a request ("fetch failed"). Only idempotent statements go through it.
 */
export async function retry(call, attempts = 4) {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (i >= attempts || !String(error?.message).includes("fetch failed")) throw error;
      await sleep(250 * i);
    }
  }
}

/** Polls `check` (async, truthy = done; a failed check counts as not yet) every `everyMs` until `deadline`; returns whether it held. */
export async function until(check, deadline, everyMs = 500) {
  for (;;) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

export const lastSeq = (emulator) => emulator.requests.at(-1)?.seq ?? 0;

/** Resolves once the bot made no REST call for `quietMs` (or the deadline passed). */
export async function quiet(emulator, quietMs, deadline) {
  return until(
    () => {
      const last = emulator.requests.at(-1);
      return !last || Date.now() - last.at >= quietMs;
    },
    deadline,
    250,
  );
}
