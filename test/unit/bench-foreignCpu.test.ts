import { describe, expect, it } from "vitest";
import { foreignCpuBetween, type CpuSnapshot } from "../../bench/lib/foreignCpu";

const snap = (rows: [pid: number, cpu: number, ppid: number][]): CpuSnapshot => new Map(rows.map(([pid, cpu, ppid]) => [pid, { cpu, ppid }]));

describe("bench foreign CPU", () => {
  it("counts growth of surviving processes and new ones in full, skips exited ones and excluded trees", () => {
    const before = snap([
      [1, 10, 0],
      [2, 5, 1],
      [3, 100, 1], // exits
      [10, 7, 1], // excluded: the benchmark
      [11, 3, 10], // its engine
    ]);
    const after = snap([
      [1, 12.5, 0],
      [2, 5, 1],
      [10, 50, 1],
      [11, 80, 10],
      [12, 9, 11], // a child of the engine, started in between
      [5, 0.75, 2], // started in between
    ]);
    expect(foreignCpuBetween(before, after, [10])).toBeCloseTo(2.5 + 0 + 0.75, 12);
  });

  it("never goes negative for a process whose counters went back (pid reused)", () => {
    expect(foreignCpuBetween(snap([[1, 10, 0]]), snap([[1, 2, 0]]), [])).toBe(0);
  });
});
