// Tiny random-weight Gemma 4 models that load and run in llama.cpp / llama-server.
//
//   text.gguf      gemma4, 2 layers (sliding + full), real Gemma 4 special tokens, no FIM tokens
//   text-fim.gguf  same weights/architecture, vocab + <|fim_prefix|>/<|fim_suffix|>/<|fim_middle|>
//   mmproj.gguf    one clip file with both projectors: gemma4uv (vision) + gemma4ua (audio)
//   assistant.gguf gemma4-assistant MTP drafter for text.gguf (reads the target's KV + hidden state)
//
// Tensor names / shapes follow src/models/gemma4.cpp, src/models/gemma4-assistant.cpp and
// tools/mtmd/clip.cpp (+ models/gemma4uv.cpp, gemma4ua.cpp); metadata follows what
// convert_hf_to_gguf.py (conversion/gemma.py) writes for Gemma 4.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { GEMMA4_CHAT_TEMPLATE } from "./gemmaChatTemplate";
import { addGemmaVocabMetadata, buildTinyGemmaVocab, type GemmaVocab } from "./gemmaVocab";
import { AgreeingMtpWeights } from "./agreeingMtp";
import { Rng } from "./random";
import { GgmlType, GgufType, GgufWriter, LlamaFileType, type TensorSource } from "./writer";

// ---------------------------------------------------------------------------------------------
// shared Gemma 4 architecture description (also used by bigModel.ts)
// ---------------------------------------------------------------------------------------------

export interface Gemma4TextShape {
  nEmbd: number;
  nFf: number;
  nLayer: number;
  nHead: number;
  nHeadKvSwa: number;
  nHeadKvFull: number;
  headDimSwa: number;
  headDimFull: number;
  slidingWindow: number;
  /** true = sliding-window layer; the last layer must be full attention */
  swaPattern: boolean[];
  contextLength: number;
  ropeFreqBase: number;
  ropeFreqBaseSwa: number;
  /** fraction of the full-attention head that is rotated ("proportional" rope) */
  partialRotaryFactorFull: number;
  rmsEps: number;
  finalLogitSoftcapping: number;
  /** full-attention layers of real Gemma 4 have no v_proj (V = K) */
  fullLayerHasV: boolean;
}

/** Every `period`-th layer is full attention, and the last layer always is. */
export function gemma4SwaPattern(nLayer: number, period = 6): boolean[] {
  return Array.from({ length: nLayer }, (_, i) => !((i + 1) % period === 0 || i === nLayer - 1));
}

export type TensorRole = "embd" | "matrix" | "norm" | "rope_freqs" | "scale";

export interface TensorPlan {
  name: string;
  shape: number[];
  role: TensorRole;
  /** input dimension of a matrix (used to scale random weights) */
  fanIn: number;
}

/** rope_freqs for the full-attention layers: 1 for rotated pairs, 1e30 (= not rotated) for the rest. */
export function gemma4RopeFreqs(headDimFull: number, partialRotaryFactor: number): Float32Array {
  const nPairs = headDimFull / 2;
  const nRot = Math.floor((headDimFull * partialRotaryFactor) / 2);
  const out = new Float32Array(nPairs);
  for (let i = 0; i < nPairs; i++) out[i] = i < nRot ? 1 : 1e30;
  return out;
}

function validateShape(s: Gemma4TextShape): void {
  if (s.nLayer < 2) throw new Error("gemma4 needs at least 2 layers");
  if (s.swaPattern.length !== s.nLayer) throw new Error("swaPattern length must equal nLayer");
  if (s.swaPattern[s.nLayer - 1]) throw new Error("the last gemma4 layer must be full attention");
  if (!s.swaPattern.some((x) => x)) throw new Error("gemma4 needs at least one sliding-window layer");
}

