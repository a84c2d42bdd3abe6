import { describe, expect, it } from "vitest";
import { attentionLayout, attentionWork, estimateAtDepths, estimateDecode, fitDecodeDepth, meanDecodeDepth, type AttentionLayout } from "../../bench/lib/decodeDepth";

// 2 sliding layers (4 heads x 8) with window 100 + 1 full layer (4 heads x 16)
const layout: AttentionLayout = {
  window: 100,
  layers: [
    { sliding: true, heads: 4, headDim: 8 },
    { sliding: true, heads: 4, headDim: 8 },
    { sliding: false, heads: 4, headDim: 16 },
  ],
};

describe("bench decode-depth estimate", () => {
  it("builds the layout from an attention shape", () => {
    const l = attentionLayout({ layers: 3, sliding: [true, true, false], kvHeads: [2, 2, 1], headDimFull: 16, headDimSliding: 8, window: 100, trainedContext: 1000 }, 4);
    expect(l).toEqual(layout);
  });

  it("attention work: sliding layers stop growing at the window", () => {
    expect(attentionWork(layout, 0)).toBe(0);
    expect(attentionWork(layout, 50)).toBe(2 * 32 * 50 + 64 * 50);
    expect(attentionWork(layout, 100)).toBe(2 * 32 * 100 + 64 * 100);
    expect(attentionWork(layout, 1100)).toBe(2 * 32 * 100 + 64 * 1100);
  });

  it("mean decode depth", () => {
    expect(meanDecodeDepth(100, 32)).toBe(115.5);
    expect(meanDecodeDepth(10, 1)).toBe(10);
  });

  it("recovers the cost of a model that follows the work model exactly", () => {
    const base = 200; // ms/token of the weights
    const k = 0.001; // ms per unit of work
    const truth = (d: number) => base + k * attentionWork(layout, d);
    const fit = fitDecodeDepth(layout, { depth: 20, msPerToken: truth(20) }, { depth: 1000, msPerToken: truth(1000) });
    expect(fit.msPerWork).toBeCloseTo(k, 12);
    expect(fit.msPerTokenAt(50_000)).toBeCloseTo(truth(50_000), 9);
    // beyond the window only the full layer grows: 64 units per position
    expect(fit.beyondWindowMsPerTokenPer1KDepth).toBeCloseTo(1000 * k * 64, 12);
    // the straight line through the two points includes the sliding layers' growth below the window
    expect(fit.measuredMsPerTokenPer1KDepth).toBeCloseTo((1000 * (truth(1000) - truth(20))) / 980, 9);
    expect(fit.linearMsPerTokenAt(50_000)).toBeGreaterThan(fit.msPerTokenAt(50_000));
    expect(fit.linearMsPerTokenAt(20)).toBeCloseTo(truth(20), 12);
  });

  it("rejects points in the wrong order", () => {
    expect(() => fitDecodeDepth(layout, { depth: 500, msPerToken: 1 }, { depth: 500, msPerToken: 2 })).toThrow(RangeError);
  });

  it("decode time of n tokens sums the per-position costs; ratios of both models", () => {
    const e = estimateDecode((d) => d, 10, 4); // 10 + 11 + 12 + 13
    expect(e).toEqual({ promptTokens: 10, msPerToken: 11.5, decodeMs: 46 });
    const fit = fitDecodeDepth(layout, { depth: 20, msPerToken: 100 }, { depth: 1000, msPerToken: 110 });
    const est = estimateAtDepths(fit, { hearth: 80_000, baseline: 7000 }, 16);
    expect(est.nTokens).toBe(16);
    expect(est.model.latencyRatio).toBeCloseTo(est.model.hearth.decodeMs / est.model.baseline.decodeMs, 12);
    expect(est.model.hearth.msPerToken).toBeCloseTo(fit.msPerTokenAt(80_000 + 7.5), 9); // linear in depth beyond the window
    expect(est.linear.latencyRatio).toBeGreaterThan(est.model.latencyRatio);
    expect(est.model.latencyRatio).toBeGreaterThan(1);
  });
});
