// Small seeded PRNG for generating random model weights.
//
// Only 32-bit integer arithmetic (Math.imul, shifts) and exact float scaling are used, so the
// output is bit-identical on every platform / Node version (no Math.random, no transcendental
// functions whose last bit could differ between libm implementations).
//
// Generator: xoshiro128** (Blackman & Vigna), state seeded through splitmix32.

/** 32-bit FNV-1a hash of a string (UTF-16 code units), used to derive per-tensor seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** splitmix32 step: returns [nextState, output]. */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

const TWO_POW_MINUS_32 = 1 / 4294967296;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * @param seed   any integer (only the low 32 bits are used)
   * @param stream optional second integer / string to derive an independent stream (e.g. a tensor name)
   */
  constructor(seed: number, stream?: number | string) {
    let st = seed | 0;
    if (stream !== undefined) {
      const h = typeof stream === "string" ? hashString(stream) : stream >>> 0;
      st = (st ^ Math.imul(h, 0x9e3779b1)) | 0;
      // one extra mixing round so that nearby (seed, stream) pairs diverge
      [st] = splitmix32(st ^ 0x5bd1e995);
    }
    let o: number;
    [st, o] = splitmix32(st);
    this.s0 = o;
    [st, o] = splitmix32(st);
    this.s1 = o;
    [st, o] = splitmix32(st);
    this.s2 = o;
    [st, o] = splitmix32(st);
    this.s3 = o;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is forbidden
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11);
    this.s0 = n0;
    this.s1 = n1;
    this.s2 = n2;
    this.s3 = n3;
    return r >>> 0;
  }

  /** Uniform float in [0, 1) (32 bits of randomness, exact in float64). */
  nextFloat(): number {
    return this.nextU32() * TWO_POW_MINUS_32;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  /** Fill `out` with uniform values in [-scale, scale). */
  fillUniform(out: Float32Array, scale = 1, offset = 0): Float32Array {
    const k = 2 * scale * TWO_POW_MINUS_32;
    for (let i = 0; i < out.length; i++) out[i] = offset - scale + this.nextU32() * k;
    return out;
  }

  /** Fill `out` with random bytes. */
  fillBytes(out: Uint8Array): Uint8Array {
    const n4 = out.length & ~3;
    let i = 0;
    for (; i < n4; i += 4) {
      const r = this.nextU32();
      out[i] = r & 0xff;
      out[i + 1] = (r >>> 8) & 0xff;
      out[i + 2] = (r >>> 16) & 0xff;
      out[i + 3] = r >>> 24;
    }
    if (i < out.length) {
      let r = this.nextU32();
      for (; i < out.length; i++) {
        out[i] = r & 0xff;
        r >>>= 8;
      }
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
