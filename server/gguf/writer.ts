// Dependency-free GGUF v3 writer.
//
// Format reference: ggml/docs/gguf.md and ggml/src/gguf.cpp in llama.cpp.
//   header:   magic "GGUF" | version u32 (=3) | n_tensors u64 | n_kv u64
//   kv:       key (u64 len + utf8) | value type u32 | value
//   tensors:  name | n_dims u32 | ne[n_dims] u64 | ggml type u32 | offset u64 (relative to data section)
//   padding to `general.alignment`, then the data section; every tensor starts at an aligned offset.
//
// Tensor data is streamed to disk tensor by tensor and chunk by chunk, so a multi-GB model never
// sits in memory. Float data can be given as a Float32Array or as a chunked generator; quantized
// data (F16, Q8_0, Q4_0) is produced from float chunks with the same rounding rules as ggml's
// reference quantizers. Pre-encoded bytes can be streamed with `rawChunks`.

import { open, rename, rm } from "node:fs/promises";

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value types (gguf_type). */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufType = (typeof GgufType)[keyof typeof GgufType];
export type GgufScalarType = Exclude<GgufType, typeof GgufType.ARRAY>;

/** The ggml tensor types this writer can encode. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 8,
} as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Elements per block and bytes per block for each supported ggml type. */
export const GGML_TYPE_INFO: Record<GgmlType, { name: string; blockSize: number; typeSize: number }> = {
  [GgmlType.F32]: { name: "F32", blockSize: 1, typeSize: 4 },
  [GgmlType.F16]: { name: "F16", blockSize: 1, typeSize: 2 },
  [GgmlType.Q4_0]: { name: "Q4_0", blockSize: 32, typeSize: 18 },
  [GgmlType.Q8_0]: { name: "Q8_0", blockSize: 32, typeSize: 34 },
};

/** llama_ftype values commonly written to general.file_type. */
export const LlamaFileType = {
  ALL_F32: 0,
  MOSTLY_F16: 1,
  MOSTLY_Q4_0: 2,
  MOSTLY_Q8_0: 7,
} as const;

export type GgufPrimitive = number | bigint | boolean | string;

export type GgufValue =
  | { type: GgufScalarType; value: GgufPrimitive }
  | { type: typeof GgufType.ARRAY; itemType: GgufType; value: readonly (GgufPrimitive | GgufValue)[] };

/** Convenience constructors for typed metadata values. */
export const gv = {
  u8: (v: number): GgufValue => ({ type: GgufType.UINT8, value: v }),
  i8: (v: number): GgufValue => ({ type: GgufType.INT8, value: v }),
  u16: (v: number): GgufValue => ({ type: GgufType.UINT16, value: v }),
  i16: (v: number): GgufValue => ({ type: GgufType.INT16, value: v }),
  u32: (v: number): GgufValue => ({ type: GgufType.UINT32, value: v }),
  i32: (v: number): GgufValue => ({ type: GgufType.INT32, value: v }),
  u64: (v: number | bigint): GgufValue => ({ type: GgufType.UINT64, value: v }),
  i64: (v: number | bigint): GgufValue => ({ type: GgufType.INT64, value: v }),
  f32: (v: number): GgufValue => ({ type: GgufType.FLOAT32, value: v }),
  f64: (v: number): GgufValue => ({ type: GgufType.FLOAT64, value: v }),
  bool: (v: boolean): GgufValue => ({ type: GgufType.BOOL, value: v }),
  str: (v: string): GgufValue => ({ type: GgufType.STRING, value: v }),
  arr: (itemType: GgufType, value: readonly (GgufPrimitive | GgufValue)[]): GgufValue => ({
    type: GgufType.ARRAY,
    itemType,
    value,
  }),
};

/**
 * Where a tensor's data comes from.
 *  - Float32Array: the whole tensor (converted/quantized to the target type on write)
 *  - { generate }: called with consecutive element ranges; must fill `out` with elements
 *    [start, start + out.length) of the flattened tensor (ne0 fastest). `out.length` is always a
 *    multiple of the type's block size.
 *  - { rawChunks }: already-encoded bytes in the target type, yielded in order; the total length
 *    must equal the tensor's byte size.
 */
export type TensorSource =
  | Float32Array
  | { generate: (start: number, out: Float32Array) => void }
  | { rawChunks: () => Iterable<Uint8Array> };

