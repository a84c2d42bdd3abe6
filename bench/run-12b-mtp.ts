/**
 * `npm run bench:12b-mtp`: what MTP gains when its drafts are accepted, on the 12B-shape target with a
 * Gemma-4-assistant-shaped drafter (manual run: ~8 GB of models, make them with
 *   npx tsx bench/make-12b-model.ts /tmp/g12b-agree/text.gguf --vocab ~/.cache/hearth/bench/ggml-vocab-gemma-4.gguf --agreeing 0.8
 * ). The pair is designed (server/gguf/agreeingMtp.ts): the target decodes a known token sequence and the
 * drafter predicts it right with the chosen probability, which random weights never do.
 *
 * The engine is started by the host's own ModelManager (its llama-server flags, server/engine/supervisor.ts),
 * with and without the drafter, alternating, `--pairs` times (bench/lib/mtpPairs.ts); each start decodes
 * `--decode-tokens` greedy tokens after a short prompt `--reps` times after a first request reported apart.
 * Reported: ms per token on/off, the median of the pairs' ratios, drafted/accepted counters; the run fails
 * unless every request decoded the same text. "On" is the drafter as the host runs it: the engine times its
 * rounds against plain steps and pauses drafting where it does not pay (patch 0011); `--every-round` adds a
 * third engine start per pair with that timing off, drafting every round it can.
 * Writes bench/results/12b-mtp.json and .md (`--out NAME`: NAME.json and NAME.md, e.g. for another pair such as
 * the bench's own, ~/.cache/hearth/bench/models/agreeing/{text,assistant}.gguf).
 *
 *   npx tsx bench/run-12b-mtp.ts [--model PATH] [--assistant PATH] [--pairs N] [--reps N] [--decode-tokens N] [--every-round] [--out NAME]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ModelManager } from "../server/models/manager";
import { mergeSettings } from "../server/settings";
import { waitForQuiet } from "./lib/foreignCpu";
import { mtpPairs } from "./lib/mtpPairs";
import { markdownTable } from "./lib/stats";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "/tmp/g12b-agree/text.gguf" },
    assistant: { type: "string" },
    pairs: { type: "string", default: "3" },
    reps: { type: "string", default: "3" },
    "decode-tokens": { type: "string", default: "32" },
    context: { type: "string", default: "4096" },
    "every-round": { type: "boolean", default: false },
    out: { type: "string", default: "12b-mtp" },
  },
});
const MODEL = path.resolve(args.model!);
const ASSISTANT = path.resolve(args.assistant ?? MODEL.replace(/\.gguf$/, "") + "-assistant.gguf");
const PAIRS = Number(args.pairs);
const REPS = Number(args.reps);
const N_PREDICT = Number(args["decode-tokens"]);
const started = performance.now();
const log = (s: string) => process.stderr.write(`bench-12b-mtp [${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s]: ${s}\n`);

async function main(): Promise<void> {
  for (const f of [MODEL, ASSISTANT]) {
    if (!fs.existsSync(f)) throw new Error(`${f} not found; make the pair with: npx tsx bench/make-12b-model.ts ${MODEL} --vocab ~/.cache/hearth/bench/ggml-vocab-gemma-4.gguf --agreeing 0.8`);
  }
  if (!/^[\w.-]+$/.test(args.out!)) throw new Error("--out must be a file name without a directory");
  for (const [k, v] of Object.entries({ pairs: PAIRS, reps: REPS, "decode-tokens": N_PREDICT })) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${k} must be a positive integer`);
  }
  const base = mergeSettings({ model: MODEL, mmproj: "", drafter: "", mtp: false, contextSize: Number(args.context), threads: os.availableParallelism() });
  const manager = new ModelManager(base, { slotDir: fs.mkdtempSync(path.join(os.tmpdir(), "hearth-12b-mtp-")) });
  manager.on("log", (level, message, source) => {
    if (source !== "engine") log(`host ${level}: ${message}`);
  });
  let m: Awaited<ReturnType<typeof mtpPairs>>;
  try {
    m = await mtpPairs(manager, {}, ASSISTANT, {
      rounds: PAIRS,
      nPredict: N_PREDICT,
      reps: REPS,
      everyRound: args["every-round"],
      alternate: true,
      beforeRequest: async () => {
        await waitForQuiet({ maxShare: 0.1, maxWaitMs: 30_000 });
      },
      log,
    });
  } finally {
    await manager.dispose();
  }
  if (!m.identicalOutput) throw new Error("greedy output differs between MTP on and off: verification is broken");
  // the counters cover every request of the MTP starts, their first ones included
  const decodedTokens = PAIRS * (REPS + 1) * N_PREDICT;
  /** One drafting mode's figures against no drafter (the host's timed MTP, or drafting every round). */
  const modeResult = (v: Omit<typeof m, "offMsPerToken" | "everyRound" | "identicalOutput" | "foreignCpuMax">) => ({
    onMsPerToken: v.onMsPerToken,
    /** on ÷ off ms per token, median of the alternating pairs: < 1 is a speedup */
    mtpRatio: v.ratio,
    pairRatios: v.pairRatios,
    firstRequestRatio: v.firstRequestRatio,
    draftedTokens: v.drafted,
    acceptedTokens: v.accepted,
    acceptanceRate: v.drafted ? v.accepted / v.drafted : 0,
    /** tokens decoded without drafting: after refuted drafts / to time MTP or where it did not pay */
    skippedTokens: v.skipped,
    pausedTokens: v.paused,
    /** tokens decoded per target forward pass with MTP (each accepted draft saves one) */
    tokensPerTargetStep: decodedTokens / (decodedTokens - v.accepted),
  });
  const everyRound = m.everyRound && modeResult(m.everyRound);
  const result = {
    date: new Date().toISOString(),
    command: ["npx tsx bench/run-12b-mtp.ts", ...process.argv.slice(2)].join(" "),
    machine: { cpus: os.availableParallelism(), totalMemGiB: +(os.totalmem() / 1024 ** 3).toFixed(1), node: process.version, platform: `${process.platform}-${process.arch}` },
    model: { file: MODEL, bytes: fs.statSync(MODEL).size, assistant: ASSISTANT, assistantBytes: fs.statSync(ASSISTANT).size },
    nPredict: N_PREDICT,
    reps: REPS,
    offMsPerToken: m.offMsPerToken,
    ...modeResult(m),
    /** the same starts with the drafter drafting every round (engine timing off), with --every-round */
    everyRound,
    identicalOutput: m.identicalOutput,
    foreignCpuMax: m.foreignCpuMax,
    durationSeconds: Math.round((performance.now() - started) / 1000),
  };
  const table = markdownTable(
    [
      { measure: `decode ms/token (${N_PREDICT} greedy tokens, p50 of ${PAIRS} × ${REPS}): MTP on vs off (ratio: median of ${PAIRS} alternating pairs)`, value: result.onMsPerToken, reference: result.offMsPerToken, ratio: result.mtpRatio },
      { measure: "drafts accepted / drafted", value: m.accepted, reference: m.drafted, ratio: result.acceptanceRate },
      { measure: "tokens per target forward pass with MTP", value: result.tokensPerTargetStep },
      { measure: "tokens decoded without drafting: to time MTP or where it did not pay / after refuted drafts", value: m.paused, reference: m.skipped },
      ...(everyRound
        ? [
            { measure: "drafting every round (engine timing off): decode ms/token vs MTP off (median of the same pairs)", value: everyRound.onMsPerToken, reference: result.offMsPerToken, ratio: everyRound.mtpRatio },
            { measure: "drafting every round: drafts accepted / drafted", value: everyRound.acceptedTokens, reference: everyRound.draftedTokens, ratio: everyRound.acceptanceRate },
          ]
        : []),
    ],
    [
      { header: `measure (${path.basename(MODEL)} + ${path.basename(ASSISTANT)}, designed to agree)`, value: "measure", align: "left" },
      { header: "value", value: "value", digits: 1 },
      { header: "reference", value: "reference", digits: 1 },
      { header: "ratio", value: "ratio", digits: 2 },
    ],
  );
  const outDir = path.join(here, "results");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `${args.out}.json`), JSON.stringify(result, null, 2) + "\n");
  fs.writeFileSync(path.join(outDir, `${args.out}.md`), table + "\n");
  process.stdout.write(
    JSON.stringify({ mtpRatio: result.mtpRatio, everyRoundRatio: result.everyRound?.mtpRatio, acceptanceRate: result.acceptanceRate, tokensPerTargetStep: result.tokensPerTargetStep }, null, 2) +
      "\n\n" + table + "\n",
  );
}

// The engine client's keep-alive sockets can hold the event loop: exit once the results are written.
main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench-12b-mtp failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
