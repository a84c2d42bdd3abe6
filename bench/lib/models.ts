// Random-weight Gemma 4 models for the completion benchmark.
//
// Why random weights: the benchmark measures latency / cache behaviour of the host, not answer
// quality, and must run offline in CI. Why the REAL Gemma 4 vocabulary: prompt sizes, cache
// boundaries and tokens-per-keystroke then match what a user sees (code tokenizes like it does
// with the real 12B). No FIM tokens are added (real Gemma 4 has none, so the host takes its
// "gemma-turns" prompt path).
//
// The shape keeps Gemma 4's structure (sliding-window layers with window 512, every 6th layer and
// the last one full attention, full layers with one KV head of twice the sliding head size and no
// v_proj) but is scaled down so that on a 2-core CI machine prefill is a few thousand tokens/s and
// decode is interactive. BENCH_TEXT_SHAPE was chosen by measurement (bench/lib/measureModel.ts).
//
// Files are written once per parameter set: a params hash is stored beside them in
// bench-models.json and a later call with the same parameters reuses the files.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { resolveCacheRoot } from "../../scripts/engine-key.mjs";
import { modelArgs } from "../../server/engine/supervisor";
import { readGemmaVocabFromGguf } from "../../server/gguf/bigModel";
import { GEMMA4_CHAT_TEMPLATE } from "../../server/gguf/gemmaChatTemplate";
import { addGemmaVocabMetadata, type GemmaVocab } from "../../server/gguf/gemmaVocab";
import { AgreeingMtpWeights } from "../../server/gguf/agreeingMtp";
import {
  GEMMA4_COMMON,
  addGemma4TextMetadata,
  gemma4AssistantTensorPlan,
  gemma4AssistantWriter,
  gemma4RopeFreqs,
  gemma4SwaPattern,
  gemma4TextTensorPlan,
  randomTensorSource,
  type Gemma4AssistantShape,
  type Gemma4TextShape,
  type TensorOverride,
} from "../../server/gguf/tinyModels";
import { GgmlType, GgufWriter, LlamaFileType, tensorByteSize } from "../../server/gguf/writer";

const execFileP = promisify(execFile);

/**
 * Text model: 6 layers (5 sliding + 1 full, Gemma 4's 5:1), ~1/10 of the 12B's width, 11.1 M
 * non-embedding parameters + the 262,144 x 384 tied embedding (79 MB in Q4_0).
 *
 * Measured on the 2-core CI machine (llama-server, host flags, otherwise idle; measureModel.ts):
 * prefill 4,600 tok/s for 2K tokens, 3,100 tok/s for 10K, 39.6K tokens in 32 s (1,250 tok/s),
 * decode 225 tok/s (63 MB of Q4_0 weights read per token, 57 MB of it the tied output projection);
 * with the drafter (-td 1) 41 tok/s: random weights never agree, so every draft is wasted work.
 * The one full-attention layer dominates a long prefill (its cost grows with the position: CPU
 * flash attention over a q8_0 cache costs ~18 GFLOP/s here), so its query heads are kept narrow:
 * 2 heads x 64 (full) / 32 (sliding), the 12B's 2:1 full:sliding head-size ratio. With 2 x 128 a
 * 40K prefill took ~65 s, with 1 x 256 ~52 s.
 */
export const BENCH_TEXT_SHAPE: Gemma4TextShape = {
  nEmbd: 384,
  nFf: 1536,
  nLayer: 6,
  nHead: 2,
  nHeadKvSwa: 1,
  nHeadKvFull: 1,
  headDimSwa: 32,
  headDimFull: 64,
  slidingWindow: 512,
  swaPattern: gemma4SwaPattern(6, 6),
  ...GEMMA4_COMMON,
};

/** The MTP drafter: half the target's width, one sliding + one full layer (like the real assistant). */
export const BENCH_ASSISTANT_SHAPE: Gemma4AssistantShape = {
  nEmbd: 192,
  nFf: 768,
  nLayer: 2,
  nHead: 2,
  swaPattern: [true, false],
};

export const BENCH_DEFAULT_SEED = 0x62656e63; // "benc"

/** Q4_0 like the 12B bench model: bytes per weight (and so bytes read per decoded token) are realistic. */
const WEIGHT_TYPE = GgmlType.Q4_0;

/** Bump when the files' content would change for the same parameters. */
const FORMAT_VERSION = 1;

