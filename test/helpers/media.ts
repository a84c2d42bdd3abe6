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
