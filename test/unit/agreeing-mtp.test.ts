// The designed MTP pair (server/gguf/agreeingMtp.ts): its weights compute what the design says, checked with
// the models' own arithmetic in float (the engine check is test/integration/mtp-completions.test.ts).
import { describe, expect, it } from "vitest";
import { AgreeingMtpWeights } from "../../server/gguf/agreeingMtp";
import { TokenType, buildTinyGemmaVocab } from "../../server/gguf/gemmaVocab";
import type { TensorSource } from "../../server/gguf/writer";

const vocab = buildTinyGemmaVocab();
const V = vocab.tokens.length;
const B = 64;
const E = 32;

/** A [cols × rows] tensor read in chunks of `chunk` elements, as the GGUF writer does. */
function read(src: TensorSource | undefined, rows: number, cols: number, chunk = 1 << 20): Float32Array {
  if (!src || !("generate" in src)) throw new Error("expected a generated tensor");
  const out = new Float32Array(rows * cols);
  for (let start = 0; start < out.length; start += chunk) src.generate(start, out.subarray(start, Math.min(out.length, start + chunk)));
  return out;
}

const rmsNorm = (x: Float32Array) => {
  const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
  return x.map((v) => v / rms);
};

function argmax(m: Float32Array, cols: number, x: Float32Array): number {
  let best = -1;
  let bestV = -Infinity;
  for (let r = 0; r < m.length / cols; r++) {
    let d = 0;
    for (let c = 0; c < cols; c++) d += m[r * cols + c] * x[c];
    if (d > bestV) [best, bestV] = [r, d];
  }
  return best;
}

describe("agreeing MTP weights", () => {
  const w = new AgreeingMtpWeights({ seed: 7, vocab, targetEmbd: B, drafterEmbd: E, acceptance: 0.6 });
  const normal = vocab.tokenTypes.flatMap((t, id) => (t === TokenType.NORMAL ? [id] : []));

  it("walks one cycle through every normal token and never reaches a control or byte token", () => {
    const seen = new Set<number>();
    let t = normal[0];
    for (let i = 0; i < normal.length; i++) {
      seen.add(t);
      t = w.successor(t);
      expect(vocab.tokenTypes[t]).toBe(TokenType.NORMAL);
    }
    expect(t).toBe(normal[0]);
    expect(seen.size).toBe(normal.length);
    expect(w.successor(vocab.bosId)).toBe(-1);
    const agreeing = normal.filter((n) => w.drafterAgrees(n)).length / normal.length;
    expect(agreeing).toBeGreaterThan(0.5);
    expect(agreeing).toBeLessThan(0.7);
  });

  it("gives the target the successor as its greedy next token and the drafter the same where it agrees", () => {
    // odd chunk sizes: rows are assembled across chunk boundaries
    const embd = read(w.targetTensor("token_embd.weight"), V, B, 4093);
    const output = read(w.targetTensor("output.weight"), V, B, 31);
    expect(read(w.targetTensor("token_embd.weight"), V, B)).toEqual(embd);
    const drafterRows = read(w.drafterTensor("token_embd.weight"), V, E, 1000);
    const pre = read(w.drafterTensor("nextn.pre_projection.weight"), E, 2 * B);
    expect(read(w.targetTensor("blk.1.attn_output.weight"), 4, 64).every((v) => v === 0)).toBe(true);
    expect(read(w.drafterTensor("blk.0.ffn_down.weight"), 4, 64).every((v) => v === 0)).toBe(true);
    expect(w.targetTensor("blk.0.attn_q.weight")).toBeUndefined();

    let agreed = 0;
    for (const t of normal) {
      const x = embd.slice(t * B, (t + 1) * B).map((v) => v * Math.sqrt(B)); // the target's scaled input
      // target: layers add nothing, so the hidden state is output_norm(x)
      expect(argmax(output, B, rmsNorm(x))).toBe(w.successor(t));
      // drafter: pre_projection over [x ; h] (h: anything), no-op layers, output_norm, tied head
      const xh = new Float32Array(2 * B);
      xh.set(x);
      xh.fill(0.5, B);
      const y = new Float32Array(E).map((_, i) => pre.slice(i * 2 * B, (i + 1) * 2 * B).reduce((s, v, k) => s + v * xh[k], 0));
      const drafted = argmax(drafterRows, E, rmsNorm(y));
      if (w.drafterAgrees(t)) {
        expect(drafted).toBe(w.successor(t));
        agreed++;
      } else expect(drafted).not.toBe(w.successor(t));
    }
    expect(agreed).toBeGreaterThan(0);
  });
});
