/**
 * A bounded walk over a GGUF file's header (metadata and tensor table) that checks every count and length
 * against the bytes the file actually has, before node-llama-cpp's reader parses it.
 *
 * Why: that reader trusts the counts it reads and reads past the end of a file as zeros, so a few damaged
 * bytes (a count of 2^60 tensors, an array of 2^40 strings) keep it looping and allocating for ever: the
 * host hung at 100 % CPU on a 12-byte file. This walk only skips over values (it keeps nothing), so it costs
 * one pass over the header: a few MB for a real Gemma 4 (the 262K-token vocabulary), nothing next to a load.
 * Layout: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (versions 2 and 3, little-endian).
 */
import fs from "node:fs/promises";

/** What is wrong with the file, as the end of a sentence ("… is a damaged GGUF file (REASON)"). */
export class GgufStructureError extends Error {}

/** Bytes of one element of each fixed-size metadata value type (GGUF_TYPE_*). */
const FIXED_SIZE: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;
/** ggml tensors have at most 4 dimensions (GGML_MAX_DIMS). */
const MAX_DIMS = 4;
/** Well above ggml's type count (GGML_TYPE_COUNT is about 40), far below what random bytes give. */
const MAX_TENSOR_TYPE = 255;
/** Arrays of arrays are allowed by the format; nothing real nests deeper than this. */
const MAX_ARRAY_DEPTH = 4;
/** Smallest metadata entry (empty key, a u8 value) and tensor entry (empty name, 1 dimension). */
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_BYTES = 8 + 4 + 8 + 4 + 8;
/** Bytes read for the walk at first (a real Gemma 4 header is about 16 MB). */
const FIRST_WINDOW = 32 << 20;

export interface GgufStructure {
  version: number;
  tensorCount: number;
  kvCount: number;
  /** Where the tensor table ends (the data section starts after its alignment padding). */
  headerBytes: number;
}

/** Throws GgufStructureError naming the first count or length that does not fit in the file. */
export async function checkGgufStructure(path: string, firstWindow = FIRST_WINDOW): Promise<GgufStructure> {
  const handle = await fs.open(path, "r");
  try {
    const size = (await handle.stat()).size;
    // The walk runs over the file's first bytes in memory (a real header is ~16 MB, most of it the
    // vocabulary); a header longer than the window is walked again over a larger one.
    for (let window = Math.min(size, firstWindow); ; window = Math.min(size, window * 4)) {
      const buf = Buffer.allocUnsafe(window);
      const { bytesRead } = await handle.read(buf, 0, window, 0);
      try {
        return walk(new BoundedReader(buf.subarray(0, bytesRead), size));
      } catch (err) {
        if (!(err instanceof NeedMoreBytes) || window >= size) throw err;
      }
    }
  } finally {
    await handle.close();
  }
}

function walk(r: BoundedReader): GgufStructure {
  if (r.bytes(4, "the magic").toString("latin1") !== "GGUF") throw new GgufStructureError('it does not start with "GGUF"');
  const version = r.u32("the version");
  if (version !== 2 && version !== 3) {
    throw new GgufStructureError(
      version === 1 ? "GGUF version 1 is no longer read by llama.cpp" : `unknown GGUF version ${version}: not a little-endian GGUF v2/v3 file`,
    );
  }
  const tensorCount = r.count("the tensor count", MIN_TENSOR_BYTES);
  const kvCount = r.count("the metadata entry count", MIN_KV_BYTES);
  // Both tables must fit in what is left, at their smallest entry sizes.
  if (tensorCount * MIN_TENSOR_BYTES + kvCount * MIN_KV_BYTES > r.remaining) {
    throw new GgufStructureError(`${tensorCount} tensors and ${kvCount} metadata entries cannot fit in ${r.size} bytes`);
  }
  for (let i = 0; i < kvCount; i++) {
    const key = r.string(`the key of metadata entry ${i}`);
    skipValue(r, r.u32(`the type of ${key}`), key, 0);
  }
  for (let i = 0; i < tensorCount; i++) {
    const name = r.string(`the name of tensor ${i}`);
    const dims = r.u32(`the dimension count of ${name}`);
    if (dims < 1 || dims > MAX_DIMS) throw new GgufStructureError(`tensor ${name} has ${dims} dimensions (at most ${MAX_DIMS})`);
    r.skip(8 * dims, `the dimensions of ${name}`);
    const type = r.u32(`the type of ${name}`);
    if (type > MAX_TENSOR_TYPE) throw new GgufStructureError(`tensor ${name} has an unknown type ${type}`);
    r.skip(8, `the offset of ${name}`);
  }
  return { version, tensorCount, kvCount, headerBytes: r.position };
}

