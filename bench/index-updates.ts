// The workspace index under a large change: what a `git checkout` or `git pull` of thousands of files costs
// the host, and above all how long it holds the host's event loop (an LSP inline completion request that
// arrives meanwhile waits that long before it even starts). The host must keep answering while the workspace
// prefix catches up (issue #4: "Update incrementally on file changes, in the background, without blocking
// completions").
//
//   npm run bench:index -- [--files 5000] [--changed 2000] [--runs 5] [--out bench/results/index-updates]
//
// A generated workspace (TypeScript files of 40 lines in 50 folders) is indexed; then `changed` files are
// rewritten, a tenth as many deleted and as many added, and the index is given all those paths at once (VS
// Code's watcher reports a checkout in batches; one batch is the worst case). Measured per run: wall time
// and the longest event-loop block (perf_hooks.monitorEventLoopDelay, 1 ms resolution) during build() and
// update(). Medians over `runs` fresh workspaces. Writes <out>.json and <out>.md.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { WorkspaceIndex } from "../server/workspace/index";

const REPO = fileURLToPath(new URL("..", import.meta.url));

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf("--" + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const FILES = Number(arg("files", "5000"));
const CHANGED = Number(arg("changed", "2000"));
const RUNS = Number(arg("runs", "5"));
const OUT = arg("out", path.join(REPO, "bench", "results", "index-updates"));

const fileText = (i: number, version: number) =>
  Array.from({ length: 40 }, (_, k) => `export const value${i}_${k} = ${version} + ${k}; // generated for the index benchmark, line ${k}`).join("\n") + "\n";
const fileAt = (root: string, i: number) => path.join(root, `pkg${i % 50}`, `module${i}.ts`);

interface Run {
  buildMs: number;
  buildMaxBlockMs: number;
  updateMs: number;
  updateMaxBlockMs: number;
  chunks: number;
  reusedTokens: number;
  tokensAfter: number;
}

/** Runs `fn`, returning its wall time and the longest event-loop block while it ran. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; maxBlockMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // (the monitor misses a block that starts before its first tick)
  await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5)); // let the monitor record the last interval
  h.disable();
  return { value, ms, maxBlockMs: h.max / 1e6 };
}

async function once(): Promise<Run> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-bench-index-"));
  try {
    for (let i = 0; i < FILES; i++) {
      fs.mkdirSync(path.dirname(fileAt(root, i)), { recursive: true });
      fs.writeFileSync(fileAt(root, i), fileText(i, 0));
    }
    const index = new WorkspaceIndex(root, { tokenBudget: 100_000_000 });
    const build = await timed(() => index.build());
    // The checkout: rewrite CHANGED files, delete a tenth as many, add as many.
    const paths: string[] = [];
    for (let i = 0; i < CHANGED; i++) {
      fs.writeFileSync(fileAt(root, i), fileText(i, 1));
      paths.push(fileAt(root, i));
    }
    const extra = Math.round(CHANGED / 10);
    for (let i = FILES - extra; i < FILES; i++) {
      fs.rmSync(fileAt(root, i));
      paths.push(fileAt(root, i));
    }
    for (let i = FILES; i < FILES + extra; i++) {
      fs.writeFileSync(fileAt(root, i), fileText(i, 1));
      paths.push(fileAt(root, i));
    }
    const update = await timed(() => index.update(paths));
    return {
      buildMs: build.ms,
      buildMaxBlockMs: build.maxBlockMs,
      updateMs: update.ms,
      updateMaxBlockMs: update.maxBlockMs,
      chunks: index.stats().chunks,
      reusedTokens: update.value.reusedTokens,
      tokensAfter: update.value.tokensAfter,
    };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  const pick = (k: keyof Run) => r1(median(runs.map((r) => r[k])));
  const result = {
    files: FILES,
    changedPaths: CHANGED + 2 * Math.round(CHANGED / 10),
    runs: RUNS,
    buildMsP50: pick("buildMs"),
    buildMaxBlockMsP50: pick("buildMaxBlockMs"),
    updateMsP50: pick("updateMs"),
    updateMaxBlockMsP50: pick("updateMaxBlockMs"),
    chunks: runs[0].chunks,
    reusedTokens: runs[0].reusedTokens,
    tokensAfter: runs[0].tokensAfter,
    perRun: runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, r1(v)]))),
    node: process.version,
    cpus: os.cpus().length,
    at: new Date().toISOString(),
  };
  const md = [
    `Workspace index under a checkout: ${FILES} files indexed, then ${result.changedPaths} paths changed at once (${CHANGED} rewritten, ${Math.round(CHANGED / 10)} deleted, ${Math.round(CHANGED / 10)} added); median of ${RUNS} runs.`,
    "",
    "| step | wall time (ms) | longest event-loop block (ms) |",
    "| --- | ---: | ---: |",
    `| build() | ${result.buildMsP50} | ${result.buildMaxBlockMsP50} |`,
    `| update() | ${result.updateMsP50} | ${result.updateMaxBlockMsP50} |`,
  ].join("\n");
  fs.writeFileSync(OUT + ".json", JSON.stringify(result, null, 2) + "\n");
  fs.writeFileSync(OUT + ".md", md + "\n");
  console.log(JSON.stringify({ ...result, perRun: undefined }));
  console.log(md);
}

void main();