export interface TensorSpec {
  name: string;
  /** ggml order: shape[0] = ne0 (the contiguous dimension). */
  shape: readonly number[];
  type: GgmlType;
  data: TensorSource;
}

export interface WrittenTensorInfo {
  name: string;
  shape: number[];
  type: GgmlType;
  /** offset relative to the start of the data section */
  offset: number;
  nbytes: number;
}

export interface WriteResult {
  path: string;
  fileSize: number;
  dataOffset: number;
  tensors: WrittenTensorInfo[];
}

export interface WriteOptions {
  /** elements per generated chunk (rounded down to a multiple of 32); default 1 Mi elements */
  chunkElements?: number;
  /** called after each tensor is written */
  onProgress?: (p: { tensor: string; index: number; count: number; bytesWritten: number; totalBytes: number }) => void;
}

export function tensorElementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensorByteSize(type: GgmlType, shape: readonly number[]): number {
  const info = GGML_TYPE_INFO[type];
  if (!info) throw new Error(`unsupported ggml type ${type}`);
  const ne0 = shape[0] ?? 1;
  if (ne0 % info.blockSize !== 0) {
    throw new Error(`ne0=${ne0} is not a multiple of the ${info.name} block size ${info.blockSize}`);
  }
  return (tensorElementCount(shape) / info.blockSize) * info.typeSize;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

// ---------------------------------------------------------------------------------------------
// fp16 / quantization helpers (match ggml's reference implementations)
// ---------------------------------------------------------------------------------------------

const f32Buf = new Float32Array(1);
const u32Buf = new Uint32Array(f32Buf.buffer);

/** IEEE 754 binary32 -> binary16 bits, round to nearest even (same as ggml_compute_fp32_to_fp16). */
export function fp32ToFp16(value: number): number {
  f32Buf[0] = value;
  const x = u32Buf[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;

  if (exp === 0xff) {
    // inf / nan
    return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  }
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    // subnormal half (or zero)
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++; // may carry into exponent: still correct
  return sign | half;
}

/** binary16 bits -> number */
export function fp16ToFp32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** C roundf: round half away from zero. */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Encode `src` (length multiple of 32) as Q8_0 blocks into `dst` at `dstOffset`. Returns bytes written. */
export function quantizeQ8_0(src: Float32Array, dst: Uint8Array, dstOffset = 0): number {
  const nb = src.length / 32;
  if (!Number.isInteger(nb)) throw new Error("Q8_0 needs a multiple of 32 elements");
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let o = dstOffset;
  for (let b = 0; b < nb; b++) {
    const base = b * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(src[base + j]);
      if (a > amax) amax = a;
    }
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    dv.setUint16(o, fp32ToFp16(d), true);
    o += 2;
    for (let j = 0; j < 32; j++) {
      dst[o + j] = roundf(Math.fround(src[base + j] * id)) & 0xff;
    }
    o += 32;
  }
  return o - dstOffset;
}

/** Encode `src` (length multiple of 32) as Q4_0 blocks into `dst` at `dstOffset`. Returns bytes written. */
export function quantizeQ4_0(src: Float32Array, dst: Uint8Array, dstOffset = 0): number {
  const nb = src.length / 32;
  if (!Number.isInteger(nb)) throw new Error("Q4_0 needs a multiple of 32 elements");
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  let o = dstOffset;
  for (let b = 0; b < nb; b++) {
    const base = b * 32;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = src[base + j];
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = Math.fround(max / -8);
    const id = d ? Math.fround(1 / d) : 0;
    dv.setUint16(o, fp32ToFp16(d), true);
    o += 2;
    for (let j = 0; j < 16; j++) {
      const x0 = Math.fround(src[base + j] * id);
      const x1 = Math.fround(src[base + 16 + j] * id);
      const xi0 = Math.min(15, Math.trunc(Math.fround(x0 + 8.5)));
      const xi1 = Math.min(15, Math.trunc(Math.fround(x1 + 8.5)));
      dst[o + j] = (xi0 & 0x0f) | ((xi1 & 0x0f) << 4);
    }
    o += 16;
  }
  return o - dstOffset;
}

/** Dequantize a buffer of the given type back to floats (used by tests / debugging). */
export function dequantize(type: GgmlType, bytes: Uint8Array, nElements: number): Float32Array {
  const out = new Float32Array(nElements);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < nElements; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    case GgmlType.F16:
      for (let i = 0; i < nElements; i++) out[i] = fp16ToFp32(dv.getUint16(i * 2, true));
      return out;
    case GgmlType.Q8_0:
      for (let b = 0; b < nElements / 32; b++) {
        const d = fp16ToFp32(dv.getUint16(b * 34, true));
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * dv.getInt8(b * 34 + 2 + j);
      }
      return out;
    case GgmlType.Q4_0:
      for (let b = 0; b < nElements / 32; b++) {
        const d = fp16ToFp32(dv.getUint16(b * 18, true));
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 18 + 2 + j];
          out[b * 32 + j] = d * ((q & 0x0f) - 8);
          out[b * 32 + 16 + j] = d * ((q >> 4) - 8);
        }
      }
      return out;
    default:
      throw new Error(`unsupported ggml type ${type}`);
  }
}

