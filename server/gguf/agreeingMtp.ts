// Weights for a Gemma 4 target + gemma4-assistant drafter whose greedy drafts are accepted at a chosen rate.
//
// Random weights give a drafter that never agrees with its target, so MTP's accept path (and its speedup)
// could not be tested or measured offline. This pair is built so that both models compute a known
// function of the last token:
//
//   target   every layer adds nothing to the residual stream (attn_output and ffn_down are zero; the
//            attention and FFN still run, so a decode step costs what it costs with random weights);
//            the hidden state is the token's embedding e_t, and the untied output matrix has e_t as the
//            row of succ(t), so greedy decoding walks one random cycle through the vocabulary's normal
//            tokens: t, succ(t), succ(succ(t)), ...
//   drafter  nextn.pre_projection keeps the first E (drafter width) components of the target's
//            embedding of the drafted-from token (the hidden-state half is ignored), its layers add
//            nothing, and its tied embedding has ±g·û as the row of succ(t), û being those E components
//            normalised. "+" for tokens drafted right, "−" for the others (drawn with probability
//            `acceptance`), so a draft of succ(t) is accepted exactly when the drafter's row agrees.
//
// e_t = [û_t ; ŵ_t] / √2 with û_t, ŵ_t unit vectors: every row has the same norm, so a row's own token
// wins its dot products by a wide margin (random unit vectors: cosine ≈ √(2 ln V / d) at most).
// Control and byte tokens get zero output rows and are never generated: decoding never stops by itself.

import type { GemmaVocab } from "./gemmaVocab";
import { TokenType } from "./gemmaVocab";
import { Rng } from "./random";
import type { TensorSource } from "./writer";

/** Gain of the drafter's rows: its logit margin over the next-best row is ≥ 8 for the shapes used here. */
const DRAFTER_GAIN = 8;

export interface AgreeingMtpOptions {
  seed: number;
  vocab: GemmaVocab;
  /** target hidden size (B) */
  targetEmbd: number;
  /** drafter hidden size (E < B) */
  drafterEmbd: number;
  /** probability that the drafter's prediction of a given token is right (0..1) */
  acceptance: number;
}

/** The designed weights; tensors it does not design come from the caller's random source. */
export class AgreeingMtpWeights {
  private readonly succ: Int32Array;
  private readonly pred: Int32Array;
  private readonly agrees: Uint8Array;
  private readonly seed: number;
  private readonly B: number;
  private readonly E: number;

  constructor(o: AgreeingMtpOptions) {
    if (!(o.drafterEmbd > 0 && o.drafterEmbd < o.targetEmbd)) throw new Error("the drafter must be narrower than the target");
    if (!(o.acceptance >= 0 && o.acceptance <= 1)) throw new Error("acceptance must be within 0..1");
    this.seed = o.seed | 0;
    this.B = o.targetEmbd;
    this.E = o.drafterEmbd;
    const n = o.vocab.tokens.length;
    const normal: number[] = [];
    for (let t = 0; t < n; t++) if (o.vocab.tokenTypes[t] === TokenType.NORMAL) normal.push(t);
    if (normal.length < 2) throw new Error("the vocabulary needs at least two normal tokens");
    // one cycle through all normal tokens (a random permutation could have short cycles)
    const rng = new Rng(this.seed, "agreeing-mtp-cycle");
    for (let i = normal.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [normal[i], normal[j]] = [normal[j], normal[i]];
    }
    this.succ = new Int32Array(n).fill(-1);
    this.pred = new Int32Array(n).fill(-1);
    for (let i = 0; i < normal.length; i++) {
      const a = normal[i];
      const b = normal[(i + 1) % normal.length];
      this.succ[a] = b;
      this.pred[b] = a;
    }
    this.agrees = new Uint8Array(n);
    const agree = new Rng(this.seed, "agreeing-mtp-accept");
    for (const t of normal) this.agrees[t] = agree.nextFloat() < o.acceptance ? 1 : 0;
  }

  /** The token greedy decoding produces after `t`, or -1 (control/byte tokens are not on the cycle). */
  successor(t: number): number {
    return this.succ[t] ?? -1;
  }

  /** Whether the drafter predicts `successor(t)` right after `t`. */
  drafterAgrees(t: number): boolean {
    const s = this.successor(t);
    return s >= 0 && this.agrees[s] === 1;
  }

  /** Source for a target tensor, or undefined for the ones left random. */
  targetTensor(name: string): TensorSource | undefined {
    if (name === "token_embd.weight") return rows(this.B, (t, out) => this.embedding(t, out));
    if (name === "output.weight") {
      return rows(this.B, (j, out) => {
        if (this.pred[j] >= 0) this.embedding(this.pred[j], out);
        else out.fill(0);
      });
    }
    if (/^blk\.\d+\.(attn_output|ffn_down)\.weight$/.test(name)) return zeros();
    return undefined;
  }

  /** Source for a drafter tensor, or undefined for the ones left random. */
  drafterTensor(name: string): TensorSource | undefined {
    const E = this.E;
    if (name === "token_embd.weight") {
      const full = new Float32Array(this.B);
      return rows(E, (j, out) => {
        const t = this.pred[j];
        if (t < 0) return void out.fill(0);
        this.embedding(t, full);
        // û_t = √2 × the first E components of e_t
        const sign = this.agrees[j] ? 1 : -1;
        for (let i = 0; i < E; i++) out[i] = sign * DRAFTER_GAIN * Math.SQRT2 * full[i];
      });
    }
    if (name === "nextn.pre_projection.weight") {
      // [2B inputs, E outputs]: output i = input i (the target embedding's first E components)
      return rows(2 * this.B, (i, out) => {
        out.fill(0);
        out[i] = 1;
      });
    }
    if (/^blk\.\d+\.(attn_output|ffn_down)\.weight$/.test(name)) return zeros();
    return undefined;
  }

  /** e_t = [û_t ; ŵ_t] / √2 (unit norm), from a per-token stream so rows can be made in any order. */
  private embedding(t: number, out: Float32Array): void {
    new Rng(this.seed ^ 0x656d6264, t).fillUniform(out, 1);
    normalise(out, 0, this.E, Math.SQRT1_2);
    normalise(out, this.E, this.B, Math.SQRT1_2);
  }
}

function normalise(v: Float32Array, from: number, to: number, norm: number): void {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i] * v[i];
  const k = norm / Math.sqrt(s);
  for (let i = from; i < to; i++) v[i] *= k;
}

function zeros(): TensorSource {
  return { generate: (_start, out) => out.fill(0) };
}

/** A matrix written row by row (rows of `rowLen` elements), whatever the writer's chunk boundaries. */
function rows(rowLen: number, row: (index: number, out: Float32Array) => void): TensorSource {
  const buf = new Float32Array(rowLen);
  let cached = -1;
  return {
    generate: (start, out) => {
      for (let k = 0; k < out.length; ) {
        const idx = start + k;
        const r = Math.floor(idx / rowLen);
        const col = idx - r * rowLen;
        if (r !== cached) {
          row(r, buf);
          cached = r;
        }
        const n = Math.min(rowLen - col, out.length - k);
        out.set(buf.subarray(col, col + n), k);
        k += n;
      }
    },
  };
}
