/**
 * `npm run bench:12b`: the manual benchmark on the same-shape 12B random model (real Gemma 4 12B shape and
 * vocabulary, random Q4_0 weights: make it with bench/make-12b-model.ts). One engine, started by the host's
 * own ModelManager (so with exactly the host's llama-server flags: server/engine/supervisor.ts modelArgs):
 *
 *  1. load time: engine start to ready, first (as the page cache was) and after a restart (weights cached);
 *  2. decode ms/token, greedy, `--decode-tokens` (32) tokens, (a) after a short prompt and (b) on top of a
 *     workspace prefix of ~`--prefix-tokens` (2048) tokens (chunks of this repository via WorkspaceContext,
 *     cut to that size), interleaved, medians of `--reps`; from the two, the attention cost per 1K tokens of
 *     depth and, as an ESTIMATE (bench/lib/decodeDepth.ts), the decode time at the depths of the tiny-model
 *     replay (bench/results/latest.json) and the latency ratio it implies for 16 decoded tokens;
 *  3. restore vs re-prefill of that prefix via WorkspacePrefix + PrefixStore (bench/lib/restore.ts, like
 *     `npm run bench`): one prefill that also saves it, then slot erased and the prefix restored;
 *  4. decode tokens/s vs the memory-bandwidth bound (bench/lib/bandwidth.ts, the file's tensor bytes).
 *
 * Prints JSON + a Markdown table, writes bench/results/12b.json and 12b.md. Progress goes to stderr.
 *
 *   npx tsx bench/run-12b.ts [--model PATH] [--prefix-tokens N] [--context N] [--reps N] [--decode-tokens N] [--repo DIR]
 *
 * Measurements wait for a quiet machine and decode samples are retried while other processes use the CPU
 * (bench/lib/foreignCpu.ts); the foreign CPU share is recorded with each figure.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { GEMMA4_MESSAGE_DELIMITERS, workspacePrefixPrompt, type ContextChunk } from "../server/completion/layout";
import { PrefixStore } from "../server/completion/prefixStore";
import { WorkspacePrefix } from "../server/completion/workspacePrefix";
import { attentionShape } from "../server/engine/sizing";
import { checkGguf } from "../server/models/check";
import { ModelManager, type LoadedModel } from "../server/models/manager";
import { mergeSettings } from "../server/settings";
import { prefixTokenBudget, WorkspaceContext } from "../server/workspace/context";
import { decodeBoundTokensPerSecond, measureMemoryBandwidth } from "./lib/bandwidth";
import { DECODE_PROMPT, greedyDecode, type DecodeTimings } from "./lib/decode";
import { attentionLayout, estimateAtDepths, fitDecodeDepth, meanDecodeDepth } from "./lib/decodeDepth";
import { waitForQuiet, withForeignCpu } from "./lib/foreignCpu";
import { measurePrefixRestore } from "./lib/restore";
import { markdownTable, median } from "./lib/stats";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "/tmp/g12b/text.gguf" },
    "prefix-tokens": { type: "string", default: "2048" },
    context: { type: "string", default: "16384" },
    reps: { type: "string", default: "5" },
    "decode-tokens": { type: "string", default: "32" },
    repo: { type: "string", default: path.resolve(here, "..") },
  },
});
const MODEL = path.resolve(args.model!);
const PREFIX_TOKENS = Number(args["prefix-tokens"]);
const CONTEXT = Number(args.context);
const REPS = Number(args.reps);
const N_PREDICT = Number(args["decode-tokens"]);
/** Decoded tokens per completion in the tiny-model replay (bench/run.ts N_PREDICT). */
const REPLAY_N_PREDICT = 16;
/** A request on top of the prefix that re-processed more than this was not served from the cache. */
const MAX_REPROCESSED = 256;
/** Other processes may use this share of one core during a measurement (more: wait, retry). */
const QUIET_SHARE = 0.1;
const SAMPLE_TRIES = 3;
/** After this long, stop waiting for a quiet machine and retrying (the run should stay under ~20 min). */
const PATIENCE_MS = 15 * 60_000;
const patient = () => performance.now() - started < PATIENCE_MS;
const started = performance.now();
const log = (s: string) => process.stderr.write(`bench-12b [${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s]: ${s}\n`);

