// Compressed recordings for tests, made here (no fixtures can be downloaded): mp3 and Ogg Vorbis with
// wasm-media-encoders (LAME, libvorbis), Ogg Opus with opusscript (libopus) in Ogg pages written by hand, and
// FLAC written by hand with verbatim subframes (valid FLAC that any decoder reads, just not compressed).
import OpusScript from "opusscript";
import { createMp3Encoder, createOggEncoder } from "wasm-media-encoders";

export interface Tone {
  seconds: number;
  sampleRate: number;
  /** Each channel's sine frequency in Hz (0: silence), at amplitude 0.5. */
  tones: number[];
}

function channels(o: Tone): Float32Array[] {
  const frames = Math.round(o.seconds * o.sampleRate);
  return o.tones.map((freq) => {
    const c = new Float32Array(frames);
    if (freq) for (let i = 0; i < frames; i++) c[i] = 0.5 * Math.sin((2 * Math.PI * freq * i) / o.sampleRate);
    return c;
  });
}

const BLOCK = 4096;

export async function makeMp3(o: Tone, bitrate: 64 | 128 = 64): Promise<Buffer> {
  const enc = await createMp3Encoder();
  enc.configure({ sampleRate: o.sampleRate, channels: o.tones.length as 1 | 2, bitrate });
  const pcm = channels(o);
  const out: Buffer[] = [];
  for (let i = 0; i < pcm[0].length; i += BLOCK) out.push(Buffer.from(enc.encode(pcm.map((c) => c.subarray(i, i + BLOCK)))));
  out.push(Buffer.from(enc.finalize()));
  return Buffer.concat(out);
}

export async function makeOggVorbis(o: Tone): Promise<Buffer> {
  const enc = await createOggEncoder();
  enc.configure({ sampleRate: o.sampleRate, channels: o.tones.length as 1 | 2, vbrQuality: 3 });
  const pcm = channels(o);
  const out: Buffer[] = [];
  for (let i = 0; i < pcm[0].length; i += BLOCK) out.push(Buffer.from(enc.encode(pcm.map((c) => c.subarray(i, i + BLOCK)))));
  out.push(Buffer.from(enc.finalize()));
  return Buffer.concat(out);
}

// ---- Ogg Opus (RFC 7845): OpusHead, OpusTags, then one 20 ms packet per page ----

