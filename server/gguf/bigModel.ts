// A random-weight Gemma 4 model with the real 12B shape (for benchmarks), streamed to disk as Q4_0.
//
// Shape (public configs, unverified): E=3840, F=15360, 48 layers (every 6th full attention, last
// full), 16 heads; sliding layers 8 KV heads x 256, full layers 1 KV head x 512 and no v_proj (V=K);
// 262,144-token vocab; tied embeddings -> 11.9 B parameters, ~6.7 GB in Q4_0.
//
// Weights are random Q4_0 blocks taken from a seeded pool (one pool per scale), so writing is
// disk-bound and memory stays at a few tens of MB regardless of the model size. Uses the same
// metadata / tensor plan code as the tiny models (tinyModels.ts).

import { GEMMA4_CHAT_TEMPLATE } from "./gemmaChatTemplate";
import { addGemmaVocabMetadata, buildSyntheticFullGemmaVocab, type GemmaVocab } from "./gemmaVocab";
import { AgreeingMtpWeights } from "./agreeingMtp";
import { Rng } from "./random";
import {
  addGemma4TextMetadata,
  gemma4RopeFreqs,
  gemma4SwaPattern,
  gemma4TextTensorPlan,
  type Gemma4TextShape,
  gemma4AssistantWriter,
  type Gemma4AssistantShape,
  type TensorOverride,
  type TensorPlan,
  GEMMA4_COMMON,
} from "./tinyModels";
import {
  GgmlType,
  GgufWriter,
  LlamaFileType,
  fp32ToFp16,
  tensorElementCount,
  type TensorSource,
  type WriteOptions,
  type WriteResult,
} from "./writer";

export const GEMMA4_12B_SHAPE: Gemma4TextShape = {
  nEmbd: 3840,
  nFf: 15360,
  nLayer: 48,
  nHead: 16,
  nHeadKvSwa: 8,
  nHeadKvFull: 1,
  headDimSwa: 256,
  headDimFull: 512,
  slidingWindow: 1024,
  swaPattern: gemma4SwaPattern(48, 6),
  ...GEMMA4_COMMON,
};

/** Number of parameters of a gemma4 text model (tied embeddings). */
export function gemma4ParamCount(shape: Gemma4TextShape, nVocab: number): number {
  return gemma4TextTensorPlan(shape, nVocab).reduce((n, t) => n + tensorElementCount(t.shape), 0);
}

/** Read tokens / scores / types / merges / special ids from an existing gemma4 GGUF (e.g. ggml-vocab-gemma-4.gguf). */
export async function readGemmaVocabFromGguf(path: string): Promise<GemmaVocab> {
  const { readGgufFileInfo } = await import("node-llama-cpp");
  const info = await readGgufFileInfo(path, { readTensorInfo: false, logWarnings: false });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const tok = (info.metadata as any).tokenizer?.ggml;
  if (!tok || tok.model !== "gemma4" || !Array.isArray(tok.tokens)) throw new Error(`${path}: not a gemma4 vocab`);
  const tokens: string[] = tok.tokens;
  const ids = new Map<string, number>();
  tokens.forEach((t, i) => ids.set(t, i));
  return {
    tokens,
    scores: tok.scores ?? tokens.map(() => -1000),
    tokenTypes: tok.token_type,
    merges: tok.merges ?? [],
    bosId: tok.bos_token_id ?? 2,
    eosId: tok.eos_token_id ?? 1,
    unkId: tok.unknown_token_id ?? 3,
    padId: tok.padding_token_id ?? 0,
    maskId: tok.mask_token_id ?? 4,
    ids,
  };
}

const Q4_0_BLOCK_BYTES = 18;
const POOL_BLOCKS = 1 << 20; // 18.9 MB per pool

/** RMS of a Q4_0 value (q - 8) for q uniform in 0..15. */
const Q4_RMS = Math.sqrt(344 / 16);

/**
 * Pools of random Q4_0 blocks, one per scale. Every block has the same fp16 scale `d` and random
 * nibbles, so a weight has RMS ~= 1/sqrt(fanIn).
 */
class Q4Pools {
  private readonly pools = new Map<number, Uint8Array>();
  constructor(private readonly seed: number) {}

  get(fanIn: number): Uint8Array {
    const dBits = fp32ToFp16(1 / (Q4_RMS * Math.sqrt(fanIn)));
    let pool = this.pools.get(dBits);
    if (!pool) {
      pool = new Uint8Array(POOL_BLOCKS * Q4_0_BLOCK_BYTES);
      const rng = new Rng(this.seed, `q4pool:${dBits}`);
      const qs = new Uint8Array(16);
      for (let b = 0; b < POOL_BLOCKS; b++) {
        const o = b * Q4_0_BLOCK_BYTES;
        pool[o] = dBits & 0xff;
        pool[o + 1] = dBits >> 8;
        rng.fillBytes(qs);
        pool.set(qs, o + 2);
      }
      this.pools.set(dBits, pool);
    }
    return pool;
  }
}

function q4RandomSource(pools: Q4Pools, seed: number, t: TensorPlan): TensorSource {
  const nbytes = (tensorElementCount(t.shape) / 32) * Q4_0_BLOCK_BYTES;
  return {
    *rawChunks() {
      const pool = pools.get(t.fanIn);
      let pos = new Rng(seed, t.name).nextInt(POOL_BLOCKS) * Q4_0_BLOCK_BYTES; // per-tensor start
      let left = nbytes;
      while (left > 0) {
        const n = Math.min(left, pool.length - pos);
        yield pool.subarray(pos, pos + n);
        left -= n;
        pos = 0;
      }
    },
  };
}