async function main(): Promise<void> {
  if (!fs.existsSync(MODEL)) {
    throw new Error(`${MODEL} not found; make it with: npx tsx bench/make-12b-model.ts ${MODEL} --vocab ~/.cache/hearth/bench/ggml-vocab-gemma-4.gguf`);
  }
  for (const [k, v] of Object.entries({ "prefix-tokens": PREFIX_TOKENS, context: CONTEXT, reps: REPS, "decode-tokens": N_PREDICT })) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${k} must be a positive integer`);
  }
  if (PREFIX_TOKENS + 256 + N_PREDICT > CONTEXT) throw new Error(`--context ${CONTEXT} is too small for a ${PREFIX_TOKENS}-token prefix`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-bench-12b-"));
  try {
    await run(work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function run(work: string): Promise<void> {
  const checked = await checkGguf(MODEL, "model");
  const shape = attentionShape(checked);
  const queryHeads = Number((checked.info.architectureMetadata as { attention?: { head_count?: number } }).attention?.head_count ?? 0);
  // bytes read per decoded token ≈ the tensor data (everything after the GGUF header; see bandwidth.ts)
  const weightBytes = checked.sizeBytes - (checked.info.infoEndOffset ?? 0);
  log(`${MODEL}: ${(checked.sizeBytes / 1e9).toFixed(2)} GB, ${shape.layers} layers (${shape.sliding.filter(Boolean).length} sliding, window ${shape.window}), ${queryHeads} query heads`);

  log("memory bandwidth ...");
  await quiet();
  const bandwidth = await measureMemoryBandwidth();
  const boundTps = decodeBoundTokensPerSecond(weightBytes, bandwidth.gbPerSecond);
  log(`bandwidth ${bandwidth.gbPerSecond.toFixed(1)} GB/s: decode bound ${boundTps.toFixed(2)} tokens/s`);

  // the engine's --slot-save-path is the prefix store's directory, as in the host (server/lsp/server.ts)
  const store = PrefixStore.open(path.join(work, "prefix-cache"));
  const settings = mergeSettings({ model: MODEL, mmproj: "", drafter: "", mtp: false, contextSize: CONTEXT, threads: os.availableParallelism() });
  const manager = new ModelManager(settings, { slotDir: store.dir });
  const engineLines: string[] = [];
  manager.on("log", (level, message, source) => {
    if (source === "engine") {
      engineLines.push(message);
      if (engineLines.length > 40) engineLines.shift();
    } else log(`host ${level}: ${message}`);
  });
  try {
    // 1. load time: the first start (weights as the page cache has them), then a restart (weights cached)
    await quiet();
    const first = await timeLoad(manager, () => manager.ensureLoaded());
    log(`loaded in ${(first.loadMs / 1000).toFixed(1)} s (engine start to ready ${(first.engineStartToReadyMs / 1000).toFixed(1)} s; ${pct(first.pageCachedBefore)} of the file was in the page cache)`);
    await quiet();
    const restart = await timeLoad(manager, () => manager.restart());
    log(`restarted in ${(restart.loadMs / 1000).toFixed(1)} s (engine start to ready ${(restart.engineStartToReadyMs / 1000).toFixed(1)} s; ${pct(restart.pageCachedBefore)} cached)`);
    const loaded = await manager.ensureLoaded();
    let t0 = performance.now();
    await greedyDecode(loaded.client, { prompt: DECODE_PROMPT, n_predict: 4, cache_prompt: false, id_slot: 1 });
    const firstRequestMs = performance.now() - t0;
    log(`first request (4 tokens) ${(firstRequestMs / 1000).toFixed(1)} s`);

    // the workspace prefix: this repository's chunks, cut to about PREFIX_TOKENS
    const chunks = await prefixChunks(loaded, args.repo!, PREFIX_TOKENS);
    const prefixPrompt = workspacePrefixPrompt(chunks, loaded.fim);

    // 3. prefill once (saving it, as the host does), then restore it into the erased slot
    log(`prefilling a ${chunks.length}-chunk prefix of ~${PREFIX_TOKENS} tokens (minutes at this size) ...`);
    await loaded.client.postJson("/slots/0?action=erase", {});
    await quiet();
    t0 = performance.now();
    const { result: warmed, foreignCpu: prefillForeignCpu } = await withForeignCpu(() => new WorkspacePrefix(manager, { store, log: (m) => log(m) }).warm(chunks));
    const saved = warmed!;
    if (saved.processedTokens !== saved.tokens) throw new Error(`the first warm-up evaluated ${saved.processedTokens} of ${saved.tokens} tokens: not a full prefill`);
    if (!saved.savedBytes) throw new Error("the prefix was not saved");
    log(`prefill: ${saved.tokens} tokens in ${(saved.evaluateMs / 1000).toFixed(1)} s (other CPU ${pct(prefillForeignCpu)}); saved ${(saved.savedBytes / 1048576).toFixed(1)} MiB in ${((performance.now() - t0 - saved.evaluateMs) / 1000).toFixed(1)} s`);
    await quiet();
    const measured = await withForeignCpu(() => measurePrefixRestore(manager, loaded, chunks, store, { firstPrefill: { tokens: saved.tokens, ms: saved.evaluateMs }, rounds: 1 }));
    const restore = { ...measured.result, prefillForeignCpu, restoreForeignCpu: measured.foreignCpu };
    log(`restore: ${JSON.stringify(restore)}`);

    // 2. decode after a short prompt (slot 1) and on top of the restored prefix (slot 0), interleaved
    const decode = await measureDecodeDepths(loaded, prefixPrompt);
    const short = { depth: meanDecodeDepth(decode.short.promptTokens, N_PREDICT), msPerToken: decode.short.msPerTokenP50 };
    const deep = { depth: meanDecodeDepth(decode.prefix.promptTokens, N_PREDICT), msPerToken: decode.prefix.msPerTokenP50 };
    const fit = fitDecodeDepth(attentionLayout(shape, queryHeads), short, deep);
    log(`attention: ${fit.measuredMsPerTokenPer1KDepth.toFixed(2)} ms/token per 1K depth (measured), ${fit.beyondWindowMsPerTokenPer1KDepth.toFixed(2)} beyond the window`);

    const replayDepths = readReplayDepths();
    const estimate = replayDepths && {
      note: "ESTIMATE, not a measurement: decode time at the tiny-model replay's prompt depths extrapolated from the two measured depths (bench/lib/decodeDepth.ts); decode only, prompt processing not included",
      replayDepths,
      ...estimateAtDepths(fit, replayDepths, REPLAY_N_PREDICT),
    };

    const decodeTps = 1000 / decode.short.msPerTokenP50;
    const result = {
      date: new Date().toISOString(),
      command: ["npx tsx bench/run-12b.ts", ...process.argv.slice(2)].join(" "),
      machine: { cpus: os.availableParallelism(), totalMemGiB: +(os.totalmem() / 1024 ** 3).toFixed(1), node: process.version, platform: `${process.platform}-${process.arch}` },
      model: {
        file: MODEL,
        bytes: checked.sizeBytes,
        weightBytes,
        layers: shape.layers,
        slidingLayers: shape.sliding.filter(Boolean).length,
        window: shape.window,
        queryHeads,
        kvHeads: shape.kvHeads,
        headDimSliding: shape.headDimSliding,
        headDimFull: shape.headDimFull,
        contextSize: loaded.contextSize,
        kvCacheType: loaded.kvCacheType,
        threads: loaded.info.threads,
      },
      load: { first, restart, firstRequestMs },
      decode: {
        ...decode,
        measuredMsPerTokenPer1KDepth: fit.measuredMsPerTokenPer1KDepth,
        beyondWindowMsPerTokenPer1KDepth: fit.beyondWindowMsPerTokenPer1KDepth,
        tokensPerSecond: decodeTps,
        boundTokensPerSecond: boundTps,
        vsBandwidthBound: decodeTps / boundTps,
        bandwidthGBps: bandwidth.gbPerSecond,
        bandwidthRuns: bandwidth.runs,
      },
      estimate: estimate ?? { note: "no bench/results/latest.json replay depths: no estimate" },
      restore,
      durationSeconds: Math.round((performance.now() - started) / 1000),
    };
    const table = renderTable(result, estimate);
    const outDir = path.join(here, "results");
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, "12b.json"), JSON.stringify(result, null, 2) + "\n");
    fs.writeFileSync(path.join(outDir, "12b.md"), table + "\n");
    process.stdout.write(JSON.stringify(headline(result, estimate), null, 2) + "\n\n" + table + "\n");
  } catch (err) {
    if (engineLines.length) log(`last engine lines:\n${engineLines.join("\n")}`);
    throw err;
  } finally {
    await manager.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------

const execFileP = promisify(execFile);

/** Bytes of `file` in the page cache (util-linux fincore), undefined when unknown. */
async function pageCachedBytes(file: string): Promise<number | undefined> {
  try {
    const { stdout } = await execFileP("fincore", ["--bytes", "--noheadings", "-o", "RES", file]);
    const n = Number(stdout.trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function pct(x: number | undefined): string {
  return x === undefined ? "an unknown share" : `${(100 * x).toFixed(0)}%`;
}

/** Wall time of `load` and, within it, from the engine's start ("loading") to ready. */
async function timeLoad(manager: ModelManager, load: () => Promise<LoadedModel>) {
  const cached = await pageCachedBytes(MODEL);
  let engineStart: number | undefined;
  const onStatus = (s: { state: string }) => {
    if (s.state === "loading" && engineStart === undefined) engineStart = performance.now();
  };
  manager.on("status", onStatus);
  const t0 = performance.now();
  let foreignCpu: number | undefined;
  try {
    ({ foreignCpu } = await withForeignCpu(load));
  } finally {
    manager.off("status", onStatus);
  }
  const t1 = performance.now();
  return {
    loadMs: t1 - t0,
    engineStartToReadyMs: t1 - (engineStart ?? t0),
    pageCachedBefore: cached === undefined ? undefined : cached / fs.statSync(MODEL).size,
    foreignCpu,
  };
}

/** Waits (at most 30 s, and not once the run is long) for other processes to leave the CPU to the engine. */
async function quiet(): Promise<void> {
  if (!patient()) return;
  const share = await waitForQuiet({ maxShare: QUIET_SHARE, maxWaitMs: 30_000 });
  if (share !== undefined && share >= QUIET_SHARE) log(`other processes keep using ${pct(share)} of a core; measuring anyway`);
}

/**
 * This repository's workspace chunks (WorkspaceContext, as the host builds them), cut to a prefix prompt of
 * about `tokens` tokens: the longest run of whole chunks from the start that fits, then as many leading
 * lines of the next chunk as still fit.
 */
async function prefixChunks(loaded: LoadedModel, repo: string, tokens: number): Promise<ContextChunk[]> {
  let nominal = loaded.contextSize; // only sizes the index: enough chunks to cut from
  while (prefixTokenBudget(nominal) < 2 * tokens) nominal *= 2;
  const all = await new WorkspaceContext(repo).chunksFor(undefined, nominal);
  const fits = async (chunks: ContextChunk[]) => (await loaded.client.tokenize(workspacePrefixPrompt(chunks, loaded.fim))).length <= tokens;
  /** the largest n in [0, max] with ok(n), for ok monotone (true up to some n) */
  const largest = async (max: number, ok: (n: number) => Promise<boolean>) => {
    let lo = 0;
    let hi = max;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (await ok(mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const k = await largest(all.length, (n) => fits(all.slice(0, n)));
  const out = all.slice(0, k);
  if (k < all.length) {
    const lines = all[k].text.split("\n");
    const part = (m: number) => ({ ...all[k], text: lines.slice(0, m).join("\n") });
    const m = await largest(lines.length, (n) => fits([...out, part(n)]));
    if (m > 0) out.push(part(m));
  }
  if (!out.length) throw new Error(`--prefix-tokens ${tokens} is too small for one line of a workspace file`);
  return out;
}

interface DecodeSample {
  msPerToken: number;
  promptTokens: number;
  processedTokens: number;
  /** CPU share (cores) other processes used during the request; > 0.1 makes it unreliable */
  foreignCpu?: number;
  /** requests made for this sample (retried while others used the CPU) */
  tries?: number;
}

/**
 * One decode request on a quiet machine: retried (up to SAMPLE_TRIES) while other processes used more than
 * QUIET_SHARE of a core meanwhile; the least disturbed try is kept.
 */
async function sample(request: () => Promise<DecodeTimings>): Promise<DecodeSample> {
  let best: DecodeSample | undefined;
  let tries = 0;
  while (tries < SAMPLE_TRIES) {
    tries++;
    await quiet();
    const { result: t, foreignCpu } = await withForeignCpu(request);
    const s: DecodeSample = {
      msPerToken: t.predicted_ms / t.predicted_n,
      promptTokens: t.prompt_n + (t.cache_n ?? 0),
      processedTokens: t.prompt_n,
      foreignCpu,
    };
    if (!best || (s.foreignCpu ?? 0) < (best.foreignCpu ?? 0)) best = s;
    if (foreignCpu === undefined || foreignCpu < QUIET_SHARE || !patient()) break;
    log(`  other processes used ${pct(foreignCpu)} of a core meanwhile: measuring again`);
  }
  return { ...best!, tries };
}

async function measureDecodeDepths(loaded: LoadedModel, prefixPrompt: string) {
  const shortReq = (n: number) => () => greedyDecode(loaded.client, { prompt: DECODE_PROMPT, n_predict: n, cache_prompt: false, id_slot: 1 });
  // the same request a completion makes on top of the prefix: slot 0, cached prefix, the host's delimiters
  const prefixReq = (n: number) => () =>
    greedyDecode(loaded.client, { prompt: prefixPrompt + DECODE_PROMPT, n_predict: n, cache_prompt: true, id_slot: 0, message_delimiters: GEMMA4_MESSAGE_DELIMITERS });
  log("decode warm-up ...");
  await shortReq(4)();
  const warm = await sample(prefixReq(4));
  if (warm.processedTokens > MAX_REPROCESSED) log(`warning: the first request on the prefix re-processed ${warm.processedTokens} tokens`);
  const short: DecodeSample[] = [];
  const prefix: DecodeSample[] = [];
  for (let r = 0; r < REPS; r++) {
    short.push(await sample(shortReq(N_PREDICT)));
    const p = await sample(prefixReq(N_PREDICT));
    prefix.push(p);
    log(`decode ${r + 1}/${REPS}: short ${short.at(-1)!.msPerToken.toFixed(1)} ms/token, on the prefix ${p.msPerToken.toFixed(1)} ms/token (${p.promptTokens} prompt tokens, ${p.processedTokens} processed; other CPU ${pct(short.at(-1)!.foreignCpu)} / ${pct(p.foreignCpu)})`);
    if (p.processedTokens > MAX_REPROCESSED) {
      log(`warning: the engine re-processed ${p.processedTokens} prompt tokens; stopping the repetitions`);
      break;
    }
  }
  const summary = (xs: DecodeSample[]) => ({
    promptTokens: median(xs.map((x) => x.promptTokens)),
    msPerTokenP50: median(xs.map((x) => x.msPerToken)),
    msPerToken: xs.map((x) => x.msPerToken),
    processedTokensP50: median(xs.map((x) => x.processedTokens)),
    foreignCpuMax: Math.max(...xs.map((x) => x.foreignCpu ?? 0)),
    requests: xs.reduce((n, x) => n + (x.tries ?? 1), 0),
  });
  return { nPredict: N_PREDICT, reps: short.length, short: summary(short), prefix: summary(prefix) };
}

/** Prompt tokens p50 of both sides of the tiny-model replay (bench/results/latest.json). */
function readReplayDepths(): { hearth: number; baseline: number; source: string } | undefined {
  const file = path.join(here, "results", "latest.json");
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8")) as { date?: string; replay?: { hearth?: { promptTokensP50?: number }; baseline?: { promptTokensP50?: number } } };
    const hearth = r.replay?.hearth?.promptTokensP50;
    const baseline = r.replay?.baseline?.promptTokensP50;
    if (!(typeof hearth === "number" && typeof baseline === "number")) return undefined;
    return { hearth, baseline, source: `bench/results/latest.json (${r.date ?? "undated"})` };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------

type Estimate = ReturnType<typeof estimateAtDepths> & { replayDepths: { hearth: number; baseline: number } };
type Result = {
  load: { first: Awaited<ReturnType<typeof timeLoad>>; restart: Awaited<ReturnType<typeof timeLoad>>; firstRequestMs: number };
  decode: Awaited<ReturnType<typeof measureDecodeDepths>> & {
    measuredMsPerTokenPer1KDepth: number;
    beyondWindowMsPerTokenPer1KDepth: number;
    tokensPerSecond: number;
    boundTokensPerSecond: number;
    vsBandwidthBound: number;
  };
  restore: Awaited<ReturnType<typeof measurePrefixRestore>>;
  model: { window: number };
};

function headline(r: Result, e: Estimate | undefined) {
  return {
    loadSeconds: r.load.first.engineStartToReadyMs / 1000,
    loadSecondsWeightsCached: r.load.restart.engineStartToReadyMs / 1000,
    decodeMsPerTokenShort: r.decode.short.msPerTokenP50,
    decodeMsPerTokenOnPrefix: r.decode.prefix.msPerTokenP50,
    prefixTokens: r.decode.prefix.promptTokens,
    measuredMsPerTokenPer1KDepth: r.decode.measuredMsPerTokenPer1KDepth,
    beyondWindowMsPerTokenPer1KDepth: r.decode.beyondWindowMsPerTokenPer1KDepth,
    estimatedLatencyRatio16: e?.model.latencyRatio,
    restoreSpeedup: r.restore.restoreSpeedup,
    decodeVsBandwidthBound: r.decode.vsBandwidthBound,
  };
}

function renderTable(r: Result, e: Estimate | undefined): string {
  const { load, decode, restore } = r;
  const n = (x: number) => Math.round(x).toLocaleString("en-US");
  const rows: { measure: string; value?: number; reference?: number; ratio?: number }[] = [
    { measure: `load: engine start to ready, first (${pct(load.first.pageCachedBefore)} in page cache) / after a restart (s)`, value: load.first.engineStartToReadyMs / 1000, reference: load.restart.engineStartToReadyMs / 1000 },
    { measure: `decode ms/token (${decode.nPredict} tokens, p50 of ${decode.reps}): on a ${n(decode.prefix.promptTokens)}-token prefix vs a ${decode.short.promptTokens}-token prompt`, value: decode.prefix.msPerTokenP50, reference: decode.short.msPerTokenP50, ratio: decode.prefix.msPerTokenP50 / decode.short.msPerTokenP50 },
    { measure: "attention, ms/token per 1K tokens of depth: measured between the two / beyond the window", value: decode.measuredMsPerTokenPer1KDepth, reference: decode.beyondWindowMsPerTokenPer1KDepth },
  ];
  if (e) {
    rows.push(
      { measure: `ESTIMATE decode ms/token at the replay depths: Hearth ${n(e.replayDepths.hearth)} vs baseline ${n(e.replayDepths.baseline)} tokens`, value: e.model.hearth.msPerToken, reference: e.model.baseline.msPerToken, ratio: e.model.latencyRatio },
      { measure: `ESTIMATE ${e.nTokens} decoded tokens (ms), Hearth vs baseline depth (straight line: ratio ${e.linear.latencyRatio.toFixed(2)})`, value: e.model.hearth.decodeMs, reference: e.model.baseline.decodeMs, ratio: e.model.latencyRatio },
    );
  }
  rows.push(
    { measure: `prefix of ${n(restore.prefixTokens)} tokens: restore vs re-prefill (ms)`, value: restore.restoreMs, reference: restore.prefillMs, ratio: restore.restoreSpeedup },
    { measure: "decode tok/s (short prompt) vs bandwidth bound", value: decode.tokensPerSecond, reference: decode.boundTokensPerSecond, ratio: decode.vsBandwidthBound },
  );
  return markdownTable(rows, [
    { header: "measure (12B-shape random model)", value: "measure", align: "left" },
    { header: "value", value: "value", digits: 1 },
    { header: "reference", value: "reference", digits: 1 },
    { header: "ratio", value: "ratio", digits: 2 },
  ]);
}

// The engine client's keep-alive sockets can hold the event loop: exit once the results are written.
main().then(() => process.exit(0), (err) => {
  process.stderr.write(`bench-12b failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
