#!/usr/bin/env node
// The same extension-host suite (test/e2e/suite) in desktop VS Code through @vscode/test-electron, for a
// machine that has VS Code installed: VSCODE_EXECUTABLE=/path/to/code node test/e2e/electron.mjs
// (run `node test/e2e/run.mjs --phase a` once first, or `npm run build`, so out/e2e/suite and dist/ exist;
// this entry builds the suite itself). It never downloads VS Code; without VSCODE_EXECUTABLE it skips.
//
// Desktop VS Code has no UI bridge, so the chat tests that type into the webview are skipped there; the
// completion, Explain Screenshot and Summarize Meeting Recording tests run. The reload stage runs too
// (the reloaded window runs the suite again and reads its stage from HEARTH_E2E_STATE).
import { buildSuite } from "./lib/suite.mjs";
import { userSettings } from "./lib/settings.mjs";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const exe = process.env.VSCODE_EXECUTABLE;
if (!exe) {
  process.stdout.write("e2e-electron: VSCODE_EXECUTABLE is not set (a desktop VS Code binary); skipped\ne2e-electron: 0 passed, 0 failed, 1 skipped\n");
  process.exit(0);
}
if (!fs.existsSync(exe)) {
  process.stderr.write(`e2e-electron: VSCODE_EXECUTABLE=${exe} does not exist\n`);
  process.exit(1);
}

const { runTests } = await import("@vscode/test-electron");

// Build the suite (same step as run.mjs).
const outdir = await buildSuite(REPO);
const esbuild = await import("esbuild");

// A per-run directory: models, workspace copy with media fixtures, user settings, extensions dir.
const run = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-e2e-electron-"));
const models = path.join(run, "models");
const r = spawnSync(process.execPath, [path.join(REPO, "dist", "cli.js"), "models", "tiny", models], { stdio: "inherit" });
if (r.status !== 0) process.exit(1);
const ws = path.join(run, "workspace");
fs.cpSync(path.join(REPO, "test", "e2e", "workspace"), ws, { recursive: true });
await esbuild.build({ entryPoints: [path.join(REPO, "test", "helpers", "media.ts")], outfile: path.join(REPO, "out", "e2e", "media.cjs"), bundle: true, platform: "node", format: "cjs", logLevel: "warning" });
const { createRequire } = await import("node:module");
const media = createRequire(import.meta.url)(path.join(REPO, "out", "e2e", "media.cjs"));
const { makeMediaFixtures } = await import("./lib/fixtures.mjs");
await makeMediaFixtures({ dir: path.join(ws, "assets"), tools: { chromium: process.env.HEARTH_E2E_CHROMIUM || "/usr/bin/chromium" }, mediaHelpers: media, env: process.env, log: (m) => process.stderr.write(`${m}\n`) });
const userData = path.join(run, "user-data");
fs.mkdirSync(path.join(userData, "User"), { recursive: true });
fs.writeFileSync(
  path.join(userData, "User", "settings.json"),
  JSON.stringify(userSettings(models), null, 2),
);

let code = 0;
try {
  await runTests({
    vscodeExecutablePath: exe,
    extensionDevelopmentPath: REPO,
    extensionTestsPath: path.join(outdir, "index.cjs"),
    extensionTestsEnv: { HEARTH_E2E_STATE: path.join(run, "state.json"), HEARTH_E2E_RESULTS: path.join(run, "results.jsonl") },
    launchArgs: [ws, "--user-data-dir", userData, "--extensions-dir", path.join(run, "extensions"), "--disable-workspace-trust", "--skip-welcome", "--skip-release-notes"],
  });
} catch (e) {
  process.stderr.write(`e2e-electron: ${e?.message ?? e}\n`);
  code = 1;
}
// Summarize from the reporter's records.
const recs = fs.existsSync(path.join(run, "results.jsonl")) ? fs.readFileSync(path.join(run, "results.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
const count = (ev) => recs.filter((x) => x.event === ev).length;
process.stdout.write(`e2e-electron: ${count("pass")} passed, ${count("fail") + (code && !count("fail") ? 1 : 0)} failed, ${count("skip")} skipped\n`);
if (code === 0) fs.rmSync(run, { recursive: true, force: true });
process.exit(code);
