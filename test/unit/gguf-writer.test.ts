import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readGgufFileInfo } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GEMMA4_CHAT_TEMPLATE } from "../../server/gguf/gemmaChatTemplate";
import { FIM_TOKENS, TokenType, buildSyntheticFullGemmaVocab, buildTinyGemmaVocab } from "../../server/gguf/gemmaVocab";
import { Rng, hashString } from "../../server/gguf/random";
import { TINY_TEXT_SHAPE, gemma4AssistantWriter, gemma4SwaPattern, writeTinyModels } from "../../server/gguf/tinyModels";
import { GEMMA4_12B_ASSISTANT_SHAPE, GEMMA4_12B_SHAPE, gemma4ParamCount } from "../../server/gguf/bigModel";
import {
  GGML_TYPE_INFO,
  GgmlType,
  GgufType,
  GgufWriter,
  dequantize,
  fp16ToFp32,
  fp32ToFp16,
  gv,
  quantizeQ4_0,
  quantizeQ8_0,
  tensorByteSize,
} from "../../server/gguf/writer";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "hearth-gguf-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readBytes(path: string, offset: number, length: number): Promise<Uint8Array> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, offset);
    return buf;
  } finally {
    await fh.close();
  }
}

const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMeta = any;

describe("fp16 and quantization", () => {
  it("converts fp32 -> fp16 with round-to-nearest-even", () => {
    expect(fp32ToFp16(0)).toBe(0x0000);
    expect(fp32ToFp16(-0)).toBe(0x8000);
    expect(fp32ToFp16(1)).toBe(0x3c00);
    expect(fp32ToFp16(-2)).toBe(0xc000);
    expect(fp32ToFp16(0.1)).toBe(0x2e66);
    expect(fp32ToFp16(65504)).toBe(0x7bff);
    expect(fp32ToFp16(65520)).toBe(0x7c00); // rounds up to inf
    expect(fp32ToFp16(1e6)).toBe(0x7c00);
    expect(fp32ToFp16(-Infinity)).toBe(0xfc00);
    expect(fp32ToFp16(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(fp32ToFp16(2 ** -14)).toBe(0x0400); // smallest normal
    expect(fp32ToFp16(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(fp32ToFp16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(Number.isNaN(fp16ToFp32(fp32ToFp16(NaN)))).toBe(true);
    for (const v of [0.5, -3.25, 1000, 2 ** -20, 65504]) expect(fp16ToFp32(fp32ToFp16(v))).toBe(v);
  });

  it("Q8_0: 34-byte blocks of 32, same values as ggml's quantize_row_q8_0_ref", () => {
    const x = Float32Array.from({ length: 32 }, (_, j) => j - 16);
    const out = new Uint8Array(34);
    expect(quantizeQ8_0(x, out)).toBe(34);
    const dv = new DataView(out.buffer);
    expect(dv.getUint16(0, true)).toBe(fp32ToFp16(16 / 127));
    expect(dv.getInt8(2 + 0)).toBe(-127);
    expect(dv.getInt8(2 + 16)).toBe(0);
    expect(dv.getInt8(2 + 31)).toBe(119); // round(15 * 127/16) = round(119.06)
    expect(tensorByteSize(GgmlType.Q8_0, [64, 3])).toBe((64 * 3 / 32) * 34);
  });

  it("Q4_0: 18-byte blocks of 32, same values as ggml's quantize_row_q4_0_ref", () => {
    const x = Float32Array.from({ length: 32 }, (_, j) => j - 16);
    const out = new Uint8Array(18);
    expect(quantizeQ4_0(x, out)).toBe(18);
    const dv = new DataView(out.buffer);
    expect(dv.getUint16(0, true)).toBe(0x4000); // d = max / -8 = -16 / -8 = 2
    expect(out[2 + 0]).toBe(0x80); // x0=-16 -> 0, x16=0 -> 8
    expect(out[2 + 15]).toBe(0xf8); // x15=-1 -> 8, x31=15 -> 15 (clamped)
    expect(tensorByteSize(GgmlType.Q4_0, [64, 3])).toBe((64 * 3 / 32) * 18);
    expect(() => tensorByteSize(GgmlType.Q4_0, [48, 2])).toThrow(/multiple/);
  });

  it("all-zero blocks quantize to zeros", () => {
    const z = new Float32Array(32);
    const q8 = new Uint8Array(34);
    const q4 = new Uint8Array(18);
    quantizeQ8_0(z, q8);
    quantizeQ4_0(z, q4);
    expect([...q8].every((b) => b === 0)).toBe(true);
    expect([...dequantize(GgmlType.Q4_0, q4, 32)].every((v) => v === 0)).toBe(true);
  });
});

describe("GgufWriter round trip through node-llama-cpp's readGgufFileInfo", () => {
  const n = 64 * 3;
  const data = {
    f32: new Rng(1, "f32").fillUniform(new Float32Array(7 * 5 * 3)),
    f16: new Rng(1, "f16").fillUniform(new Float32Array(n)),
    q8: new Rng(1, "q8").fillUniform(new Float32Array(n)),
    q4: new Rng(1, "q4").fillUniform(new Float32Array(32 * 4 * 2 * 2)),
  };
  let path: string;
  let written: Awaited<ReturnType<GgufWriter["write"]>>;

  beforeAll(async () => {
    path = join(dir, "roundtrip.gguf");
    const w = new GgufWriter();
    w.setString("general.architecture", "llama");
    w.set("test.u8", gv.u8(200))
      .set("test.i8", gv.i8(-100))
      .set("test.u16", gv.u16(60000))
      .set("test.i16", gv.i16(-30000))
      .set("test.u32", gv.u32(4_000_000_000))
      .set("test.i32", gv.i32(-2_000_000_000))
      .set("test.f32", gv.f32(0.1))
      .set("test.bool", gv.bool(true))
      .set("test.u64", gv.u64(2n ** 60n))
      .set("test.i64", gv.i64(-5))
      .set("test.f64", gv.f64(0.1))
      .set("test.str", gv.str("héllo ▁ 🎉\n\t"));
    w.setArray("test.arr_str", GgufType.STRING, ["a", "", "▁b", "<|turn>"]);
    w.setArray("test.arr_i32", GgufType.INT32, [1, -2, 3]);
    w.setArray("test.arr_u32", GgufType.UINT32, [0, 4_000_000_000]);
    w.setArray("test.arr_f32", GgufType.FLOAT32, [0.5, -1.5, 3]);
    w.setArray("test.arr_bool", GgufType.BOOL, [true, false, true]);
    w.setArray("test.arr_nested", GgufType.ARRAY, [gv.arr(GgufType.UINT8, [1, 2]), gv.arr(GgufType.UINT8, [3])]);
    w.addTensor({ name: "t.f32", shape: [7, 5, 3], type: GgmlType.F32, data: data.f32 });
    w.addTensor({ name: "t.f16", shape: [64, 3], type: GgmlType.F16, data: data.f16 });
    w.addTensor({ name: "t.q8", shape: [64, 3], type: GgmlType.Q8_0, data: { generate: (s, out) => out.set(data.q8.subarray(s, s + out.length)) } });
    w.addTensor({ name: "t.q4", shape: [32, 4, 2, 2], type: GgmlType.Q4_0, data: data.q4 });
    w.addTensor({ name: "t.scalar", shape: [1], type: GgmlType.F32, data: Float32Array.of(42) });
    written = await w.write(path, { chunkElements: 64 }); // small chunks exercise the chunked path
  });

  it("reads back every metadata value type", async () => {
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const m = info.metadata as AnyMeta;
    expect(info.version).toBe(3);
    expect(m.general.architecture).toBe("llama");
    expect(m.general.alignment).toBe(32);
    expect(m.test.u8).toBe(200);
    expect(m.test.i8).toBe(-100);
    expect(m.test.u16).toBe(60000);
    expect(m.test.i16).toBe(-30000);
    expect(m.test.u32).toBe(4_000_000_000);
    expect(m.test.i32).toBe(-2_000_000_000);
    expect(m.test.f32).toBe(Math.fround(0.1));
    expect(m.test.bool).toBe(true);
    expect(BigInt(m.test.u64)).toBe(2n ** 60n);
    expect(BigInt(m.test.i64)).toBe(-5n);
    expect(m.test.f64).toBe(0.1);
    expect(m.test.str).toBe("héllo ▁ 🎉\n\t");
    expect(m.test.arr_str).toEqual(["a", "", "▁b", "<|turn>"]);
    expect(m.test.arr_i32).toEqual([1, -2, 3]);
    expect(m.test.arr_u32).toEqual([0, 4_000_000_000]);
    expect(m.test.arr_f32).toEqual([0.5, -1.5, 3]);
    expect(m.test.arr_bool).toEqual([true, false, true]);
    expect(m.test.arr_nested).toEqual([[1, 2], [3]]);
  });

  it("reads back tensor names, shapes, types and aligned offsets", async () => {
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const ti = info.tensorInfo!;
    expect(ti.map((t) => t.name)).toEqual(["t.f32", "t.f16", "t.q8", "t.q4", "t.scalar"]);
    expect(ti.map((t) => t.dimensions.map(Number))).toEqual([[7, 5, 3], [64, 3], [64, 3], [32, 4, 2, 2], [1]]);
    expect(ti.map((t) => Number(t.ggmlType))).toEqual([GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.F32]);
    expect(info.infoEndOffset).toBe(written.dataOffset);
    expect(written.dataOffset % 32).toBe(0);
    for (let i = 0; i < ti.length; i++) {
      expect(Number(ti[i].offset)).toBe(written.tensors[i].offset);
      expect(Number(ti[i].offset) % 32).toBe(0);
      expect(Number(ti[i].fileOffset)).toBe(written.dataOffset + written.tensors[i].offset);
    }
    // byte sizes: F32 4/elem, F16 2/elem, Q8_0 34 per 32, Q4_0 18 per 32
    expect(written.tensors.map((t) => t.nbytes)).toEqual([7 * 5 * 3 * 4, n * 2, (n / 32) * 34, (32 * 4 * 2 * 2 / 32) * 18, 4]);
    const last = written.tensors[written.tensors.length - 1];
    expect(statSync(path).size).toBe(written.dataOffset + Math.ceil((last.offset + last.nbytes) / 32) * 32);
    expect(written.fileSize).toBe(statSync(path).size);
  });

  it("stores tensor data that dequantizes back to the input", async () => {
    const get = async (i: number) => readBytes(path, written.dataOffset + written.tensors[i].offset, written.tensors[i].nbytes);
    expect([...dequantize(GgmlType.F32, await get(0), data.f32.length)]).toEqual([...data.f32]);
    const f16 = dequantize(GgmlType.F16, await get(1), n);
    for (let i = 0; i < n; i++) expect(Math.abs(f16[i] - data.f16[i])).toBeLessThan(1e-3);
    const q8 = dequantize(GgmlType.Q8_0, await get(2), n);
    for (let i = 0; i < n; i++) expect(Math.abs(q8[i] - data.q8[i])).toBeLessThan(1 / 127); // |x| < 1 -> d < 1/127
    const q4 = dequantize(GgmlType.Q4_0, await get(3), data.q4.length);
    for (let i = 0; i < q4.length; i++) expect(Math.abs(q4[i] - data.q4[i])).toBeLessThan(1 / 8 + 1e-6); // d <= 1/8
    expect([...dequantize(GgmlType.F32, await get(4), 1)]).toEqual([42]);
  });

  it("rejects invalid input", () => {
    const w = new GgufWriter();
    expect(() => w.addTensor({ name: "x", shape: [31], type: GgmlType.Q8_0, data: new Float32Array(31) })).toThrow();
    expect(() => w.addTensor({ name: "x", shape: [4], type: GgmlType.F32, data: new Float32Array(3) })).toThrow();
    expect(() => w.set("k", gv.u8(256))).not.toThrow(); // validated when serialized
    expect(() => w.buildHeader()).toThrow(/uint8/);
    expect(GGML_TYPE_INFO[GgmlType.Q4_0]).toEqual({ name: "Q4_0", blockSize: 32, typeSize: 18 });
  });
});

describe("Rng", () => {
  it("is deterministic with fixed golden values", () => {
    const r = new Rng(1);
    expect([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([2442144158, 3238099751, 3819917871, 2104621829]);
    const s = new Rng(42, "token_embd.weight");
    expect([s.nextU32(), s.nextU32()]).toEqual([3294479456, 2484143055]);
    expect(hashString("abc")).toBe(0x1a47e90b);
  });

  it("gives independent streams and bounded floats", () => {
    const a = new Rng(1, "a").fillUniform(new Float32Array(1000));
    const b = new Rng(1, "b").fillUniform(new Float32Array(1000));
    const c = new Rng(2, "a").fillUniform(new Float32Array(1000));
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    expect(new Rng(1, "a").fillUniform(new Float32Array(1000))).toEqual(a);
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
  });
});

describe("tiny Gemma vocab", () => {
  const v = buildTinyGemmaVocab();
  const vf = buildTinyGemmaVocab({ fim: true });

  it("has the real special tokens, byte fallback and a sensible size", () => {
    expect(v.tokens.length).toBeGreaterThanOrEqual(300);
    expect(v.tokens.length).toBeLessThanOrEqual(600);
    expect(new Set(v.tokens).size).toBe(v.tokens.length);
    expect(v.tokens.slice(0, 5)).toEqual(["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]);
    expect([v.padId, v.eosId, v.bosId, v.unkId, v.maskId]).toEqual([0, 1, 2, 3, 4]);
    for (const t of ["<|turn>", "<turn|>", "<|think|>", "<|channel>", "<channel|>", '<|"|>', "<|image>", "<|audio>", "<|image|>", "<|audio|>", "<image|>", "<audio|>", "<|video|>"]) {
      expect(v.ids.has(t), t).toBe(true);
    }
    const bytes = v.tokenTypes.filter((t) => t === TokenType.BYTE).length;
    expect(bytes).toBe(256);
    expect(v.tokens[v.ids.get("<0x0A>")!]).toBe("<0x0A>");
    expect(v.fimPreId).toBeUndefined();
    for (const t of FIM_TOKENS) expect(v.ids.has(t)).toBe(false);
  });

  it("FIM variant appends the FIM tokens (plain vocab is a prefix)", () => {
    expect(vf.tokens.slice(0, v.tokens.length)).toEqual(v.tokens);
    expect(vf.tokens.slice(v.tokens.length)).toEqual([...FIM_TOKENS]);
    expect([vf.fimPreId, vf.fimSufId, vf.fimMidId]).toEqual([v.tokens.length, v.tokens.length + 1, v.tokens.length + 2]);
    for (const id of [vf.fimPreId!, vf.fimSufId!, vf.fimMidId!]) expect(vf.tokenTypes[id]).toBe(TokenType.CONTROL);
  });

  it("every merge joins two tokens into a token", () => {
    expect(v.merges.length).toBeGreaterThan(50);
    for (const m of v.merges) {
      const i = m.indexOf(" ", 1); // llama.cpp splits at the first space after position 0
      const a = m.slice(0, i);
      const b = m.slice(i + 1);
      expect(v.ids.has(a) && v.ids.has(b) && v.ids.has(a + b), m).toBe(true);
    }
    expect(v.merges).toContain("▁ ▁");
    expect(v.ids.has("▁return")).toBe(true);
  });

  it("synthetic full-size vocab keeps the real special-token ids", () => {
    const f = buildSyntheticFullGemmaVocab();
    expect(f.tokens.length).toBe(262144);
    expect(new Set(f.tokens).size).toBe(262144);
    expect(f.tokens[2]).toBe("<bos>");
    expect(f.tokens[105]).toBe("<|turn>");
    expect(f.tokens[106]).toBe("<turn|>");
    expect(f.tokens[98]).toBe("<|think|>");
    expect(f.tokens[52]).toBe('<|"|>');
    expect(f.tokens[255999]).toBe("<|image>");
    expect(f.tokens[258884]).toBe("<|video|>");
    expect(f.tokens[238]).toBe("<0x00>");
    expect(f.tokens[238 + 255]).toBe("<0xFF>");
  });
});

describe("chat template", () => {
  it("is the real Gemma 4 template", () => {
    expect(GEMMA4_CHAT_TEMPLATE).toContain("<|turn>");
    expect(GEMMA4_CHAT_TEMPLATE).toContain("'\\n\\n<|image|>\\n\\n'");
    const src = "/tmp/gemma4-chat-template.jinja";
    if (existsSync(src)) expect(GEMMA4_CHAT_TEMPLATE).toBe(readFileSync(src, "utf8"));
  });
});

describe("writeTinyModels", () => {
  let a: Awaited<ReturnType<typeof writeTinyModels>>;
  let ms = 0;

  beforeAll(async () => {
    const t0 = performance.now();
    a = await writeTinyModels(join(dir, "tiny-a"), { seed: 7 });
    ms = performance.now() - t0;
  });

  it("is small and fast", () => {
    expect(ms).toBeLessThan(2000);
    for (const p of Object.values(a)) {
      expect(statSync(p).size).toBeGreaterThan(10_000);
      expect(statSync(p).size).toBeLessThan(5 * 1024 * 1024);
    }
  });

  it("is deterministic: same seed -> same bytes, different seed -> different bytes", async () => {
    const b = await writeTinyModels(join(dir, "tiny-b"), { seed: 7 });
    const c = await writeTinyModels(join(dir, "tiny-c"), { seed: 8 });
    for (const k of ["text", "textFim", "mmproj", "assistant"] as const) {
      expect(sha256(b[k]), k).toBe(sha256(a[k]));
      expect(sha256(c[k]), k).not.toBe(sha256(a[k]));
    }
  });

  it("writes gemma4 text models with and without FIM tokens", async () => {
    const text = (await readGgufFileInfo(a.text, { logWarnings: false })).metadata as AnyMeta;
    const fim = (await readGgufFileInfo(a.textFim, { logWarnings: false })).metadata as AnyMeta;
    expect(text.general.architecture).toBe("gemma4");
    expect(text.gemma4.context_length).toBe(262144);
    expect(text.gemma4.block_count).toBe(TINY_TEXT_SHAPE.nLayer);
    expect(text.gemma4.attention.sliding_window_pattern).toEqual([true, false]);
    expect(text.gemma4.attention.head_count_kv).toEqual([2, 1]);
    expect(text.tokenizer.ggml.model).toBe("gemma4");
    expect(text.tokenizer.chat_template).toBe(GEMMA4_CHAT_TEMPLATE);
    expect(text.tokenizer.ggml.fim_pre_token_id).toBeUndefined();
    expect(text.tokenizer.ggml.tokens).not.toContain("<|fim_prefix|>");
    const toks: string[] = fim.tokenizer.ggml.tokens;
    expect(toks[fim.tokenizer.ggml.fim_pre_token_id]).toBe("<|fim_prefix|>");
    expect(toks[fim.tokenizer.ggml.fim_suf_token_id]).toBe("<|fim_suffix|>");
    expect(toks[fim.tokenizer.ggml.fim_mid_token_id]).toBe("<|fim_middle|>");
  });

  it("writes one mmproj with both Gemma 4 unified projectors", async () => {
    const info = await readGgufFileInfo(a.mmproj, { logWarnings: false });
    const m = info.metadata as AnyMeta;
    expect(m.general.architecture).toBe("clip");
    expect(m.clip.vision.projector_type).toBe("gemma4uv");
    expect(m.clip.audio.projector_type).toBe("gemma4ua");
    expect(m.clip.projector_type).toBeUndefined();
    expect(m.clip.vision.block_count).toBe(0);
    expect(m.clip.audio.block_count).toBe(0);
    expect(m.clip.vision.patch_size).toBe(16);
    expect(m.clip.vision.projection_dim).toBe(TINY_TEXT_SHAPE.nEmbd);
    expect(m.clip.audio.projection_dim).toBe(TINY_TEXT_SHAPE.nEmbd);
    const byName = new Map(info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number)]));
    expect(byName.get("v.position_embd.weight")).toEqual([32, 1120, 2]);
    expect(byName.get("v.patch_embd.weight")).toEqual([48 * 48 * 3, 32]);
    expect(byName.get("mm.input_projection.weight")).toEqual([32, TINY_TEXT_SHAPE.nEmbd]);
    expect(byName.get("mm.a.input_projection.weight")).toEqual([640, TINY_TEXT_SHAPE.nEmbd]);
  });

  it("writes a gemma4-assistant drafter matching the text model", async () => {
    const info = await readGgufFileInfo(a.assistant, { logWarnings: false });
    const m = info.metadata as AnyMeta;
    const arch = m["gemma4-assistant"];
    expect(m.general.architecture).toBe("gemma4-assistant");
    expect(arch.embedding_length_out).toBe(TINY_TEXT_SHAPE.nEmbd);
    expect(arch.embedding_length).not.toBe(TINY_TEXT_SHAPE.nEmbd);
    expect(arch.nextn_predict_layers).toBe(arch.block_count);
    const text = (await readGgufFileInfo(a.text, { logWarnings: false })).metadata as AnyMeta;
    expect(m.tokenizer.ggml.tokens).toEqual(text.tokenizer.ggml.tokens);
    const names = info.tensorInfo!.map((t) => t.name);
    expect(names).toContain("nextn.pre_projection.weight");
    expect(names).toContain("nextn.post_projection.weight");
  });
});

describe("12B shape", () => {
  it("has ~11.9 B parameters and a full last layer", () => {
    const p = gemma4ParamCount(GEMMA4_12B_SHAPE, 262144);
    expect(p / 1e9).toBeGreaterThan(11.85);
    expect(p / 1e9).toBeLessThan(11.95);
    expect(GEMMA4_12B_SHAPE.swaPattern.filter((s) => !s).length).toBe(8);
    expect(GEMMA4_12B_SHAPE.swaPattern[47]).toBe(false);
    expect(gemma4SwaPattern(2)).toEqual([true, false]);
  });

  it("refuses a drafter whose query heads cannot attend the target's KV heads (the engine would abort)", () => {
    const vocab = buildTinyGemmaVocab();
    expect(() => gemma4AssistantWriter(1, vocab, { target: GEMMA4_12B_SHAPE, shape: { ...GEMMA4_12B_ASSISTANT_SHAPE, nHead: 4 } })).toThrow(/multiple of the target's KV heads \(8 sliding/);
    expect(() => gemma4AssistantWriter(1, vocab, { target: GEMMA4_12B_SHAPE, shape: GEMMA4_12B_ASSISTANT_SHAPE })).not.toThrow();
  });
});