/** Encode a float chunk into `dst` (at offset 0) in the given type; returns bytes written. */
export function encodeFloats(type: GgmlType, src: Float32Array, dst: Uint8Array): number {
  switch (type) {
    case GgmlType.F32: {
      const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
      for (let i = 0; i < src.length; i++) dv.setFloat32(i * 4, src[i], true);
      return src.length * 4;
    }
    case GgmlType.F16: {
      const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
      for (let i = 0; i < src.length; i++) dv.setUint16(i * 2, fp32ToFp16(src[i]), true);
      return src.length * 2;
    }
    case GgmlType.Q8_0:
      return quantizeQ8_0(src, dst, 0);
    case GgmlType.Q4_0:
      return quantizeQ4_0(src, dst, 0);
    default:
      throw new Error(`unsupported ggml type ${type}`);
  }
}

// ---------------------------------------------------------------------------------------------
// header serialization
// ---------------------------------------------------------------------------------------------

class ByteBuilder {
  private buf: Buffer;
  length = 0;

  constructor(initial = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number) { this.ensure(1); this.buf.writeUInt8(v, this.length); this.length += 1; }
  i8(v: number) { this.ensure(1); this.buf.writeInt8(v, this.length); this.length += 1; }
  u16(v: number) { this.ensure(2); this.buf.writeUInt16LE(v, this.length); this.length += 2; }
  i16(v: number) { this.ensure(2); this.buf.writeInt16LE(v, this.length); this.length += 2; }
  u32(v: number) { this.ensure(4); this.buf.writeUInt32LE(v, this.length); this.length += 4; }
  i32(v: number) { this.ensure(4); this.buf.writeInt32LE(v, this.length); this.length += 4; }
  f32(v: number) { this.ensure(4); this.buf.writeFloatLE(v, this.length); this.length += 4; }
  f64(v: number) { this.ensure(8); this.buf.writeDoubleLE(v, this.length); this.length += 8; }
  u64(v: number | bigint) { this.ensure(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  i64(v: number | bigint) { this.ensure(8); this.buf.writeBigInt64LE(BigInt(v), this.length); this.length += 8; }
  str(s: string) {
    const n = Buffer.byteLength(s, "utf8");
    this.u64(n);
    this.ensure(n);
    this.buf.write(s, this.length, "utf8");
    this.length += n;
  }
  zeros(n: number) { this.ensure(n); this.buf.fill(0, this.length, this.length + n); this.length += n; }
  toBuffer(): Buffer { return this.buf.subarray(0, this.length); }
}

function checkInt(v: GgufPrimitive, lo: number, hi: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new Error(`invalid ${what} value: ${String(v)}`);
  }
  return v;
}

function writeScalar(b: ByteBuilder, type: GgufType, v: GgufPrimitive | GgufValue): void {
  if (typeof v === "object" && v !== null) {
    if (type !== GgufType.ARRAY || (v as GgufValue).type !== GgufType.ARRAY) throw new Error("nested value where a scalar was expected");
    writeArrayBody(b, v as Extract<GgufValue, { type: typeof GgufType.ARRAY }>);
    return;
  }
  switch (type) {
    case GgufType.UINT8: b.u8(checkInt(v, 0, 0xff, "uint8")); break;
    case GgufType.INT8: b.i8(checkInt(v, -0x80, 0x7f, "int8")); break;
    case GgufType.UINT16: b.u16(checkInt(v, 0, 0xffff, "uint16")); break;
    case GgufType.INT16: b.i16(checkInt(v, -0x8000, 0x7fff, "int16")); break;
    case GgufType.UINT32: b.u32(checkInt(v, 0, 0xffffffff, "uint32")); break;
    case GgufType.INT32: b.i32(checkInt(v, -0x80000000, 0x7fffffff, "int32")); break;
    case GgufType.FLOAT32: if (typeof v !== "number") throw new Error("float32 expects a number"); b.f32(v); break;
    case GgufType.FLOAT64: if (typeof v !== "number") throw new Error("float64 expects a number"); b.f64(v); break;
    case GgufType.UINT64: if (typeof v !== "number" && typeof v !== "bigint") throw new Error("uint64 expects a number"); b.u64(v); break;
    case GgufType.INT64: if (typeof v !== "number" && typeof v !== "bigint") throw new Error("int64 expects a number"); b.i64(v); break;
    case GgufType.BOOL: if (typeof v !== "boolean") throw new Error("bool expects a boolean"); b.u8(v ? 1 : 0); break;
    case GgufType.STRING: if (typeof v !== "string") throw new Error("string expects a string"); b.str(v); break;
    default: throw new Error(`unknown gguf type ${type}`);
  }
}

function writeArrayBody(b: ByteBuilder, v: Extract<GgufValue, { type: typeof GgufType.ARRAY }>): void {
  b.u32(v.itemType);
  b.u64(v.value.length);
  for (const item of v.value) writeScalar(b, v.itemType, item);
}

function writeValue(b: ByteBuilder, v: GgufValue): void {
  b.u32(v.type);
  if (v.type === GgufType.ARRAY) writeArrayBody(b, v);
  else writeScalar(b, v.type, v.value);
}

// ---------------------------------------------------------------------------------------------
// writer
// ---------------------------------------------------------------------------------------------

export class GgufWriter {
  private readonly kv = new Map<string, GgufValue>();
  private readonly tensors: TensorSpec[] = [];
  readonly alignment: number;

