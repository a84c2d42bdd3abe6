#!/usr/bin/env node
// `npm test` after the build: the unit + integration suite (vitest, real engine) and the end-to-end suite in
// a real VS Code (test/e2e/run.mjs), both run even if the first fails; the closing line adds them up.
import { spawn } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

function run(cmd, args, closing) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let last = { passed: 0, failed: 1, seen: false };
    let buffer = "";
    child.stdout.on("data", (d) => {
      process.stdout.write(d);
      buffer += d.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const m = closing.exec(line.replace(/\x1b\[[0-9;]*m/g, ""));
        if (m) last = { passed: Number(m[1]), failed: Number(m[2]), seen: true };
      }
    });
    child.on("exit", (code) => resolve({ ...last, code: code ?? 1 }));
  });
}

const only = process.argv[2];
const results = [];
if (only !== "e2e") results.push(await run(process.execPath, [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run"], /^vitest: (\d+) passed, (\d+) failed/));
if (only !== "unit") results.push(await run(process.execPath, [path.join(root, "test", "e2e", "run.mjs")], /^e2e: (\d+) passed, (\d+) failed/));
const passed = results.reduce((s, r) => s + r.passed, 0);
// A suite that crashed before its closing line counts as one failure.
const failed = results.reduce((s, r) => s + (r.seen ? r.failed : Math.max(1, r.failed)) + (r.seen && r.code !== 0 && r.failed === 0 ? 1 : 0), 0);
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 ? 1 : 0);