const OGG_CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function oggPage(packet: Buffer, o: { serial: number; seq: number; granule: bigint; first?: boolean; last?: boolean }): Buffer {
  const lacing: number[] = [];
  let left = packet.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  const head = Buffer.alloc(27 + lacing.length);
  head.write("OggS", 0, "latin1");
  head[5] = (o.first ? 2 : 0) | (o.last ? 4 : 0);
  head.writeBigInt64LE(o.granule, 6);
  head.writeUInt32LE(o.serial, 14);
  head.writeUInt32LE(o.seq, 18);
  head[26] = lacing.length;
  lacing.forEach((l, i) => (head[27 + i] = l));
  const page = Buffer.concat([head, packet]);
  let crc = 0;
  for (const b of page) crc = ((crc << 8) ^ OGG_CRC[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  page.writeUInt32LE(crc, 22);
  return page;
}

/** Ogg Opus at 48 kHz (Opus's own rate), `o.sampleRate` recorded in the header as the input rate. */
export function makeOggOpus(o: Tone & { serial?: number }): Buffer {
  const nch = o.tones.length;
  const enc = new OpusScript(48000, nch as 1 | 2, OpusScript.Application.AUDIO);
  const PRE_SKIP = 312;
  const headPacket = Buffer.alloc(19);
  headPacket.write("OpusHead", 0, "latin1");
  headPacket[8] = 1;
  headPacket[9] = nch;
  headPacket.writeUInt16LE(PRE_SKIP, 10);
  headPacket.writeUInt32LE(o.sampleRate, 12);
  const vendor = Buffer.from("hearth-tests", "latin1");
  const tags = Buffer.concat([Buffer.from("OpusTags", "latin1"), Buffer.alloc(4), vendor, Buffer.alloc(4)]);
  tags.writeUInt32LE(vendor.length, 8);
  const serial = o.serial ?? 0x48454152;
  const pages = [oggPage(headPacket, { serial, seq: 0, granule: 0n, first: true }), oggPage(tags, { serial, seq: 1, granule: 0n })];
  const pcm = channels({ ...o, sampleRate: 48000 });
  const FRAME = 960;
  const frames = Math.ceil(pcm[0].length / FRAME);
  for (let f = 0; f < frames; f++) {
    const interleaved = new Int16Array(FRAME * nch);
    for (let i = 0; i < FRAME; i++) for (let c = 0; c < nch; c++) interleaved[i * nch + c] = Math.round((pcm[c][f * FRAME + i] ?? 0) * 32767);
    const packet = Buffer.from(enc.encode(Buffer.from(interleaved.buffer), FRAME));
    pages.push(oggPage(packet, { serial, seq: pages.length, granule: BigInt(PRE_SKIP + (f + 1) * FRAME), last: f === frames - 1 }));
  }
  enc.delete();
  return Buffer.concat(pages);
}

// ---- FLAC, verbatim subframes, 16-bit ----

function crc8(b: Uint8Array): number {
  let c = 0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  }
  return c;
}

function crc16(b: Uint8Array): number {
  let c = 0;
  for (const x of b) {
    c ^= x << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

/** FLAC's UTF-8-like coding of a frame number. */
function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  if (n < 0x800) return [0xc0 | (n >> 6), 0x80 | (n & 0x3f)];
  return [0xe0 | (n >> 12), 0x80 | ((n >> 6) & 0x3f), 0x80 | (n & 0x3f)];
}

export function makeFlac(o: Tone): Buffer {
  const pcm = channels(o);
  const nch = pcm.length;
  const total = pcm[0].length;
  const BLOCK_SIZE = 4096;
  const info = Buffer.alloc(34);
  info.writeUInt16BE(BLOCK_SIZE, 0);
  info.writeUInt16BE(BLOCK_SIZE, 2);
  // sample rate (20 bits) | channels - 1 (3) | bits - 1 (5) | total samples (36)
  const packed = (BigInt(o.sampleRate) << 44n) | (BigInt(nch - 1) << 41n) | (15n << 36n) | BigInt(total);
  info.writeBigUInt64BE(packed, 10);
  const header = Buffer.from([0x80, 0, 0, 34]); // the last metadata block: STREAMINFO
  const frames: Buffer[] = [];
  for (let f = 0, at = 0; at < total; f++, at += BLOCK_SIZE) {
    const n = Math.min(BLOCK_SIZE, total - at);
    // sync + fixed blocking; block size and rate (in Hz) from the end of the header, 16 bits each; channels; 16-bit
    // (in Hz up to 65,535, else in tens of Hz)
    const [code, value] = o.sampleRate <= 0xffff ? [0xd, o.sampleRate] : [0xe, o.sampleRate / 10];
    const head = Buffer.from([0xff, 0xf8, 0x70 | code, ((nch - 1) << 4) | 0x08, ...utf8Number(f), (n - 1) >> 8, (n - 1) & 0xff, value >> 8, value & 0xff]);
    const body = Buffer.alloc(nch * (1 + 2 * n));
    let p = 0;
    for (const c of pcm) {
      body[p++] = 0x02; // verbatim subframe, no wasted bits
      for (let i = 0; i < n; i++, p += 2) body.writeInt16BE(Math.round(c[at + i] * 32767), p);
    }
    const frame = Buffer.concat([head, Buffer.from([crc8(head)]), body]);
    const crc = Buffer.alloc(2);
    crc.writeUInt16BE(crc16(frame));
    frames.push(frame, crc);
  }
  return Buffer.concat([Buffer.from("fLaC", "latin1"), header, info, ...frames]);
}
