// Tiny deterministic media encoders for tests: PNG (via node:zlib) and PCM16 WAV (header by hand).

import { deflateSync } from "node:zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(...bufs: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const b of bufs) for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const t = Buffer.from(type, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(t, data));
  return Buffer.concat([len, t, data, crc]);
}

/** An 8-bit RGB PNG with a deterministic gradient/checker pattern. */
export function makePng(width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`bad PNG size ${width}x${height}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // no interlace
  const stride = width * 3 + 1;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const o = row + 1 + x * 3;
      const checker = ((x >> 5) + (y >> 5)) & 1;
      raw[o] = (x * 255 / Math.max(1, width - 1)) | 0;
      raw[o + 1] = (y * 255 / Math.max(1, height - 1)) | 0;
      raw[o + 2] = checker ? 200 : 40;
    }
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, pngChunk("IHDR", ihdr), pngChunk("IDAT", deflateSync(raw)), pngChunk("IEND", Buffer.alloc(0))]);
}

/** A mono 16-bit PCM WAV with a 440 Hz triangle tone (integer math only: bit-identical everywhere). */
export function makeWav(seconds: number, sampleRate = 16000): Buffer {
  const n = Math.round(seconds * sampleRate);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || n < 0) throw new Error("bad WAV parameters");
  const dataBytes = n * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write("RIFF", 0, "ascii");
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write("WAVE", 8, "ascii");
  buf.write("fmt ", 12, "ascii");
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write("data", 36, "ascii");
  buf.writeUInt32LE(dataBytes, 40);
  const freq = 440;
  const amp = 8000;
  for (let i = 0; i < n; i++) {
    // phase in [0, sampleRate) advancing by freq per sample
    const phase = (i * freq) % sampleRate;
    const tri = phase < sampleRate / 2 ? (4 * phase) / sampleRate - 1 : 3 - (4 * phase) / sampleRate; // -1..1
    buf.writeInt16LE(Math.round(tri * amp), 44 + i * 2);
  }
  return buf;
}

export interface ToneWav {
  seconds: number;
  sampleRate: number;
  /** Each channel's sine frequency in Hz (0: silence), at amplitude 0.5. */
  tones: number[];
  encoding?: "pcm" | "float";
  bitsPerSample?: 8 | 16 | 24 | 32 | 64;
  /** Write the format as WAVE_FORMAT_EXTENSIBLE, as many recorders do. */
  extensible?: boolean;
  /** Chunks before the data (a recorder's LIST/bext metadata), each as [id, bytes]. */
  before?: [string, Buffer][];
  /** What the data chunk says its size is (0 or 0xFFFFFFFF: a recording that was not finalized). */
  declaredDataBytes?: number;
}

/** A WAV of sine tones in any of the formats recorders write (float math: for tests with a tolerance). */
export function makeToneWav(o: ToneWav): Buffer {
  const encoding = o.encoding ?? "pcm";
  const bits = o.bitsPerSample ?? (encoding === "float" ? 32 : 16);
  const channels = o.tones.length;
  const bytes = bits / 8;
  const frames = Math.round(o.seconds * o.sampleRate);
  const data = Buffer.alloc(frames * channels * bytes);
  for (let i = 0, at = 0; i < frames; i++) {
    for (const freq of o.tones) {
      const v = freq ? 0.5 * Math.sin((2 * Math.PI * freq * i) / o.sampleRate) : 0;
      if (encoding === "float") bits === 64 ? data.writeDoubleLE(v, at) : data.writeFloatLE(v, at);
      else if (bits === 8) data[at] = Math.round(v * 127) + 128;
      else if (bits === 16) data.writeInt16LE(Math.round(v * 32767), at);
      else if (bits === 24) data.writeIntLE(Math.round(v * 8388607), at, 3);
      else data.writeInt32LE(Math.round(v * 2147483647), at);
      at += bytes;
    }
  }
  const fmt = Buffer.alloc(o.extensible ? 40 : 16);
  fmt.writeUInt16LE(o.extensible ? 0xfffe : encoding === "float" ? 3 : 1, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(o.sampleRate, 4);
  fmt.writeUInt32LE(o.sampleRate * channels * bytes, 8);
  fmt.writeUInt16LE(channels * bytes, 12);
  fmt.writeUInt16LE(bits, 14);
  if (o.extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(bits, 18);
    fmt.writeUInt16LE(encoding === "float" ? 3 : 1, 24); // the sub-format GUID's first two bytes
  }
  const chunk = (id: string, body: Buffer, size = body.length) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, "latin1");
    head.writeUInt32LE(size, 4);
    return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
  };
  const body = Buffer.concat([
    Buffer.from("WAVE", "latin1"),
    chunk("fmt ", fmt),
    ...(o.before ?? []).map(([id, b]) => chunk(id, b)),
    chunk("data", data, o.declaredDataBytes ?? data.length),
  ]);
  return Buffer.concat([chunk("RIFF", body).subarray(0, 8), body]);
}

/** The samples of a 16-bit mono PCM WAV with a 44-byte header, in [-1, 1). */
export function wavSamples(wav: Buffer): Float32Array {
  const n = (wav.length - 44) / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = wav.readInt16LE(44 + i * 2) / 32768;
  return out;
}

/** The amplitude of the `freq` Hz component of `samples` (a single-bin DFT), ignoring the first and last 0.1 s. */
export function toneAmplitude(samples: Float32Array, sampleRate: number, freq: number): number {
  const skip = Math.floor(sampleRate / 10);
  let re = 0;
  let im = 0;
  const n = samples.length - 2 * skip;
  for (let i = skip; i < samples.length - skip; i++) {
    re += samples[i] * Math.cos((2 * Math.PI * freq * i) / sampleRate);
    im -= samples[i] * Math.sin((2 * Math.PI * freq * i) / sampleRate);
  }
  return (2 * Math.hypot(re, im)) / n;
}