  constructor(opts: { alignment?: number } = {}) {
    this.alignment = opts.alignment ?? GGUF_DEFAULT_ALIGNMENT;
    if (!Number.isInteger(this.alignment) || this.alignment <= 0 || this.alignment % 8 !== 0) {
      throw new Error(`alignment must be a positive multiple of 8, got ${this.alignment}`);
    }
  }

  /** Set a metadata key (keeps the position of the first insertion). */
  set(key: string, value: GgufValue): this {
    if (key === "general.alignment" && (value.type !== GgufType.UINT32 || value.value !== this.alignment)) {
      throw new Error("general.alignment must be a uint32 equal to the writer's alignment");
    }
    this.kv.set(key, value);
    return this;
  }

  setString(key: string, v: string) { return this.set(key, gv.str(v)); }
  setUint32(key: string, v: number) { return this.set(key, gv.u32(v)); }
  setInt32(key: string, v: number) { return this.set(key, gv.i32(v)); }
  setFloat32(key: string, v: number) { return this.set(key, gv.f32(v)); }
  setBool(key: string, v: boolean) { return this.set(key, gv.bool(v)); }
  setUint64(key: string, v: number | bigint) { return this.set(key, gv.u64(v)); }
  setArray(key: string, itemType: GgufType, values: readonly (GgufPrimitive | GgufValue)[]) {
    return this.set(key, gv.arr(itemType, values));
  }

  get(key: string): GgufValue | undefined {
    return this.kv.get(key);
  }

  addTensor(spec: TensorSpec): this {
    if (this.tensors.some((t) => t.name === spec.name)) throw new Error(`duplicate tensor ${spec.name}`);
    if (Buffer.byteLength(spec.name) >= 64) throw new Error(`tensor name too long (max 63 bytes): ${spec.name}`);
    if (spec.shape.length < 1 || spec.shape.length > 4) throw new Error(`tensor ${spec.name}: 1..4 dims required`);
    for (const d of spec.shape) {
      if (!Number.isInteger(d) || d <= 0) throw new Error(`tensor ${spec.name}: bad dimension ${d}`);
    }
    tensorByteSize(spec.type, spec.shape); // validates block alignment
    if (spec.data instanceof Float32Array && spec.data.length !== tensorElementCount(spec.shape)) {
      throw new Error(`tensor ${spec.name}: data has ${spec.data.length} elements, shape needs ${tensorElementCount(spec.shape)}`);
    }
    this.tensors.push(spec);
    return this;
  }

  get tensorCount(): number {
    return this.tensors.length;
  }

