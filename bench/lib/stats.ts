// Small statistics + Markdown helpers for benchmark reports.

/** Median (mean of the two middle values for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * p-th percentile (0..100) with linear interpolation between closest ranks (the "R-7" / NumPy
 * default), so p50 equals the median and p0/p100 are the min/max. NaN for an empty list.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export interface Column<R> {
  header: string;
  /** the cell value: a key of the row or a function */
  value: keyof R | ((row: R) => unknown);
  align?: "left" | "right" | "center";
  /** fraction digits for numbers (default: integers as-is, others 2) */
  digits?: number;
}

function formatCell(v: unknown, digits?: number): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? "n/a" : String(v);
    if (digits !== undefined) return v.toFixed(digits);
    return Number.isInteger(v) ? String(v) : v.toFixed(2);
  }
  return String(v);
}

/** Cells must not break the table: escape pipes, turn newlines into <br>. */
function escapeCell(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/**
 * A GitHub-flavoured Markdown table. `columns` are column specs or row keys (header = key;
 * numbers right-aligned by default).
 */
export function markdownTable<R extends object>(rows: readonly R[], columns: ReadonlyArray<Column<R> | (keyof R & string)>): string {
  const cols: Column<R>[] = columns.map((c) => (typeof c === "string" ? { header: c, value: c } : c));
  const cells = rows.map((row) =>
    cols.map((c) => {
      const v = typeof c.value === "function" ? c.value(row) : row[c.value];
      return { text: escapeCell(formatCell(v, c.digits)), numeric: typeof v === "number" };
    }),
  );
  const align = cols.map((c, i) => c.align ?? (cells.length > 0 && cells.every((r) => r[i].numeric || r[i].text === "") ? "right" : "left"));
  const sep = align.map((a) => (a === "right" ? "---:" : a === "center" ? ":---:" : "---"));
  const line = (xs: string[]) => `| ${xs.join(" | ")} |`;
  return [line(cols.map((c) => escapeCell(c.header))), line(sep), ...cells.map((r) => line(r.map((c) => c.text)))].join("\n") + "\n";
}