export function addGemma4TextMetadata(w: GgufWriter, s: Gemma4TextShape, arch = "gemma4"): void {
  validateShape(s);
  const p = arch;
  w.setUint32(`${p}.context_length`, s.contextLength);
  w.setUint32(`${p}.embedding_length`, s.nEmbd);
  w.setUint32(`${p}.block_count`, s.nLayer);
  w.setUint32(`${p}.feed_forward_length`, s.nFf);
  w.setUint32(`${p}.attention.head_count`, s.nHead);
  w.setArray(`${p}.attention.head_count_kv`, GgufType.INT32, s.swaPattern.map((swa) => (swa ? s.nHeadKvSwa : s.nHeadKvFull)));
  w.setFloat32(`${p}.attention.layer_norm_rms_epsilon`, s.rmsEps);
  w.setUint32(`${p}.attention.key_length`, s.headDimFull);
  w.setUint32(`${p}.attention.value_length`, s.headDimFull);
  w.setUint32(`${p}.attention.sliding_window`, s.slidingWindow);
  w.setUint32(`${p}.attention.shared_kv_layers`, 0);
  w.setArray(`${p}.attention.sliding_window_pattern`, GgufType.BOOL, s.swaPattern);
  w.setUint32(`${p}.attention.key_length_swa`, s.headDimSwa);
  w.setUint32(`${p}.attention.value_length_swa`, s.headDimSwa);
  w.setFloat32(`${p}.rope.freq_base`, s.ropeFreqBase);
  w.setFloat32(`${p}.rope.freq_base_swa`, s.ropeFreqBaseSwa);
  w.setUint32(`${p}.rope.dimension_count`, s.headDimFull);
  w.setUint32(`${p}.rope.dimension_count_swa`, s.headDimSwa);
  w.setFloat32(`${p}.final_logit_softcapping`, s.finalLogitSoftcapping);
  w.setUint32(`${p}.embedding_length_per_layer_input`, 0);
}

/** Tensors of a gemma4 text model (tied embeddings: no output.weight, unless `untiedOutput`). */
export function gemma4TextTensorPlan(s: Gemma4TextShape, nVocab: number, opts: { untiedOutput?: boolean } = {}): TensorPlan[] {
  validateShape(s);
  const E = s.nEmbd;
  const out: TensorPlan[] = [
    { name: "token_embd.weight", shape: [E, nVocab], role: "embd", fanIn: E },
    { name: "rope_freqs.weight", shape: [s.headDimFull / 2], role: "rope_freqs", fanIn: 1 },
  ];
  // real Gemma 4 ties the output projection to token_embd; llama.cpp loads an own output.weight if present
  if (opts.untiedOutput) out.push({ name: "output.weight", shape: [E, nVocab], role: "embd", fanIn: E });
  for (let i = 0; i < s.nLayer; i++) {
    const swa = s.swaPattern[i];
    const hd = swa ? s.headDimSwa : s.headDimFull;
    const nkv = swa ? s.nHeadKvSwa : s.nHeadKvFull;
    const q = hd * s.nHead;
    const b = `blk.${i}.`;
    out.push(
      { name: `${b}attn_norm.weight`, shape: [E], role: "norm", fanIn: 1 },
      { name: `${b}attn_q.weight`, shape: [E, q], role: "matrix", fanIn: E },
      { name: `${b}attn_k.weight`, shape: [E, hd * nkv], role: "matrix", fanIn: E },
    );
    if (swa || s.fullLayerHasV) out.push({ name: `${b}attn_v.weight`, shape: [E, hd * nkv], role: "matrix", fanIn: E });
    out.push(
      { name: `${b}attn_output.weight`, shape: [q, E], role: "matrix", fanIn: q },
      { name: `${b}attn_q_norm.weight`, shape: [hd], role: "norm", fanIn: 1 },
      { name: `${b}attn_k_norm.weight`, shape: [hd], role: "norm", fanIn: 1 },
      { name: `${b}post_attention_norm.weight`, shape: [E], role: "norm", fanIn: 1 },
      { name: `${b}ffn_norm.weight`, shape: [E], role: "norm", fanIn: 1 },
      { name: `${b}ffn_gate.weight`, shape: [E, s.nFf], role: "matrix", fanIn: E },
      { name: `${b}ffn_up.weight`, shape: [E, s.nFf], role: "matrix", fanIn: E },
      { name: `${b}ffn_down.weight`, shape: [s.nFf, E], role: "matrix", fanIn: s.nFf },
      { name: `${b}post_ffw_norm.weight`, shape: [E], role: "norm", fanIn: 1 },
      { name: `${b}layer_output_scale.weight`, shape: [1], role: "scale", fanIn: 1 },
    );
  }
  out.push({ name: "output_norm.weight", shape: [E], role: "norm", fanIn: 1 });
  return out;
}

