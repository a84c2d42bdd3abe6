// How decode time grows with context depth, from two measurements, and what that implies at other depths.
//
// Decoding one token costs the weight read (constant) plus attention over the positions in the cache. For
// Gemma 4 the two kinds of layers grow differently: a sliding-window layer attends at most `window`
// positions, a full-attention layer attends all of them. CPU flash attention does, per query head and
// attended position, one K dot product and one V accumulation of the head size, so attention work per
// decoded token is taken as  Σ_layers heads × headDim × positions attended  (sliding layers capped at the
// window). One constant (ms per unit of that work) is fitted from a short-prompt and a deep-prompt
// measurement; decode time at other depths is extrapolated from it. Beyond the window only the full layers
// grow, so a straight line through the two points would overstate the cost far out: both are reported, and
// everything extrapolated is an ESTIMATE, not a measurement (cache effects at large depths are not modelled).

import type { AttentionShape } from "../../server/engine/sizing";

export interface AttentionLayer {
  sliding: boolean;
  /** query heads */
  heads: number;
  headDim: number;
}

export interface AttentionLayout {
  /** positions a sliding layer attends at most */
  window: number;
  layers: AttentionLayer[];
}

/** The layout of a model from its attention shape (server/engine/sizing.ts) and its query head count. */
export function attentionLayout(shape: AttentionShape, queryHeads: number): AttentionLayout {
  return {
    window: shape.window,
    layers: Array.from({ length: shape.layers }, (_, l) => {
      const sliding = !!shape.sliding[l] && shape.window > 0;
      return { sliding, heads: queryHeads, headDim: sliding ? shape.headDimSliding : shape.headDimFull };
    }),
  };
}

/** Attention work of one decoded token attending `depth` positions (heads × headDim × positions, summed). */
export function attentionWork(layout: AttentionLayout, depth: number): number {
  let w = 0;
  for (const l of layout.layers) w += l.heads * l.headDim * (l.sliding ? Math.min(depth, layout.window) : depth);
  return w;
}

/** Mean number of positions attended by `nPredict` tokens decoded after a prompt of `promptTokens`. */
export function meanDecodeDepth(promptTokens: number, nPredict: number): number {
  return promptTokens + (nPredict - 1) / 2;
}

export interface DepthPoint {
  /** mean positions attended (meanDecodeDepth) */
  depth: number;
  msPerToken: number;
}

export interface DepthFit {
  /** straight line through the two measurements: ms/token added per 1,000 positions of depth */
  measuredMsPerTokenPer1KDepth: number;
  /** beyond the sliding window (only the full-attention layers still grow): ms/token per 1,000 positions */
  beyondWindowMsPerTokenPer1KDepth: number;
  /** ms per unit of attentionWork */
  msPerWork: number;
  /** ESTIMATE: decode ms/token at `depth` (attention-work model) */
  msPerTokenAt(depth: number): number;
  /** ESTIMATE: decode ms/token at `depth` on the straight line through the two measurements */
  linearMsPerTokenAt(depth: number): number;
}

export function fitDecodeDepth(layout: AttentionLayout, short: DepthPoint, deep: DepthPoint): DepthFit {
  if (!(deep.depth > short.depth)) throw new RangeError("the deep measurement must be deeper than the short one");
  const dMs = deep.msPerToken - short.msPerToken;
  const msPerWork = dMs / (attentionWork(layout, deep.depth) - attentionWork(layout, short.depth));
  const fullPerPosition = layout.layers.filter((l) => !l.sliding).reduce((n, l) => n + l.heads * l.headDim, 0);
  const measured = (1000 * dMs) / (deep.depth - short.depth);
  return {
    measuredMsPerTokenPer1KDepth: measured,
    beyondWindowMsPerTokenPer1KDepth: 1000 * msPerWork * fullPerPosition,
    msPerWork,
    msPerTokenAt: (depth) => short.msPerToken + msPerWork * (attentionWork(layout, depth) - attentionWork(layout, short.depth)),
    linearMsPerTokenAt: (depth) => short.msPerToken + (measured * (depth - short.depth)) / 1000,
  };
}

export interface DecodeEstimate {
  promptTokens: number;
  /** mean ms/token of the n tokens */
  msPerToken: number;
  /** time to decode the n tokens */
  decodeMs: number;
}

/** ESTIMATE: time to decode `nTokens` after a prompt of `promptTokens` (token i attends promptTokens + i positions). */
export function estimateDecode(msPerTokenAt: (depth: number) => number, promptTokens: number, nTokens: number): DecodeEstimate {
  let ms = 0;
  for (let i = 0; i < nTokens; i++) ms += msPerTokenAt(promptTokens + i);
  return { promptTokens, msPerToken: ms / nTokens, decodeMs: ms };
}

/**
 * ESTIMATE: decoding `nTokens` at the Hearth and baseline prompt depths, and their ratio (Hearth ÷ baseline),
 * with the attention-work model and with the straight line. Decode only: prompt processing is not included.
 */
export function estimateAtDepths(fit: DepthFit, depths: { hearth: number; baseline: number }, nTokens: number) {
  const at = (f: (d: number) => number) => {
    const hearth = estimateDecode(f, depths.hearth, nTokens);
    const baseline = estimateDecode(f, depths.baseline, nTokens);
    return { hearth, baseline, latencyRatio: hearth.decodeMs / baseline.decodeMs };
  };
  return { nTokens, model: at(fit.msPerTokenAt), linear: at(fit.linearMsPerTokenAt) };
}
