import { describe, expect, it } from "vitest";
import { BENCH_ASSISTANT_SHAPE, BENCH_TEXT_SHAPE, benchParamCounts, benchServerArgs, benchTextWeightBytes } from "../../bench/lib/models";
import { GEMMA4_REAL_VOCAB_SIZE, buildTinyGemmaVocab } from "../../server/gguf/gemmaVocab";
import { TINY_TEXT_SHAPE, gemma4AssistantTensorPlan, gemma4AssistantWriter } from "../../server/gguf/tinyModels";

describe("bench model shape", () => {
  it("keeps Gemma 4's structure: window 512, 5 sliding : 1 full, full layer last, full heads twice as wide", () => {
    const s = BENCH_TEXT_SHAPE;
    expect(s.slidingWindow).toBe(512);
    expect(s.swaPattern).toHaveLength(s.nLayer);
    expect(s.swaPattern.at(-1)).toBe(false);
    const full = s.swaPattern.filter((x) => !x).length;
    expect((s.nLayer - full) / full).toBeGreaterThanOrEqual(4);
    expect(s.headDimFull).toBe(2 * s.headDimSwa);
    expect(s.fullLayerHasV).toBe(false);
    expect(s.nEmbd % 32).toBe(0); // Q4_0 rows
    expect(s.nFf % 32).toBe(0);
    expect(BENCH_ASSISTANT_SHAPE.nEmbd).not.toBe(s.nEmbd); // llama.cpp requires a different hidden size
    expect(BENCH_ASSISTANT_SHAPE.swaPattern).toEqual([true, false]);
  });

  it("counts weight bytes: Q4_0 matrices are 18 bytes per 32 weights", () => {
    const p = benchParamCounts(BENCH_TEXT_SHAPE, BENCH_ASSISTANT_SHAPE, GEMMA4_REAL_VOCAB_SIZE);
    const bytes = benchTextWeightBytes(BENCH_TEXT_SHAPE, GEMMA4_REAL_VOCAB_SIZE);
    expect(p.textNonEmbedding).toBe(p.text - BENCH_TEXT_SHAPE.nEmbd * GEMMA4_REAL_VOCAB_SIZE);
    expect(bytes).toBeGreaterThan((p.text * 18) / 32);
    expect(bytes).toBeLessThan((p.text * 18) / 32 + 1_000_000); // + the small F32 norms
  });

  it("passes the host's engine flags, the drafter only when given", () => {
    const plain = benchServerArgs({ text: "t.gguf" }).join(" ");
    expect(plain).toContain("-m t.gguf");
    // two slots of 32,768 tokens, each in its own cache like the host's (no --kv-unified)
    expect(plain).toContain("-c 65536 -np 2 -fa on -ctk q8_0 -ctv q8_0");
    expect(plain).not.toContain("--kv-unified");
    expect(plain).toContain("--jinja");
    expect(plain).toContain("-t 2");
    expect(plain).toContain("--no-webui");
    expect(plain).not.toContain("--model-draft");
    const mtp = benchServerArgs({ text: "t.gguf", assistant: "a.gguf" }, 4).join(" ");
    expect(mtp).toContain("-t 4");
    expect(mtp).toContain("--model-draft a.gguf --spec-type draft-mtp -td 2 --poll-draft 0");
  });
});

describe("gemma4-assistant writer for any target", () => {
  it("sizes the projections and heads from the target shape", () => {
    const plan = gemma4AssistantTensorPlan(BENCH_TEXT_SHAPE, BENCH_ASSISTANT_SHAPE, 1000);
    const byName = new Map(plan.map((t) => [t.name, t.shape]));
    const B = BENCH_TEXT_SHAPE.nEmbd;
    const E = BENCH_ASSISTANT_SHAPE.nEmbd;
    expect(byName.get("nextn.pre_projection.weight")).toEqual([2 * B, E]);
    expect(byName.get("nextn.post_projection.weight")).toEqual([E, B]);
    expect(byName.get("blk.0.attn_q.weight")).toEqual([E, BENCH_TEXT_SHAPE.headDimSwa * BENCH_ASSISTANT_SHAPE.nHead]);
    expect(byName.get("blk.1.attn_q.weight")).toEqual([E, BENCH_TEXT_SHAPE.headDimFull * BENCH_ASSISTANT_SHAPE.nHead]);
    expect(byName.get("rope_freqs.weight")).toEqual([BENCH_TEXT_SHAPE.headDimFull / 2]);
    expect(plan.some((t) => t.name.includes("attn_k") || t.name.includes("attn_v"))).toBe(false); // reads the target's KV
  });

  it("records the target's hidden size and refuses an equal one", () => {
    const vocab = buildTinyGemmaVocab();
    const w = gemma4AssistantWriter(1, vocab, { target: BENCH_TEXT_SHAPE, shape: BENCH_ASSISTANT_SHAPE });
    expect(w.get("gemma4-assistant.embedding_length_out")?.value).toBe(BENCH_TEXT_SHAPE.nEmbd);
    expect(w.get("gemma4-assistant.embedding_length")?.value).toBe(BENCH_ASSISTANT_SHAPE.nEmbd);
    expect(w.get("gemma4-assistant.attention.key_length_swa")?.value).toBe(BENCH_TEXT_SHAPE.headDimSwa);
    expect(() => gemma4AssistantWriter(1, vocab, { target: TINY_TEXT_SHAPE, shape: { ...BENCH_ASSISTANT_SHAPE, nEmbd: TINY_TEXT_SHAPE.nEmbd } })).toThrow(/hidden size/);
  });
});