function skipValue(r: BoundedReader, type: number, key: string, depth: number): void {
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined) return r.skip(fixed, `the value of ${key}`);
  if (type === TYPE_STRING) return r.skipString(`the value of ${key}`);
  if (type !== TYPE_ARRAY) throw new GgufStructureError(`metadata ${key} has an unknown value type ${type}`);
  if (depth >= MAX_ARRAY_DEPTH) throw new GgufStructureError(`metadata ${key} nests arrays more than ${MAX_ARRAY_DEPTH} deep`);
  const elementType = r.u32(`the element type of ${key}`);
  const elementFixed = FIXED_SIZE[elementType];
  // Strings and arrays take at least 8 bytes each (their length or type + count).
  const count = r.count(`the length of ${key}`, elementFixed ?? 8);
  if (elementFixed !== undefined) return r.skip(count * elementFixed, `the values of ${key}`);
  if (elementType === TYPE_STRING) {
    // the vocabulary: hundreds of thousands of strings, so one description for all of them
    const what = `a value of ${key}`;
    for (let i = 0; i < count; i++) r.skipString(what);
    return;
  }
  for (let i = 0; i < count; i++) skipValue(r, elementType, key, depth + 1);
}

/** The walk reached the end of the bytes in memory before the end of the file. */
class NeedMoreBytes extends Error {}

/** Sequential reads over the file's first bytes; every length is checked against the whole file's size. */
class BoundedReader {
  position = 0;

  constructor(
    private readonly buf: Buffer,
    readonly size: number,
  ) {}

  get remaining(): number {
    return this.size - this.position;
  }

  bytes(n: number, what: string): Buffer {
    this.bound(n, what);
    if (this.position + n > this.buf.length) throw new NeedMoreBytes();
    const at = this.position;
    this.position += n;
    return this.buf.subarray(at, at + n);
  }

  u32(what: string): number {
    return this.bytes(4, what).readUInt32LE(0);
  }

  /** A u64 count of items of at least `minItemBytes` each that must fit in the rest of the file. */
  count(what: string, minItemBytes: number): number {
    const b = this.bytes(8, what);
    const high = b.readUInt32LE(4);
    const n = high === 0 ? b.readUInt32LE(0) : Number.POSITIVE_INFINITY; // 2^32 items or more never fit
    if (n * Math.max(1, minItemBytes) > this.remaining) {
      throw new GgufStructureError(`${what} is ${b.readBigUInt64LE(0)}, more than the ${this.remaining} bytes after it can hold`);
    }
    return n;
  }

  /** A GGUF string (u64 length + bytes); returns its start, for messages. */
  string(what: string): string {
    const length = this.count(what, 1);
    const shown = Math.min(length, 64);
    const text = this.bytes(shown, what).toString("utf8");
    this.skip(length - shown, what);
    return text;
  }

  skipString(what: string): void {
    this.skip(this.count(what, 1), what);
  }

  skip(n: number, what: string): void {
    this.bound(n, what);
    this.position += n;
  }

  private bound(n: number, what: string): void {
    if (n > this.size - this.position) throw new GgufStructureError(`it ends inside ${what} (at byte ${this.position} of ${this.size})`);
  }
}
