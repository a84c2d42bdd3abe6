// Teacher-forced estimate of n-gram "prompt lookup" drafting for Edit Selection: an edit's answer copies most
// of the selected code it was shown, so drafts copied from the prompt should be right far more often than in
// inline completion (bench/lookup-estimate.ts: at most 3-5 % saved there). Real weights cannot run here, so the
// model's answer is taken to be the committed code (a fenced block of a hunk's new lines) for the prompt Hearth
// builds for the hunk's old lines (server/edit/editPrompt.ts): an upper bound on what lookup can be right about.
//
//   npm run bench:lookup-edit -- [--commits 200] [--max-edits 300] [--out bench/results/lookup-edit-estimate.md]
//
// Edits: the hunks (2-60 old lines, 1-80 new) of the repository's last commits to .ts files, `git diff -U5`
// (--context N): the selection is the changed lines with N unchanged lines around them, as a user selects a
// block, and the answer writes the unchanged ones again. Decoding model and lookups: bench/lookup-estimate.ts (ports of the pinned llama.cpp's ngram-simple and
// ngram-map-k; token 0 from the prompt pass, then rounds that verify 1 + draft rows). The cost of a verified
// extra row is given as a fraction of a decode step: 0.3 for the 12B shape on this CPU (README Performance),
// 1 for a compute-bound small model. Prints a Markdown table and writes it with a JSON file.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama } from "node-llama-cpp";
import { buildEditPrompt } from "../server/edit/editPrompt";
import { ensureGemma4VocabGguf } from "./lib/models";
import { newStats, NgramMap, ngramSimpleDraft, simulate, StaticIndex, type Stats, type Tok } from "./lookup-estimate";