export interface BenchModelOptions {
  seed?: number;
  /** override the text shape (used to pick the shape by measurement) */
  shape?: Gemma4TextShape;
  assistantShape?: Gemma4AssistantShape;
  /** a gemma4 vocab GGUF; default: ensureGemma4VocabGguf() */
  vocabPath?: string;
  /**
   * Designed instead of random weights (server/gguf/agreeingMtp.ts): the drafter's greedy drafts are right
   * with this probability per token, so MTP's speedup can be measured. Same shapes, types and bytes read per
   * token as the random pair, plus an untied output matrix in the file.
   */
  agreeing?: number;
}

export interface BenchModels {
  text: string;
  assistant: string;
  shape: Gemma4TextShape;
  assistantShape: Gemma4AssistantShape;
  /** size of the text model file */
  textBytes: number;
  assistantBytes: number;
  /** bytes of the text model's tensors (≈ bytes read per decoded token, see bandwidth.ts) */
  textWeightBytes: number;
  /** true when existing files were reused */
  reused: boolean;
}


/** Default directory for the bench models: ${HEARTH_CACHE_DIR:-~/.cache/hearth}/bench/models. */
export function defaultBenchModelsDir(): string {
  return join(resolveCacheRoot(), "bench", "models");
}

const VOCAB_IN_BUNDLE = "models/ggml-vocab-gemma-4.gguf";

function findBundle(): string {
  // node-llama-cpp ships llama.cpp's source (incl. models/ggml-vocab-*.gguf) as a git bundle
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) throw new Error("node_modules/node-llama-cpp/llama/gitRelease.bundle not found (run npm install)");
    dir = up;
  }
}

/**
 * Path of llama.cpp's real Gemma 4 vocabulary GGUF, extracted (offline) from node-llama-cpp's
 * llama.cpp git bundle into ${HEARTH_CACHE_DIR:-~/.cache/hearth}/bench/ on first use.
 */
