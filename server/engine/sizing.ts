/**
 * Chooses the context size from the model's own attention shape and the machine's free memory, and
 * estimates what loading will cost. Gemma 4 uses a sliding-window cache: only full-attention layers grow
 * with the context, which is what makes 256K affordable on a 16 GB laptop (never `--swa-full`).
 */
import os from "node:os";
import type { KvCacheType, MemoryEstimate } from "../protocol";
import type { CheckedGguf } from "../models/check";

export const MAX_CONTEXT = 262_144;
const MIN_CONTEXT = 4_096;
/** Per-sequence batch cells a sliding layer keeps beyond its window (llama.cpp keeps window + ubatch). */
const UBATCH = 512;
/** Leave room for the OS, the editor and compute buffers. */
const HEADROOM_FRACTION = 0.8;
const COMPUTE_BUFFER_BYTES = 512 * 1024 * 1024;

const BYTES_PER_ELEMENT: Record<KvCacheType, number> = { f16: 2, q8_0: 34 / 32, q4_0: 18 / 32 };

export interface AttentionShape {
  layers: number;
  /** Per layer: is it sliding-window attention. */
  sliding: boolean[];
  /** Per layer KV heads. */
  kvHeads: number[];
  headDimFull: number;
  headDimSliding: number;
  window: number;
  trainedContext: number;
}

export function attentionShape(model: CheckedGguf): AttentionShape {
  const a = model.info.architectureMetadata as Record<string, unknown> & { attention?: Record<string, unknown> };
  const att = (a.attention ?? {}) as Record<string, unknown>;
  const layers = Number(a.block_count ?? 0);
  const perLayer = <T>(v: unknown, fallback: T): T[] =>
    Array.isArray(v) ? (v as T[]) : Array.from({ length: layers }, () => (v as T) ?? fallback);
  const headCount = Number(att.head_count ?? 1);
  const embd = Number(a.embedding_length ?? 0);
  const headDimFull = Number(att.key_length ?? embd / headCount);
  return {
    layers,
    sliding: perLayer<boolean>(att.sliding_window_pattern, false),
    kvHeads: perLayer<number>(att.head_count_kv, headCount).map(Number),
    headDimFull,
    headDimSliding: Number(att.key_length_swa ?? headDimFull),
    window: Number(att.sliding_window ?? 0),
    trainedContext: Number(a.context_length ?? MAX_CONTEXT),
  };
}

/**
 * Quantized KV caches store heads in 32-element blocks; a model whose head size is not a multiple of 32
 * cannot use them (llama.cpp refuses to create the context), so it falls back to f16.
 */
export function usableKvCacheType(shape: AttentionShape, requested: KvCacheType): KvCacheType {
  if (requested === "f16") return requested;
  return shape.headDimFull % 32 === 0 && shape.headDimSliding % 32 === 0 ? requested : "f16";
}

/** KV bytes for `parallel` slots of `context` tokens each (separate caches: see engineArgs). */
export function kvCacheBytes(shape: AttentionShape, context: number, type: KvCacheType, parallel = 1): number {
  let elements = 0;
  for (let l = 0; l < shape.layers; l++) {
    const sliding = shape.sliding[l] && shape.window > 0;
    const cells = (sliding ? Math.min(context, shape.window + UBATCH) : context) * parallel;
    const headDim = sliding ? shape.headDimSliding : shape.headDimFull;
    elements += cells * shape.kvHeads[l] * headDim * 2; // K and V
  }
  return Math.ceil(elements * BYTES_PER_ELEMENT[type]);
}

export interface SizingInput {
  model: CheckedGguf;
  companions: CheckedGguf[];
  kvCacheType: KvCacheType;
  /** 0 = auto. */
  requestedContext: number;
  parallel: number;
  freeBytes?: number;
}

/** Largest power-of-two context (≤ 256K and ≤ trained) whose weights + KV fit in free memory. */
export function estimateMemory(input: SizingInput): MemoryEstimate {
  const shape = attentionShape(input.model);
  const weightsBytes = [input.model, ...input.companions].reduce((s, f) => s + f.sizeBytes, 0);
  const freeBytes = input.freeBytes ?? os.freemem();
  const budget = freeBytes * HEADROOM_FRACTION - weightsBytes - COMPUTE_BUFFER_BYTES;
  const ceiling = Math.min(MAX_CONTEXT, shape.trainedContext || MAX_CONTEXT);
  let context = input.requestedContext > 0 ? Math.min(input.requestedContext, ceiling) : ceiling;
  if (input.requestedContext <= 0) {
    while (context > MIN_CONTEXT && kvCacheBytes(shape, context, usableKvCacheType(shape, input.kvCacheType), input.parallel) > budget) {
      context = Math.max(MIN_CONTEXT, context / 2);
    }
  }
  const kv = kvCacheBytes(shape, context, usableKvCacheType(shape, input.kvCacheType), input.parallel);
  const totalBytes = weightsBytes + kv + COMPUTE_BUFFER_BYTES;
  return { weightsBytes, kvCacheBytes: kv, totalBytes, contextSize: context, freeBytes, fits: totalBytes <= freeBytes };
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/**
 * Bytes of one context checkpoint: what llama-server copies to host memory so a sliding-window cache can
 * be rolled back, i.e. the sliding layers' cells of one sequence (window + ubatch). ≈ 270 MiB (q8_0) for the
 * 12B shape, so the server's default of 32 per slot would hold about 8 GiB of RAM.
 */
export function checkpointBytes(shape: AttentionShape, type: KvCacheType): number {
  let elements = 0;
  for (let l = 0; l < shape.layers; l++) {
    if (!(shape.sliding[l] && shape.window > 0)) continue;
    elements += (shape.window + UBATCH) * shape.kvHeads[l] * shape.headDimSliding * 2;
  }
  return Math.ceil(elements * BYTES_PER_ELEMENT[type]);
}

export interface CheckpointPlan {
  /** --ctx-checkpoints: checkpoints kept per slot. */
  count: number;
  /** --checkpoint-min-step: tokens between checkpoints, so `count` of them span the workspace prefix. */
  minStep: number;
}

/** Checkpoints per slot within a RAM budget, spaced to cover a prefix of `prefixTokens` evenly. */
export function checkpointPlan(shape: AttentionShape, type: KvCacheType, prefixTokens: number, budgetBytes: number): CheckpointPlan {
  const each = checkpointBytes(shape, type);
  const count = each > 0 ? Math.max(4, Math.min(32, Math.floor(budgetBytes / each))) : 32;
  return { count, minStep: Math.max(256, Math.ceil(prefixTokens / count)) };
}
