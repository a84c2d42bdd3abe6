// CPU time other processes use while a benchmark measures (Linux /proc). On a shared 2-core machine a
// llama-server with -t 2 slows down several times when anything else runs (a descheduled thread stalls
// every barrier), so measurements wait for a quiet machine, report the foreign CPU share, and are retried.
//
// The share is taken per process between two snapshots (not as a difference of two sums over /proc): processes that exit in between do not make it negative (their CPU time
// reaches their parent's cutime/cstime when reaped, which is counted), and new ones count in full.

import { readFileSync, readdirSync } from "node:fs";

const HZ = 100; // USER_HZ on Linux

/** Per pid: CPU seconds (utime + stime + cutime + cstime) and the parent pid. */
export type CpuSnapshot = Map<number, { cpu: number; ppid: number }>;

export function cpuSnapshot(): CpuSnapshot | null {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const out: CpuSnapshot = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // after the command: ppid is field 1, utime, stime, cutime, cstime fields 11-14
      out.set(Number(pid), { cpu: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / HZ, ppid: Number(f[1]) });
    } catch {
      /* exited */
    }
  }
  return out;
}

/**
 * CPU seconds used between two snapshots by processes outside the trees of `exclude` (a pid and its
 * descendants in `after`): the growth of those in both, all of those only in `after` (started in between);
 * those only in `before` (exited) are left out.
 */
export function foreignCpuBetween(before: CpuSnapshot, after: CpuSnapshot, exclude: Iterable<number>): number {
  const roots = new Set(exclude);
  const excluded = (pid: number) => {
    for (let p = pid, hops = 0; p > 0 && hops < 64; hops++) {
      if (roots.has(p)) return true;
      p = after.get(p)?.ppid ?? 0;
    }
    return false;
  };
  let s = 0;
  for (const [pid, { cpu }] of after) {
    if (excluded(pid)) continue;
    const t0 = before.get(pid)?.cpu;
    s += t0 === undefined ? cpu : Math.max(0, cpu - t0);
  }
  return s;
}

/**
 * Runs `fn` and returns its result with the CPU share (cores) other processes used meanwhile (undefined:
 * unknown). This process and its children (the engine) are not "other".
 */
export async function withForeignCpu<T>(fn: () => Promise<T>): Promise<{ result: T; foreignCpu?: number; seconds: number }> {
  const a = cpuSnapshot();
  const t0 = performance.now();
  const result = await fn();
  const b = cpuSnapshot();
  const seconds = (performance.now() - t0) / 1000;
  const foreignCpu = a && b && seconds > 0 ? foreignCpuBetween(a, b, [process.pid]) / seconds : undefined;
  return { result, foreignCpu, seconds };
}

/**
 * Waits until other processes use less than `maxShare` of one core over a `probeMs` window, at most
 * `maxWaitMs`; returns the last share seen (undefined: unknown).
 */
export async function waitForQuiet(opts: { maxShare?: number; probeMs?: number; maxWaitMs?: number } = {}): Promise<number | undefined> {
  const { maxShare = 0.1, probeMs = 2000, maxWaitMs = 60_000 } = opts;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const { foreignCpu } = await withForeignCpu(() => new Promise((r) => setTimeout(r, probeMs)));
    if (foreignCpu === undefined || foreignCpu < maxShare || Date.now() >= deadline) return foreignCpu;
  }
}