const REPO = fileURLToPath(new URL("..", import.meta.url));
function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf("--" + name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const COMMITS = Number(arg("commits", "200"));
const MAX_EDITS = Number(arg("max-edits", "300"));
const OUT = arg("out", path.join(REPO, "bench", "results", "lookup-edit-estimate.md"));
const ROW_COSTS = [0.3, 1];
/** Lines of unchanged code around each change in the selection (a selection is a function or a block, not only the changed lines). */
const CONTEXT = Number(arg("context", "5"));

interface Edit {
  commit: string;
  file: string;
  /** the parent's text, and the old lines' place in it (zero-based, end exclusive) */
  before: string;
  startLine: number;
  endLine: number;
  newLines: string[];
}

const git = (...args: string[]) => execFileSync("git", ["-C", REPO, ...args], { encoding: "utf8", maxBuffer: 256 << 20 });

/** The modified hunks of the last commits to .ts files (not the bench's own results). */
function collectEdits(): Edit[] {
  const commits = git("log", "--no-merges", "-n", String(COMMITS), "--format=%H", "--", "*.ts").split("\n").filter(Boolean);
  const edits: Edit[] = [];
  for (const c of commits) {
    let diff: string;
    try {
      diff = git("diff", `-U${CONTEXT}`, "--no-color", `${c}^`, c, "--", "*.ts");
    } catch {
      continue; // the root commit
    }
    let file = "";
    const parents = new Map<string, string | undefined>();
    const parentText = (f: string) => {
      if (!parents.has(f)) {
        try {
          parents.set(f, git("show", `${c}^:${f}`));
        } catch {
          parents.set(f, undefined); // a file the commit added
        }
      }
      return parents.get(f);
    };
    for (const part of diff.split(/^(?=diff --git |@@ )/m)) {
      const header = /^diff --git a\/(\S+) b\/(\S+)/.exec(part);
      if (header) {
        file = header[1];
        continue;
      }
      const h = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(part);
      if (!h || !file) continue;
      const [start, oldN, newN] = [Number(h[1]), Number(h[2] ?? 1), Number(h[3] ?? 1)];
      if (oldN < 2 || oldN > 60 || newN < 1 || newN > 80) continue;
      // The new side: the unchanged lines and the added ones, in order.
      const body = part.split("\n").slice(1);
      const added = body.filter((l) => l.startsWith("+") || l.startsWith(" ")).map((l) => l.slice(1));
      if (!body.some((l) => l.startsWith("+") && l.slice(1).trim())) continue;
      const before = parentText(file);
      if (before === undefined) continue;
      edits.push({ commit: c, file, before, startLine: start - 1, endLine: start - 1 + oldN, newLines: added });
      if (edits.length >= MAX_EDITS) return edits;
    }
  }
  return edits;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const llama = await getLlama({ gpu: false, build: "never" });
  const model = await llama.loadModel({ modelPath: await ensureGemma4VocabGguf(), vocabOnly: true });
  const tok = (s: string): Tok[] => Array.from(model.tokenize(s, true) as unknown as number[]);
  const edits = collectEdits();
  console.error(`${edits.length} edits from the last ${COMMITS} commits to .ts files`);

  const configs: { impl: "ngram-simple" | "ngram-map-k"; n: number; m: number }[] = [];
  for (const n of [2, 3, 4, 6]) for (const m of [8, 16]) configs.push({ impl: "ngram-simple", n, m });
  for (const n of [3, 4]) for (const m of [8, 16]) configs.push({ impl: "ngram-map-k", n, m });
  const stats = configs.map(() => newStats());
  let promptTokens = 0;
  for (const e of edits) {
    const p = buildEditPrompt({ filePath: e.file, languageId: "typescript", text: e.before, startLine: e.startLine, endLine: e.endLine, instruction: "make the change" });
    // As the chat template lays it out (system text at the start of the user turn, Gemma 4's turns).
    const promptText = `<|turn>user\n${p.messages[0].content}\n\n${p.messages[1].content}<turn|>\n<|turn>model\n`;
    const prompt = tok(promptText);
    promptTokens += prompt.length;
    const truth = tok("```typescript\n" + e.newLines.join("\n") + "\n```");
    const index = new StaticIndex(prompt);
    configs.forEach((cfg, i) => {
      if (cfg.impl === "ngram-simple") {
        simulate(truth, truth.length, stats[i], (gen, sampled) => ngramSimpleDraft(index, gen, sampled, cfg.n, cfg.m));
      } else {
        const map = new NgramMap(cfg.n, cfg.m, false, 1);
        map.begin(prompt.length);
        simulate(truth, truth.length, stats[i], (gen, sampled) => map.draft([...prompt, ...gen], sampled), (acc) => map.accept(acc));
      }
    });
  }
  await model.dispose();

  const rows = configs.map((cfg, i) => row(cfg, stats[i]));
  const json = { date: new Date().toISOString(), commits: COMMITS, context: CONTEXT, edits: edits.length, promptTokensMean: promptTokens / Math.max(1, edits.length), rowCosts: ROW_COSTS, rows };
  const md = [
    `# Teacher-forced n-gram lookup for Edit Selection (${edits.length} edits from the last ${COMMITS} commits to .ts files, ${CONTEXT} unchanged lines around each change)`,
    "",
    `Prompt: Hearth's edit prompt for the hunk's old lines (mean ${Math.round(json.promptTokensMean)} tokens); answer: the hunk's new lines in a code fence (${stats[0].tokens} tokens in all). Cost: decode steps per answer token, an extra verified row costing the given fraction of a step (no drafting: 1.00).`,
    "",
    "| impl | size_n | M | passes per token | rounds drafted % | acceptance % | cost per token, row = 0.3 step | row = 1 step |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.impl} | ${r.n} | ${r.m} | ${r.passesPerToken.toFixed(3)} | ${r.draftedPct.toFixed(1)} | ${r.acceptancePct.toFixed(1)} | ${r.cost[0].toFixed(3)} | ${r.cost[1].toFixed(3)} |`),
    "",
    `(${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  ].join("\n");
  console.log(md);
  fs.writeFileSync(OUT, md + "\n");
  fs.writeFileSync(OUT.replace(/\.md$/, ".json"), JSON.stringify(json, null, 2) + "\n");
  console.error(`wrote ${OUT}`);
}

function row(cfg: { impl: string; n: number; m: number }, st: Stats) {
  return {
    ...cfg,
    tokens: st.tokens,
    passesPerToken: st.passes / st.tokens,
    draftedPct: (100 * st.drafted) / Math.max(1, st.rounds),
    acceptancePct: (100 * st.accepted) / Math.max(1, st.draftTokens),
    cost: ROW_COSTS.map((c) => (st.passes + c * st.draftTokens) / st.tokens),
  };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