export interface BigModelOptions {
  seed?: number;
  /** fewer layers through the same code path (e.g. for a quick load test); default 48 */
  layers?: number;
  /** vocab to embed; default: synthetic 262,144-token vocab with the real special-token ids */
  vocab?: GemmaVocab;
  onProgress?: WriteOptions["onProgress"];
  /** designed weights for some tensors, quantized from floats (agreeingMtp.ts); adds an untied output.weight */
  designed?: TensorOverride;
  name?: string;
}

/** Default seed of the 12B-shape files (the random model and the agreeing pair alike). */
const BIG_MODEL_SEED = 0x31324221;

export function gemma4BigShape(layers = GEMMA4_12B_SHAPE.nLayer): Gemma4TextShape {
  if (!Number.isInteger(layers) || layers < 2) throw new Error("layers must be an integer >= 2");
  return { ...GEMMA4_12B_SHAPE, nLayer: layers, swaPattern: gemma4SwaPattern(layers, 6) };
}

/** Write the 12B-shaped random Q4_0 model to `path`. */
export async function writeBigModel(path: string, opts: BigModelOptions = {}): Promise<WriteResult & { params: number }> {
  const seed = (opts.seed ?? BIG_MODEL_SEED) | 0;
  const shape = gemma4BigShape(opts.layers);
  const vocab = opts.vocab ?? buildSyntheticFullGemmaVocab();

  const w = new GgufWriter();
  w.setString("general.architecture", "gemma4");
  w.setString("general.type", "model");
  w.setString("general.name", opts.name ?? `Hearth random Gemma 4 12B-shape${shape.nLayer !== 48 ? ` (${shape.nLayer} layers)` : ""}`);
  w.setUint32("general.file_type", LlamaFileType.MOSTLY_Q4_0);
  w.setUint32("general.quantization_version", 2);
  addGemma4TextMetadata(w, shape);
  addGemmaVocabMetadata(w, vocab, { chatTemplate: GEMMA4_CHAT_TEMPLATE });

  const pools = new Q4Pools(seed);
  const rope = gemma4RopeFreqs(shape.headDimFull, shape.partialRotaryFactorFull);
  const plan = gemma4TextTensorPlan(shape, vocab.tokens.length, { untiedOutput: !!opts.designed });
  for (const t of plan) {
    const designed = opts.designed?.(t.name);
    if (designed) {
      w.addTensor({ name: t.name, shape: t.shape, type: t.role === "embd" || t.role === "matrix" ? GgmlType.Q4_0 : GgmlType.F32, data: designed });
    } else if (t.role === "embd" || t.role === "matrix") {
      w.addTensor({ name: t.name, shape: t.shape, type: GgmlType.Q4_0, data: q4RandomSource(pools, seed, t) });
    } else if (t.role === "rope_freqs") {
      w.addTensor({ name: t.name, shape: t.shape, type: GgmlType.F32, data: rope });
    } else {
      w.addTensor({ name: t.name, shape: t.shape, type: GgmlType.F32, data: { generate: (_s, out) => out.fill(1) } });
    }
  }
  const res = await w.write(path, { onProgress: opts.onProgress });
  return { ...res, params: gemma4ParamCount(shape, vocab.tokens.length) };
}

/**
 * A drafter shaped like Gemma 4's assistants (4 layers: 3 reading the target's sliding-window KV, 1 its full
 * KV; 1,024 wide; tied 262K-token head). Width and layer count from public descriptions of the released
 * assistants; FFN width and query heads (a multiple of the target's 8 sliding-window KV heads) are
 * assumptions. Its cost is dominated by the head: ≈ 3 % of the 12B's weights are read per draft step.
 */
export const GEMMA4_12B_ASSISTANT_SHAPE: Gemma4AssistantShape = {
  nEmbd: 1024,
  nFf: 4096,
  nLayer: 4,
  nHead: 8,
  swaPattern: [true, true, true, false],
};

/**
 * The 12B-shape target and a drafter whose drafts are right with probability `acceptance` (agreeingMtp.ts),
 * both Q4_0: to measure what MTP gains on this hardware when drafts are accepted.
 */
export async function writeBigAgreeingPair(
  paths: { text: string; assistant: string },
  opts: Omit<BigModelOptions, "designed" | "name"> & { acceptance: number },
): Promise<{ text: WriteResult & { params: number }; assistant: WriteResult }> {
  const seed = (opts.seed ?? BIG_MODEL_SEED) | 0;
  const shape = gemma4BigShape(opts.layers);
  const vocab = opts.vocab ?? buildSyntheticFullGemmaVocab();
  const design = new AgreeingMtpWeights({ seed, vocab, targetEmbd: shape.nEmbd, drafterEmbd: GEMMA4_12B_ASSISTANT_SHAPE.nEmbd, acceptance: opts.acceptance });
  const text = await writeBigModel(paths.text, {
    ...opts,
    seed,
    vocab,
    name: `Hearth Gemma 4 12B-shape designed for MTP agreement (${opts.acceptance})`,
    designed: (n) => design.targetTensor(n),
  });
  const assistant = await gemma4AssistantWriter(seed, vocab, {
    target: shape,
    shape: GEMMA4_12B_ASSISTANT_SHAPE,
    name: `Hearth Gemma 4 12B-shape assistant designed for MTP agreement (${opts.acceptance})`,
    weightType: GgmlType.Q4_0,
    fileType: LlamaFileType.MOSTLY_Q4_0,
    designed: (n) => design.drafterTensor(n),
  }).write(paths.assistant, { onProgress: opts.onProgress });
  return { text, assistant };
}
