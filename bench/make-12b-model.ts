// Write a random-weight Gemma 4 model with the real 12B shape (Q4_0, ~6.7 GB) for benchmarks.
//
//   npx tsx bench/make-12b-model.ts OUT.gguf [--layers N] [--seed N] [--vocab VOCAB.gguf | --synthetic-vocab] [--agreeing P]
//
// --agreeing P writes a target + drafter pair designed so that MTP drafts are right with probability P
// (server/gguf/agreeingMtp.ts) instead: OUT.gguf and OUT-assistant.gguf (for bench/run-12b-mtp.ts).
//
// --vocab copies tokens/merges from an existing gemma4 GGUF (default: llama.cpp's
// models/ggml-vocab-gemma-4.gguf when a checkout is found at $LLAMA_CPP_DIR or /tmp/llama-src);
// otherwise a synthetic 262,144-token vocab with the real special-token ids is used.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { GEMMA4_12B_SHAPE, readGemmaVocabFromGguf, writeBigAgreeingPair, writeBigModel } from "../server/gguf/bigModel";

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error("usage: npx tsx bench/make-12b-model.ts OUT.gguf [--layers N] [--seed N] [--vocab VOCAB.gguf | --synthetic-vocab] [--agreeing P]");
  process.exit(64);
}

const args = process.argv.slice(2);
let out: string | undefined;
let layers = GEMMA4_12B_SHAPE.nLayer;
let seed: number | undefined;
let vocabPath: string | undefined;
let synthetic = false;
let agreeing: number | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--layers") layers = Number(args[++i]);
  else if (a === "--seed") seed = Number(args[++i]);
  else if (a === "--vocab") vocabPath = args[++i];
  else if (a === "--synthetic-vocab") synthetic = true;
  else if (a === "--agreeing") agreeing = Number(args[++i]);
  else if (a === "-h" || a === "--help") usage();
  else if (a.startsWith("-")) usage(`unknown option ${a}`);
  else if (!out) out = a;
  else usage("only one output path");
}
if (!out) usage();
if (!Number.isInteger(layers) || layers < 2) usage("--layers must be an integer >= 2");
if (agreeing !== undefined && !(agreeing >= 0 && agreeing <= 1)) usage("--agreeing must be a probability (0..1)");

if (!vocabPath && !synthetic) {
  for (const dir of [process.env.LLAMA_CPP_DIR, "/tmp/llama-src"]) {
    const p = dir && join(dir, "models", "ggml-vocab-gemma-4.gguf");
    if (p && existsSync(p)) {
      vocabPath = p;
      break;
    }
  }
}

const t0 = performance.now();
const vocab = vocabPath ? await readGemmaVocabFromGguf(vocabPath) : undefined;
console.log(`vocab: ${vocabPath ?? "synthetic"}${vocab ? ` (${vocab.tokens.length} tokens, ${vocab.merges.length} merges)` : ""}`);

let lastPct = -1;
const onProgress = (p: { tensor: string; index: number; count: number; bytesWritten: number; totalBytes: number }) => {
  const pct = Math.floor((100 * p.bytesWritten) / p.totalBytes);
  if (pct >= lastPct + 5 || p.index === p.count - 1) {
    lastPct = pct;
    const s = (performance.now() - t0) / 1000;
    console.log(`${String(pct).padStart(3)}%  ${(p.bytesWritten / 1e9).toFixed(2)} / ${(p.totalBytes / 1e9).toFixed(2)} GB  ${s.toFixed(1)} s  (${p.tensor})`);
  }
};
if (agreeing !== undefined) {
  const assistant = out.replace(/\.gguf$/, "") + "-assistant.gguf";
  const pair = await writeBigAgreeingPair({ text: out, assistant }, { seed, layers, vocab, acceptance: agreeing, onProgress });
  console.log(`wrote ${out} (${(pair.text.fileSize / 1e9).toFixed(2)} GB) and ${assistant} (${(pair.assistant.fileSize / 1e6).toFixed(0)} MB), drafts right with probability ${agreeing}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(0);
}
const res = await writeBigModel(out, { seed, layers, vocab, onProgress });
const secs = (performance.now() - t0) / 1000;
console.log(`wrote ${res.path}: ${(res.fileSize / 1e9).toFixed(2)} GB, ${(res.params / 1e9).toFixed(2)} B params, ${res.tensors.length} tensors, ${secs.toFixed(1)} s`);
