/**
 * Prints one plain closing line, `vitest: N passed, N failed, N skipped`, that CI reads whatever the runner's
 * own format (vitest's "Tests  N passed (N)" is not one it knows).
 */
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A file that failed to load (syntax error, failing beforeAll) has no test results: count it.
      if (mod.state() === "failed" && [...mod.children.allTests()].every((t) => t.result().state !== "failed")) failed++;
    }
    // After vitest's own summary, so it is the closing line.
    process.once("exit", () => process.stdout.write(`\nvitest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`));
  }
}