  /** Compute the tensor layout (offsets relative to the data section). */
  layout(): WrittenTensorInfo[] {
    let offset = 0;
    return this.tensors.map((t) => {
      const nbytes = tensorByteSize(t.type, t.shape);
      const info = { name: t.name, shape: [...t.shape], type: t.type, offset, nbytes };
      offset = alignUp(offset + nbytes, this.alignment);
      return info;
    });
  }

  /** Serialize the header (everything before the data section, including the padding). */
  buildHeader(): { header: Buffer; tensors: WrittenTensorInfo[] } {
    const kv = new Map(this.kv);
    if (!kv.has("general.alignment")) kv.set("general.alignment", gv.u32(this.alignment));

    const b = new ByteBuilder(1 << 20);
    b.u32(GGUF_MAGIC);
    b.u32(GGUF_VERSION);
    b.u64(this.tensors.length);
    b.u64(kv.size);
    for (const [key, value] of kv) {
      b.str(key);
      writeValue(b, value);
    }
    const tensors = this.layout();
    for (const t of tensors) {
      b.str(t.name);
      b.u32(t.shape.length);
      for (const d of t.shape) b.u64(d);
      b.u32(t.type);
      b.u64(t.offset);
    }
    b.zeros(alignUp(b.length, this.alignment) - b.length);
    return { header: b.toBuffer(), tensors };
  }

  /**
   * Write the file. Data is written to `path + ".partial"` and renamed into place when complete,
   * so an interrupted run never leaves a truncated file under the final name.
   */
  async write(path: string, opts: WriteOptions = {}): Promise<WriteResult> {
    const { header, tensors } = this.buildHeader();
    const chunkElements = Math.max(32, Math.floor((opts.chunkElements ?? 1 << 20) / 32) * 32);
    const last = tensors[tensors.length - 1];
    const dataSize = last ? alignUp(last.offset + last.nbytes, this.alignment) : 0;
    const totalBytes = header.length + dataSize;

    const tmpPath = `${path}.partial`;
    const fh = await open(tmpPath, "w");
    let pos = 0;
    const writeAll = async (buf: Uint8Array) => {
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await fh.write(buf, off, buf.length - off, pos);
        off += bytesWritten;
        pos += bytesWritten;
      }
    };

    try {
      await writeAll(header);
      const dataStart = pos;
      const floatChunk = new Float32Array(chunkElements);
      const byteChunk = new Uint8Array(chunkElements * 4);
      const zeros = new Uint8Array(this.alignment);

      for (let ti = 0; ti < this.tensors.length; ti++) {
        const spec = this.tensors[ti];
        const info = tensors[ti];
        if (pos - dataStart !== info.offset) throw new Error(`internal error: offset mismatch for ${spec.name}`);
        const n = tensorElementCount(spec.shape);
        const src = spec.data;

        if ("rawChunks" in src) {
          let written = 0;
          for (const chunk of src.rawChunks()) {
            if (written + chunk.length > info.nbytes) throw new Error(`tensor ${spec.name}: raw data exceeds ${info.nbytes} bytes`);
            await writeAll(chunk);
            written += chunk.length;
          }
          if (written !== info.nbytes) throw new Error(`tensor ${spec.name}: raw data is ${written} bytes, expected ${info.nbytes}`);
        } else {
          for (let start = 0; start < n; start += chunkElements) {
            const count = Math.min(chunkElements, n - start);
            let floats: Float32Array;
            if (src instanceof Float32Array) {
              floats = src.subarray(start, start + count);
            } else {
              floats = floatChunk.subarray(0, count);
              src.generate(start, floats);
            }
            if (spec.type === GgmlType.F32 && src instanceof Float32Array && isLittleEndian) {
              await writeAll(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength));
            } else {
              const nb = encodeFloats(spec.type, floats, byteChunk);
              await writeAll(byteChunk.subarray(0, nb));
            }
          }
        }
        const pad = alignUp(pos - dataStart, this.alignment) - (pos - dataStart);
        if (pad) await writeAll(zeros.subarray(0, pad));
        opts.onProgress?.({ tensor: spec.name, index: ti, count: this.tensors.length, bytesWritten: pos, totalBytes });
      }
      await fh.truncate(pos);
      await fh.close();
      await rename(tmpPath, path);
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(tmpPath, { force: true }).catch(() => {});
      throw err;
    }
    return { path, fileSize: pos, dataOffset: header.length, tensors };
  }
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
