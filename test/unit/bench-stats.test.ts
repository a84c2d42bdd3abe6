import { describe, expect, it } from "vitest";
import { markdownTable, mean, median, percentile } from "../../bench/lib/stats";

describe("bench stats", () => {
  it("median of odd and even counts, unsorted input untouched", () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it("percentile interpolates between closest ranks", () => {
    const xs = [10, 20, 30, 40, 50];
    expect(percentile(xs, 0)).toBe(10);
    expect(percentile(xs, 100)).toBe(50);
    expect(percentile(xs, 50)).toBe(30);
    expect(percentile(xs, 25)).toBe(20);
    expect(percentile(xs, 90)).toBeCloseTo(46, 10);
    expect(percentile([1, 2], 95)).toBeCloseTo(1.95, 10);
    expect(() => percentile(xs, 101)).toThrow(RangeError);
    expect(() => percentile(xs, -1)).toThrow(RangeError);
    expect(mean([1, 2, 6])).toBe(3);
  });

  it("renders a markdown table with alignment, formatting and escaping", () => {
    const rows = [
      { name: "hearth", p50: 12.345, n: 3 },
      { name: "a|b\nc", p50: NaN, n: 10 },
    ];
    const md = markdownTable(rows, ["name", { header: "p50 ms", value: "p50", digits: 1 }, { header: "n×2", value: (r) => r.n * 2 }]);
    expect(md).toBe(
      [
        "| name | p50 ms | n×2 |",
        "| --- | ---: | ---: |",
        "| hearth | 12.3 | 6 |",
        "| a\\|b<br>c | n/a | 20 |",
        "",
      ].join("\n"),
    );
    expect(markdownTable([], ["x" as never])).toBe("| x |\n| --- |\n");
  });
});
