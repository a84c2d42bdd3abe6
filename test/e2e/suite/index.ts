/// <reference types="mocha" />
/**
 * The extension-host test entry (the standard VS Code `run(): Promise<void>`): runs the mocha suite in
 * out/e2e/suite/*.test.cjs inside VS Code's extension host. Used by test/e2e/run.mjs (code-server, through
 * the smoke-test driver's payload) and by test/e2e/electron.mjs (@vscode/test-electron, desktop VS Code).
 *
 * A window reload ends the extension host, so the suite runs in two stages: tests whose title has
 * `@after-reload` run only after a reload that the first stage asks for (a test calls
 * `saveForAfterReload`); the reloaded window runs this entry again and the stage is read from the state
 * file (HEARTH_E2E_STATE). Without a state file there is no reload and `@after-reload` tests are skipped.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { readState, writeState } from "./helpers";

/** Run order: cheap checks first, the engine-kill test (chat) near the end; vscode.lm after it, on the restarted engine. */
const FILES = ["settings", "completion", "workspace", "apply", "edit", "commands", "commit", "explain", "summarize", "chat", "languageModel"];

type MochaCtor = typeof import("mocha");

function makeReporter(Mocha: MochaCtor, resultsFile: string | undefined) {
  const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_TEST_BEGIN } = Mocha.Runner.constants;
  return class E2eReporter extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
      super(runner, options);
      const write = (rec: Record<string, unknown>) => {
        if (resultsFile) fs.appendFileSync(resultsFile, JSON.stringify({ phase: "A", ...rec, at: Date.now() }) + "\n");
      };
      runner.on(EVENT_TEST_BEGIN, (t: Mocha.Test) => write({ event: "begin", title: t.fullTitle() }));
      runner.on(EVENT_TEST_PASS, (t: Mocha.Test) => write({ event: "pass", title: t.fullTitle(), ms: t.duration }));
      runner.on(EVENT_TEST_PENDING, (t: Mocha.Test) => write({ event: "skip", title: t.fullTitle() }));
      runner.on(EVENT_TEST_FAIL, (t: Mocha.Test, err: Error) => write({ event: "fail", title: t.fullTitle(), ms: t.duration, error: String(err?.stack ?? err) }));
    }
  };
}

export async function run(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require("mocha") as MochaCtor;
  const state = readState();
  const afterReload = state.stage === "after-reload";
  if (!afterReload) writeState({ stage: "before-reload", reloadRequested: false });

  const mocha = new Mocha({
    ui: "bdd",
    color: false,
    timeout: 300_000 * (Number(process.env.HEARTH_E2E_TIMEOUT_SCALE) || 1),
    reporter: makeReporter(Mocha, process.env.HEARTH_E2E_RESULTS || undefined),
  });
  mocha.grep(/@after-reload/);
  if (!afterReload) mocha.invert();
  for (const f of FILES) mocha.addFile(path.join(__dirname, `${f}.test.cjs`));

  const stats = await new Promise<{ failures: number; passes: number }>((resolve, reject) => {
    try {
      const runner = mocha.run(() => resolve({ failures: runner.stats?.failures ?? 0, passes: runner.stats?.passes ?? 0 }));
    } catch (e) {
      reject(e);
    }
  });

  const resultsFile = process.env.HEARTH_E2E_RESULTS;
  const reload = !afterReload && Boolean(readState().reloadRequested);
  if (resultsFile) fs.appendFileSync(resultsFile, JSON.stringify({ phase: "A", event: "end", stage: afterReload ? "after-reload" : "before-reload", final: !reload, ...stats, at: Date.now() }) + "\n");
  if (reload) {
    writeState({ stage: "after-reload", failuresBeforeReload: stats.failures, passesBeforeReload: stats.passes });
    await vscode.commands.executeCommand("workbench.action.reloadWindow");
    // This extension host ends with the reload; the reloaded window runs the `@after-reload` stage.
    return new Promise<void>(() => {});
  }
  const failures = stats.failures + (state.failuresBeforeReload ?? 0);
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
}
