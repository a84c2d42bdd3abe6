import { describe, expect, it } from "vitest";
import { decodeBoundTokensPerSecond, measureMemoryBandwidth } from "../../bench/lib/bandwidth";

describe("bench memory bandwidth", () => {
  it("measures a positive read bandwidth with the requested runs (small working set)", async () => {
    const r = await measureMemoryBandwidth({ bytes: 8 << 20, runs: 3, minRunMs: 20 });
    expect(r.runs).toHaveLength(3);
    for (const x of r.runs) expect(x).toBeGreaterThan(0.1); // > 100 MB/s: memcmp, not a JS loop
    expect(r.gbPerSecond).toBe([...r.runs].sort((a, b) => a - b)[1]);
    expect(r.bytes).toBeGreaterThan(0);
    expect(r.bytes).toBeLessThanOrEqual(8 << 20);
    expect(r.threads).toBeGreaterThanOrEqual(1);
  });

  it("bounds decode speed by bandwidth / bytes per token", () => {
    expect(decodeBoundTokensPerSecond(6.7e9, 20)).toBeCloseTo(2.985, 3); // 12B Q4_0 at 20 GB/s
    expect(decodeBoundTokensPerSecond(1e8, 10)).toBe(100);
    expect(() => decodeBoundTokensPerSecond(0, 10)).toThrow(RangeError);
  });
});