export async function ensureGemma4VocabGguf(cacheDir = join(resolveCacheRoot(), "bench")): Promise<string> {
  const out = join(cacheDir, "ggml-vocab-gemma-4.gguf");
  if (existsSync(out)) return out;
  await mkdir(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `.bundle-${process.pid}-${Date.now()}`);
  try {
    // a bare clone of a local bundle: no network, no checkout (~1 s)
    await execFileP("git", ["clone", "--quiet", "--bare", findBundle(), tmp], { maxBuffer: 1 << 20 });
    const { stdout } = await execFileP("git", ["--git-dir", tmp, "show", `HEAD:${VOCAB_IN_BUNDLE}`], {
      encoding: "buffer",
      maxBuffer: 256 << 20,
    });
    await writeFile(`${out}.partial`, stdout);
    await rename(`${out}.partial`, out);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return out;
}

/** Bytes of all tensors of the text model (Q4_0 matrices, F32 norms). */
export function benchTextWeightBytes(shape: Gemma4TextShape, nVocab: number): number {
  return gemma4TextTensorPlan(shape, nVocab).reduce(
    (n, t) => n + tensorByteSize(t.role === "embd" || t.role === "matrix" ? WEIGHT_TYPE : GgmlType.F32, t.shape),
    0,
  );
}

function textWriter(seed: number, shape: Gemma4TextShape, vocab: GemmaVocab, designed?: TensorOverride): GgufWriter {
  const w = new GgufWriter();
  w.setString("general.architecture", "gemma4");
  w.setString("general.type", "model");
  w.setString("general.name", designed ? "Hearth bench Gemma 4 (designed for MTP agreement, real vocab)" : "Hearth bench Gemma 4 (random weights, real vocab)");
  w.setUint32("general.file_type", LlamaFileType.MOSTLY_Q4_0);
  w.setUint32("general.quantization_version", 2);
  addGemma4TextMetadata(w, shape);
  addGemmaVocabMetadata(w, vocab, { chatTemplate: GEMMA4_CHAT_TEMPLATE });
  const rope = gemma4RopeFreqs(shape.headDimFull, shape.partialRotaryFactorFull);
  for (const t of gemma4TextTensorPlan(shape, vocab.tokens.length, { untiedOutput: !!designed })) {
    const type = t.role === "embd" || t.role === "matrix" ? WEIGHT_TYPE : GgmlType.F32;
    w.addTensor({ name: t.name, shape: t.shape, type, data: designed?.(t.name) ?? randomTensorSource(seed, t, rope) });
  }
  return w;
}

async function fileSha256(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

interface Manifest {
  paramsHash: string;
  params: unknown;
  textBytes: number;
  assistantBytes: number;
  textWeightBytes: number;
}

/**
 * Write (or reuse) `text.gguf` + `assistant.gguf` in `dir`. Same parameters (seed, shapes,
 * vocabulary content, format version) → byte-identical files, written only once.
 */
export async function writeBenchModels(dir: string = defaultBenchModelsDir(), opts: BenchModelOptions = {}): Promise<BenchModels> {
  const seed = (opts.seed ?? BENCH_DEFAULT_SEED) | 0;
  const shape = opts.shape ?? BENCH_TEXT_SHAPE;
  const assistantShape = opts.assistantShape ?? BENCH_ASSISTANT_SHAPE;
  const vocabPath = resolve(opts.vocabPath ?? (await ensureGemma4VocabGguf()));

  const params = {
    version: FORMAT_VERSION,
    seed,
    shape,
    assistantShape,
    weightType: WEIGHT_TYPE,
    vocabSha256: await fileSha256(vocabPath),
    ...(opts.agreeing !== undefined && { agreeing: opts.agreeing }),
  };
  const paramsHash = createHash("sha256").update(JSON.stringify(params)).digest("hex").slice(0, 16);
  const text = join(dir, "text.gguf");
  const assistant = join(dir, "assistant.gguf");
  const manifestPath = join(dir, "bench-models.json");

  const existing = await readManifest(manifestPath);
  if (existing?.paramsHash === paramsHash && (await sizeOf(text)) === existing.textBytes && (await sizeOf(assistant)) === existing.assistantBytes) {
    return { text, assistant, shape, assistantShape, textBytes: existing.textBytes, assistantBytes: existing.assistantBytes, textWeightBytes: existing.textWeightBytes, reused: true };
  }

  await mkdir(dir, { recursive: true });
  await rm(manifestPath, { force: true }); // never leave a manifest describing half-written files
  const vocab = await readGemmaVocabFromGguf(vocabPath);
  const design =
    opts.agreeing === undefined
      ? undefined
      : new AgreeingMtpWeights({ seed, vocab, targetEmbd: shape.nEmbd, drafterEmbd: assistantShape.nEmbd, acceptance: opts.agreeing });
  const t = await textWriter(seed, shape, vocab, design && ((n) => design.targetTensor(n))).write(text);
  const a = await gemma4AssistantWriter(seed, vocab, {
    target: shape,
    shape: assistantShape,
    name: design ? "Hearth bench Gemma 4 assistant (designed for MTP agreement, real vocab)" : "Hearth bench Gemma 4 assistant (random weights, real vocab)",
    weightType: WEIGHT_TYPE,
    fileType: LlamaFileType.MOSTLY_Q4_0,
    designed: design && ((n) => design.drafterTensor(n)),
  }).write(assistant);
  const textWeightBytes = benchTextWeightBytes(shape, vocab.tokens.length);
  const manifest: Manifest = { paramsHash, params, textBytes: t.fileSize, assistantBytes: a.fileSize, textWeightBytes };
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  return { text, assistant, shape, assistantShape, textBytes: t.fileSize, assistantBytes: a.fileSize, textWeightBytes, reused: false };
}

async function readManifest(path: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Manifest;
  } catch {
    return null;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

/**
 * llama-server flags the host uses for a 32,768-token context per slot (2 slots), with the MTP drafter when
 * `assistant` is given: the host's own `modelArgs`. Add --host/--port (and anything else) yourself.
 */
export function benchServerArgs(models: { text: string; assistant?: string }, threads = 2): string[] {
  return modelArgs({
    files: { model: models.text, drafter: models.assistant },
    contextSize: 32768,
    kvCacheType: "q8_0",
    threads,
    parallel: 2,
    mtp: !!models.assistant,
    gpuLayers: 0,
  });
}

/** Parameter counts (tied embeddings), for reports. */
export function benchParamCounts(shape: Gemma4TextShape, assistantShape: Gemma4AssistantShape, nVocab: number) {
  const count = (plan: { shape: number[] }[]) => plan.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const text = gemma4TextTensorPlan(shape, nVocab);
  return {
    text: count(text),
    textNonEmbedding: count(text.filter((t) => t.role !== "embd")),
    assistant: count(gemma4AssistantTensorPlan(shape, assistantShape, nVocab)),
  };
}
