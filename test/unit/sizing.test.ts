import { describe, expect, it } from "vitest";
import { kvCacheBytes, type AttentionShape } from "../../server/engine/sizing";

// The 12B's public shape: 48 layers, every 6th full; sliding 8 KV heads × 256, full 1 × 512; window 1024.
const gemma12b: AttentionShape = {
  layers: 48,
  sliding: Array.from({ length: 48 }, (_, i) => (i + 1) % 6 !== 0),
  kvHeads: Array.from({ length: 48 }, (_, i) => ((i + 1) % 6 !== 0 ? 8 : 1)),
  headDimFull: 512,
  headDimSliding: 256,
  window: 1024,
  trainedContext: 262144,
};

describe("KV cache sizing", () => {
  it("grows only with the full-attention layers (sliding-window cache)", () => {
    const at128k = kvCacheBytes(gemma12b, 131072, "f16");
    const at256k = kvCacheBytes(gemma12b, 262144, "f16");
    // 8 full layers × 1 head × 512 × (K+V) × 2 bytes = 16 KiB per token
    expect(at256k - at128k).toBe(131072 * 16 * 1024);
  });

  it("matches the measured 256K figures for the 12B shape (f16 ≈ 5.2 GB with sliding layers)", () => {
    const f16 = kvCacheBytes(gemma12b, 262144, "f16");
    expect(f16 / 1e9).toBeGreaterThan(4.3);
    expect(f16 / 1e9).toBeLessThan(5.3);
    const q8 = kvCacheBytes(gemma12b, 262144, "q8_0");
    expect(q8 / f16).toBeCloseTo(34 / 64, 5);
  });
});

describe("KV cache type", () => {
  it("keeps q8_0 for Gemma 4's head sizes and falls back to f16 when heads do not fit 32-element blocks", async () => {
    const { usableKvCacheType } = await import("../../server/engine/sizing");
    expect(usableKvCacheType(gemma12b, "q8_0")).toBe("q8_0");
    expect(usableKvCacheType({ ...gemma12b, headDimSliding: 16 }, "q8_0")).toBe("f16");
    expect(usableKvCacheType({ ...gemma12b, headDimSliding: 16 }, "q4_0")).toBe("f16");
  });
});

describe("context choice", () => {
  // A CheckedGguf with the 12B's attention metadata and a 7 GB file.
  const model = {
    role: "model",
    path: "/m/gemma-4-12B-it-Q4_K_M.gguf",
    sizeBytes: 7e9,
    architecture: "gemma4",
    info: {
      architectureMetadata: {
        block_count: 48,
        context_length: 262144,
        embedding_length: 3840,
        attention: {
          head_count: 16,
          head_count_kv: gemma12b.kvHeads,
          key_length: 512,
          key_length_swa: 256,
          sliding_window: 1024,
          sliding_window_pattern: gemma12b.sliding,
        },
      },
    },
  } as never;
  const GiB = 1024 ** 3;

  it("takes the full 256K per slot when both slots' caches fit, 128K on a 16 GB laptop with 14 GiB free", async () => {
    const { estimateMemory } = await import("../../server/engine/sizing");
    const m = estimateMemory({ model, companions: [], kvCacheType: "q8_0", requestedContext: 0, parallel: 2, freeBytes: 18 * GiB });
    expect(m.contextSize).toBe(262144);
    expect(m.fits).toBe(true);
    // two separate slot caches (completions + chat): at 14 GiB free the 256K pair does not fit
    const laptop = estimateMemory({ model, companions: [], kvCacheType: "q8_0", requestedContext: 0, parallel: 2, freeBytes: 14 * GiB });
    expect(laptop.contextSize).toBe(131072);
    expect(laptop.fits).toBe(true);
  });

  it("halves the context until weights + KV fit, and says when even that does not fit", async () => {
    const { estimateMemory } = await import("../../server/engine/sizing");
    const tight = estimateMemory({ model, companions: [], kvCacheType: "q8_0", requestedContext: 0, parallel: 2, freeBytes: 11 * GiB });
    expect(tight.contextSize).toBeLessThan(262144);
    expect(tight.contextSize).toBeGreaterThanOrEqual(4096);
    expect(tight.fits).toBe(true);
    const tiny = estimateMemory({ model, companions: [], kvCacheType: "q8_0", requestedContext: 0, parallel: 2, freeBytes: 6 * GiB });
    expect(tiny.contextSize).toBe(4096);
    expect(tiny.fits).toBe(false);
  });

  it("keeps an explicit context size, capped at what the model was trained for", async () => {
    const { estimateMemory } = await import("../../server/engine/sizing");
    expect(estimateMemory({ model, companions: [], kvCacheType: "f16", requestedContext: 32768, parallel: 2, freeBytes: 64 * GiB }).contextSize).toBe(32768);
    expect(estimateMemory({ model, companions: [], kvCacheType: "f16", requestedContext: 1 << 20, parallel: 2, freeBytes: 64 * GiB }).contextSize).toBe(262144);
  });
});