/** Deterministic float data for a planned tensor (uniform with variance 1/fanIn for matrices). */
export function randomTensorSource(seed: number, t: TensorPlan, ropeFreqs?: Float32Array): TensorSource {
  switch (t.role) {
    case "norm":
    case "scale":
      return { generate: (_start, out) => out.fill(1) };
    case "rope_freqs":
      if (!ropeFreqs) throw new Error("rope_freqs data missing");
      return ropeFreqs;
    case "embd":
    case "matrix": {
      // one independent stream per tensor (order-independent); chunks are generated sequentially
      // and the stream restarts at element 0, so the same source can be written more than once
      let rng = new Rng(seed, t.name);
      const scale = Math.sqrt(3 / t.fanIn);
      let expect = 0;
      return {
        generate: (start, out) => {
          if (start === 0) rng = new Rng(seed, t.name);
          else if (start !== expect) throw new Error(`non-sequential generate for ${t.name}`);
          rng.fillUniform(out, scale);
          expect = start + out.length;
        },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// tiny model configuration
// ---------------------------------------------------------------------------------------------

/** What every Gemma 4 size shares (from the published configs). */
export const GEMMA4_COMMON = {
  contextLength: 262144,
  ropeFreqBase: 1_000_000,
  ropeFreqBaseSwa: 10_000,
  partialRotaryFactorFull: 0.25,
  rmsEps: 1e-6,
  finalLogitSoftcapping: 30,
  fullLayerHasV: false,
} satisfies Partial<Gemma4TextShape>;

export const TINY_TEXT_SHAPE: Gemma4TextShape = {
  nEmbd: 64,
  nFf: 256,
  nLayer: 2,
  nHead: 4,
  nHeadKvSwa: 2,
  nHeadKvFull: 1,
  headDimSwa: 32,
  headDimFull: 64,
  slidingWindow: 512,
  swaPattern: [true, false],
  ...GEMMA4_COMMON,
};

/** The drafter: its own (smaller) hidden size, same head layout as the target's KV it reads. */
export const TINY_ASSISTANT_SHAPE = {
  nEmbd: 32,
  nFf: 128,
  nLayer: 2,
  nHead: 4,
  swaPattern: [true, false],
};

/** Vision: 16 px patches pooled 3x3 by the unified conv = 48 px tokens; audio: 640-sample frames. */
export const TINY_MMPROJ = {
  visionEmbd: 32,
  visionPatchSize: 16, // clip.cpp multiplies by n_merge (default 3 for gemma4uv) -> 48 px
  visionMerge: 3,
  /** learned x/y position table length; 1120 = max tokens per image, so any aspect ratio fits */
  visionPosSize: 1120,
  audioFrame: 640, // 40 ms @ 16 kHz -> 25 tokens per second
};

const DEFAULT_SEED = 0x6865_6172; // "hear"

function commonGeneral(w: GgufWriter, arch: string, name: string, fileType: number, type = "model"): void {
  w.setString("general.architecture", arch);
  w.setString("general.type", type);
  w.setString("general.name", name);
  w.setUint32("general.file_type", fileType);
  w.setUint32("general.quantization_version", 2);
}

/** Designed weights for some tensors (the rest random); see agreeingMtp.ts. */
export type TensorOverride = (name: string) => TensorSource | undefined;

function textModelWriter(seed: number, vocab: GemmaVocab, name: string, designed?: TensorOverride): GgufWriter {
  const s = TINY_TEXT_SHAPE;
  const w = new GgufWriter();
  commonGeneral(w, "gemma4", name, LlamaFileType.MOSTLY_F16);
  addGemma4TextMetadata(w, s);
  addGemmaVocabMetadata(w, vocab, { chatTemplate: GEMMA4_CHAT_TEMPLATE });
  const rope = gemma4RopeFreqs(s.headDimFull, s.partialRotaryFactorFull);
  for (const t of gemma4TextTensorPlan(s, vocab.tokens.length, { untiedOutput: !!designed })) {
    const type = t.role === "embd" || t.role === "matrix" ? GgmlType.F16 : GgmlType.F32;
    w.addTensor({ name: t.name, shape: t.shape, type, data: designed?.(t.name) ?? randomTensorSource(seed, t, rope) });
  }
  return w;
}

/** Shape of a gemma4-assistant drafter's own layers (its attention geometry comes from the target). */
export interface Gemma4AssistantShape {
  nEmbd: number;
  nFf: number;
  nLayer: number;
  nHead: number;
  /** true = the layer reads the target's sliding-window KV; false = its full-attention KV */
  swaPattern: boolean[];
}

export interface Gemma4AssistantOptions {
  /** the text model the drafter belongs to (its KV cache and hidden state are read); default TINY_TEXT_SHAPE */
  target?: Gemma4TextShape;
  /** default TINY_ASSISTANT_SHAPE */
  shape?: Gemma4AssistantShape;
  name?: string;
  /** type of token_embd and the matrices (norms stay F32); default F16 */
  weightType?: GgmlType;
  /** general.file_type to record; default MOSTLY_F16 */
  fileType?: number;
  /** designed weights for some tensors (agreeingMtp.ts); the rest stay random */
  designed?: TensorOverride;
}

/** Tensors of a gemma4-assistant drafter (tied embeddings; no K/V projections: it reuses the target's KV). */
export function gemma4AssistantTensorPlan(target: Gemma4TextShape, a: Gemma4AssistantShape, nVocab: number): TensorPlan[] {
  const E = a.nEmbd;
  const B = target.nEmbd;
  const plan: TensorPlan[] = [
    { name: "token_embd.weight", shape: [E, nVocab], role: "embd", fanIn: E },
    { name: "rope_freqs.weight", shape: [target.headDimFull / 2], role: "rope_freqs", fanIn: 1 },
    { name: "nextn.pre_projection.weight", shape: [2 * B, E], role: "matrix", fanIn: 2 * B },
    { name: "nextn.post_projection.weight", shape: [E, B], role: "matrix", fanIn: E },
  ];
  for (let i = 0; i < a.nLayer; i++) {
    const hd = a.swaPattern[i] ? target.headDimSwa : target.headDimFull;
    const q = hd * a.nHead;
    const b = `blk.${i}.`;
    plan.push(
      { name: `${b}attn_norm.weight`, shape: [E], role: "norm", fanIn: 1 },
      { name: `${b}attn_q.weight`, shape: [E, q], role: "matrix", fanIn: E },
      { name: `${b}attn_output.weight`, shape: [q, E], role: "matrix", fanIn: q },
      { name: `${b}attn_q_norm.weight`, shape: [hd], role: "norm", fanIn: 1 },
      { name: `${b}post_attention_norm.weight`, shape: [E], role: "norm", fanIn: 1 },
      { name: `${b}layer_output_scale.weight`, shape: [1], role: "scale", fanIn: 1 },
      { name: `${b}ffn_norm.weight`, shape: [E], role: "norm", fanIn: 1 },
      { name: `${b}ffn_gate.weight`, shape: [E, a.nFf], role: "matrix", fanIn: E },
      { name: `${b}ffn_up.weight`, shape: [E, a.nFf], role: "matrix", fanIn: E },
      { name: `${b}ffn_down.weight`, shape: [a.nFf, E], role: "matrix", fanIn: a.nFf },
      { name: `${b}post_ffw_norm.weight`, shape: [E], role: "norm", fanIn: 1 },
    );
  }
  plan.push({ name: "output_norm.weight", shape: [E], role: "norm", fanIn: 1 });
  return plan;
}

/**
 * A gemma4-assistant MTP drafter for `opts.target` (defaults: the tiny model's drafter, byte-identical
 * to what writeTinyModels has always written).
 */
export function gemma4AssistantWriter(seed: number, vocab: GemmaVocab, opts: Gemma4AssistantOptions = {}): GgufWriter {
  const t = opts.target ?? TINY_TEXT_SHAPE;
  const a = opts.shape ?? TINY_ASSISTANT_SHAPE;
  if (a.swaPattern.length !== a.nLayer) throw new Error("assistant swaPattern length must equal nLayer");
  if (a.nEmbd === t.nEmbd) throw new Error("gemma4-assistant needs a hidden size different from the target's (llama.cpp uses it to detect embedding_length_out)");
  // its queries attend the target's K/V heads (grouped-query attention): llama.cpp aborts the engine otherwise
  if (a.nHead % t.nHeadKvSwa !== 0 || a.nHead % t.nHeadKvFull !== 0) throw new Error(`gemma4-assistant query heads (${a.nHead}) must be a multiple of the target's KV heads (${t.nHeadKvSwa} sliding, ${t.nHeadKvFull} full)`);
  const weightType = opts.weightType ?? GgmlType.F16;
  const w = new GgufWriter();
  commonGeneral(w, "gemma4-assistant", opts.name ?? "Hearth tiny Gemma 4 assistant (random weights)", opts.fileType ?? LlamaFileType.MOSTLY_F16);
  // same attention geometry as the target (it attends over the target's KV cache)
  addGemma4TextMetadata(w, { ...t, nEmbd: a.nEmbd, nFf: a.nFf, nLayer: a.nLayer, nHead: a.nHead, swaPattern: a.swaPattern }, "gemma4-assistant");
  w.setUint32("gemma4-assistant.attention.shared_kv_layers", a.nLayer);
  w.setUint32("gemma4-assistant.embedding_length_out", t.nEmbd);
  w.setUint32("gemma4-assistant.nextn_predict_layers", a.nLayer);
  addGemmaVocabMetadata(w, vocab, { chatTemplate: GEMMA4_CHAT_TEMPLATE });

  const plan = gemma4AssistantTensorPlan(t, a, vocab.tokens.length);
  const rope = gemma4RopeFreqs(t.headDimFull, t.partialRotaryFactorFull);
  const aseed = (seed ^ 0x41535354) | 0; // independent of the target's weights
  for (const p of plan) {
    const type = p.role === "embd" || p.role === "matrix" ? weightType : GgmlType.F32;
    w.addTensor({ name: p.name, shape: p.shape, type, data: opts.designed?.(p.name) ?? randomTensorSource(aseed, p, rope) });
  }
  return w;
}

function assistantWriter(seed: number, vocab: GemmaVocab): GgufWriter {
  return gemma4AssistantWriter(seed, vocab);
}

function mmprojWriter(seed: number): GgufWriter {
  const m = TINY_MMPROJ;
  const nText = TINY_TEXT_SHAPE.nEmbd;
  const P = m.visionPatchSize * m.visionMerge; // 48
  const patchIn = P * P * 3;
  const V = m.visionEmbd;
  const w = new GgufWriter();
  commonGeneral(w, "clip", "Hearth tiny Gemma 4 mmproj (random weights)", LlamaFileType.MOSTLY_F16, "mmproj");
  w.setBool("clip.has_vision_encoder", true);
  w.setBool("clip.has_audio_encoder", true);
  // one file, two projectors: per-modality projector_type keys (no global clip.projector_type)
  w.setString("clip.vision.projector_type", "gemma4uv");
  w.setString("clip.audio.projector_type", "gemma4ua");

  w.setUint32("clip.vision.projection_dim", nText);
  w.setUint32("clip.vision.image_size", 224); // unused by gemma4uv (the converter writes 224 too)
  w.setUint32("clip.vision.patch_size", m.visionPatchSize);
  w.setUint32("clip.vision.embedding_length", V);
  w.setUint32("clip.vision.feed_forward_length", 0);
  w.setUint32("clip.vision.block_count", 0); // encoder-free: no transformer blocks
  w.setUint32("clip.vision.attention.head_count", 0);
  w.setArray("clip.vision.image_mean", GgufType.FLOAT32, [0.5, 0.5, 0.5]);
  w.setArray("clip.vision.image_std", GgufType.FLOAT32, [0.5, 0.5, 0.5]);
  w.setFloat32("clip.vision.attention.layer_norm_epsilon", 1e-6);

  w.setUint32("clip.audio.projection_dim", nText);
  w.setUint32("clip.audio.embedding_length", m.audioFrame);
  w.setUint32("clip.audio.feed_forward_length", 0);
  w.setUint32("clip.audio.block_count", 0);
  w.setUint32("clip.audio.attention.head_count", 0);
  w.setUint32("clip.audio.num_mel_bins", m.audioFrame); // gemma4ua: raw-waveform frame size (640)
  w.setFloat32("clip.audio.attention.layer_norm_epsilon", 1e-6);

  const ones = (): TensorSource => ({ generate: (_s, out) => out.fill(1) });
  const zeros = (): TensorSource => ({ generate: (_s, out) => out.fill(0) });
  const rnd = (name: string, fanIn: number): TensorSource => randomTensorSource(seed ^ 0x4d4d5052, { name, shape: [], role: "matrix", fanIn });

  // vision (clip_graph_gemma4uv): im2col 48x48x3 -> LayerNorm -> linear + bias -> LayerNorm -> + pos_x/pos_y -> LayerNorm -> RMSNorm -> projection
  w.addTensor({ name: "v.patch_norm.1.weight", shape: [patchIn], type: GgmlType.F32, data: ones() });
  w.addTensor({ name: "v.patch_norm.1.bias", shape: [patchIn], type: GgmlType.F32, data: zeros() });
  w.addTensor({ name: "v.patch_embd.weight", shape: [patchIn, V], type: GgmlType.F16, data: rnd("v.patch_embd.weight", patchIn) });
  w.addTensor({ name: "v.patch_embd.bias", shape: [V], type: GgmlType.F32, data: zeros() });
  w.addTensor({ name: "v.patch_norm.2.weight", shape: [V], type: GgmlType.F32, data: ones() });
  w.addTensor({ name: "v.patch_norm.2.bias", shape: [V], type: GgmlType.F32, data: zeros() });
  w.addTensor({ name: "v.position_embd.weight", shape: [V, m.visionPosSize, 2], type: GgmlType.F32, data: rnd("v.position_embd.weight", V) });
  w.addTensor({ name: "v.patch_norm.3.weight", shape: [V], type: GgmlType.F32, data: ones() });
  w.addTensor({ name: "v.patch_norm.3.bias", shape: [V], type: GgmlType.F32, data: zeros() });
  w.addTensor({ name: "mm.input_projection.weight", shape: [V, nText], type: GgmlType.F16, data: rnd("mm.input_projection.weight", V) });

  // audio (clip_graph_gemma4ua): 640-sample frames -> RMSNorm -> projection
  w.addTensor({
    name: "mm.a.input_projection.weight",
    shape: [m.audioFrame, nText],
    type: GgmlType.F16,
    data: rnd("mm.a.input_projection.weight", m.audioFrame),
  });
  return w;
}

export interface TinyModelPaths {
  text: string;
  textFim: string;
  mmproj: string;
  assistant: string;
}

/**
 * Write the four tiny models into `dir` (created if missing). Same seed -> byte-identical files.
 */
export async function writeTinyModels(dir: string, opts: { seed?: number } = {}): Promise<TinyModelPaths> {
  const seed = (opts.seed ?? DEFAULT_SEED) | 0;
  await mkdir(dir, { recursive: true });
  const vocab = buildTinyGemmaVocab();
  const vocabFim = buildTinyGemmaVocab({ fim: true });
  const paths: TinyModelPaths = {
    text: join(dir, "text.gguf"),
    textFim: join(dir, "text-fim.gguf"),
    mmproj: join(dir, "mmproj.gguf"),
    assistant: join(dir, "assistant.gguf"),
  };
  await textModelWriter(seed, vocab, "Hearth tiny Gemma 4 (random weights)").write(paths.text);
  await textModelWriter(seed, vocabFim, "Hearth tiny Gemma 4 FIM (random weights)").write(paths.textFim);
  await mmprojWriter(seed).write(paths.mmproj);
  await assistantWriter(seed, vocab).write(paths.assistant);
  return paths;
}

export interface AgreeingMtpPairPaths {
  text: string;
  assistant: string;
  /** the weights' design: which token follows which, and where the drafter is right */
  weights: AgreeingMtpWeights;
}

/**
 * A tiny target (text.gguf, the tiny model's shape and vocab) + drafter (assistant.gguf) whose drafts are
 * accepted with probability `acceptance` per token (agreeingMtp.ts). Same seed and acceptance -> same files.
 */
export async function writeAgreeingMtpPair(dir: string, opts: { acceptance: number; seed?: number }): Promise<AgreeingMtpPairPaths> {
  const seed = (opts.seed ?? DEFAULT_SEED) | 0;
  await mkdir(dir, { recursive: true });
  const vocab = buildTinyGemmaVocab();
  const weights = new AgreeingMtpWeights({ seed, vocab, targetEmbd: TINY_TEXT_SHAPE.nEmbd, drafterEmbd: TINY_ASSISTANT_SHAPE.nEmbd, acceptance: opts.acceptance });
  const paths = { text: join(dir, "text.gguf"), assistant: join(dir, "assistant.gguf") };
  await textModelWriter(seed, vocab, "Hearth tiny Gemma 4 (designed for MTP agreement)", (n) => weights.targetTensor(n)).write(paths.text);
  await gemma4AssistantWriter(seed, vocab, { name: "Hearth tiny Gemma 4 assistant (designed for MTP agreement)", designed: (n) => weights.drafterTensor(n) }).write(paths.assistant);
  return { ...paths, weights };
}
