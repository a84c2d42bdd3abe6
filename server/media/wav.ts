/**
 * WAV recordings at another rate or channel count (48 kHz stereo from OBS, 44.1 kHz from Audacity, 24-bit or
 * float from a DAW) become 16 kHz mono 16-bit PCM in the host, which is what Gemma 4 hears: the engine would
 * resample them to that anyway. Sent as base64 inside JSON, a 48 kHz stereo hour is 1.5 GB; as 16 kHz mono it
 * is 154 MB, within the engine's request limit, with 6× less to encode, send and parse.
 *
 * Streamed from disk a block at a time, so a WAV of any length (up to RIFF's 4 GB) is never read whole, and
 * the host yields between blocks so completions keep being answered while an hour is converted (≈ 25 s).
 * Resampling is libsamplerate's fastest sinc converter (about 97 dB of alias rejection).
 */
import fs from "node:fs/promises";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import LibSampleRate from "@alexanderolsen/libsamplerate-js";
import { RequestCancelledError } from "../engine/client";

/** What Gemma 4's audio input is: 16 kHz mono (40 ms frames, 25 tokens per second). */
export const SPEECH_SAMPLE_RATE = 16000;

export interface WavFormat {
  /** Integer PCM (8-bit unsigned, 16/24/32-bit signed) or IEEE float (32/64-bit). */
  encoding: "pcm" | "float";
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Where the samples start in the file, and how many bytes of whole frames follow. */
  dataOffset: number;
  dataBytes: number;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * The sample format of a WAV file, walking its chunks with `read` (bytes at an offset: the file's, or a
 * buffer's), so metadata chunks of any size before the samples (a recorder's bext, iXML, cover art) are
 * stepped over. Undefined for a WAV this module does not convert: compressed encodings (ADPCM, µ-law…) the
 * engine decodes itself, or a header it cannot read (the engine then says what is wrong with the file).
 */
export async function readWavFormat(read: (offset: number, length: number) => Promise<Buffer>, fileSize: number): Promise<WavFormat | undefined> {
  const riff = await read(0, 12);
  if (riff.length < 12 || riff.toString("latin1", 0, 4) !== "RIFF" || riff.toString("latin1", 8, 12) !== "WAVE") return undefined;
  let fmt: Omit<WavFormat, "dataOffset" | "dataBytes"> | undefined;
  for (let at = 12, chunks = 0; at + 8 <= fileSize && chunks < MAX_CHUNKS; chunks++) {
    const head = await read(at, 8);
    if (head.length < 8) return undefined;
    const id = head.toString("latin1", 0, 4);
    const size = head.readUInt32LE(4);
    const body = at + 8;
    if (id === "fmt " && size >= 16) {
      const f = await read(body, Math.min(size, 40));
      if (f.length < 16) return undefined;
      let tag = f.readUInt16LE(0);
      if (tag === WAVE_FORMAT_EXTENSIBLE && f.length >= 26) tag = f.readUInt16LE(24); // the sub-format GUID's first two bytes
      const encoding = tag === WAVE_FORMAT_PCM ? "pcm" : tag === WAVE_FORMAT_IEEE_FLOAT ? "float" : undefined;
      const channels = f.readUInt16LE(2);
      const sampleRate = f.readUInt32LE(4);
      const bitsPerSample = f.readUInt16LE(14);
      const known = encoding === "pcm" ? [8, 16, 24, 32].includes(bitsPerSample) : encoding === "float" && [32, 64].includes(bitsPerSample);
      if (!encoding || !known || channels < 1 || sampleRate < 1000) return undefined;
      fmt = { encoding, channels, sampleRate, bitsPerSample };
    } else if (id === "data") {
      if (!fmt) return undefined; // samples before their format: sent as they are, the engine reads such files
      const frame = fmt.channels * (fmt.bitsPerSample / 8);
      // Recorders that stream (or were stopped) leave the size 0 or 0xFFFFFFFF: the samples run to the end of the file.
      const declared = size === 0 || size === 0xffffffff || body + size > fileSize ? fileSize - body : size;
      return { ...fmt, dataOffset: body, dataBytes: declared - (declared % frame) };
    }
    at = body + size + (size % 2); // chunks are padded to an even length
  }
  return undefined;
}

/** {@link readWavFormat} of a WAV file held in memory. */
export function parseWavHeader(wav: Buffer): Promise<WavFormat | undefined> {
  return readWavFormat(async (offset, length) => wav.subarray(offset, offset + length), wav.length);
}

/** Chunks looked at before the samples, at most (a damaged file could chain tiny ones forever). */
const MAX_CHUNKS = 1000;

/** Already what the engine hears: sent as it is. */
export function isSpeechFormat(f: WavFormat): boolean {
  return f.encoding === "pcm" && f.channels === 1 && f.sampleRate === SPEECH_SAMPLE_RATE && f.bitsPerSample === 16;
}

/** How many bytes the 16 kHz mono 16-bit WAV of `f` takes (a few samples more than it will). */
export function speechWavBytes(f: WavFormat): number {
  const frames = f.dataBytes / (f.channels * (f.bitsPerSample / 8));
  return 44 + 2 * (Math.ceil((frames * SPEECH_SAMPLE_RATE) / f.sampleRate) + 64);
}

/** Frames read per block: 10 s at 48 kHz, about 70 ms of resampling between yields. */
const BLOCK_FRAMES = 480_000;
/**
 * The most output samples one block may make: libsamplerate-js splits a call that would make more into pieces
 * of its own, which fails for rates that are not a multiple of 10 (5,512 Hz, say).
 */
const MAX_BLOCK_OUTPUT = 1_000_000;
/** The highest rate libsamplerate takes. */
export const MAX_WAV_SAMPLE_RATE = 192_000;

/** The recording in `file` (of format `f`) as a 16 kHz mono 16-bit PCM WAV. */
export async function toSpeechWav(file: string, f: WavFormat, signal?: AbortSignal): Promise<Buffer> {
  const out = Buffer.alloc(speechWavBytes(f));
  let written = 44;
  const frameBytes = f.channels * (f.bitsPerSample / 8);
  const blockFrames = Math.min(BLOCK_FRAMES, Math.floor((MAX_BLOCK_OUTPUT * f.sampleRate) / SPEECH_SAMPLE_RATE));
  const block = Buffer.alloc(blockFrames * frameBytes);
  const handle = await fs.open(file, "r");
  let src: Awaited<ReturnType<typeof LibSampleRate.create>> | undefined;
  try {
    if (f.sampleRate !== SPEECH_SAMPLE_RATE) {
      src = await LibSampleRate.create(1, f.sampleRate, SPEECH_SAMPLE_RATE, { converterType: LibSampleRate.ConverterType.SRC_SINC_FASTEST });
    }
    for (let done = 0; done < f.dataBytes; ) {
      if (signal?.aborted) throw new RequestCancelledError();
      const want = Math.min(block.length, f.dataBytes - done);
      const { bytesRead } = await handle.read(block, 0, want, f.dataOffset + done);
      if (bytesRead === 0) break; // the file shrank while being read: keep what was there
      const frames = Math.floor(bytesRead / frameBytes);
      const mono = downmix(block, frames, f);
      const resampled = src ? src.full(mono) : mono;
      for (let i = 0; i < resampled.length && written + 2 <= out.length; i++, written += 2) {
        out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(resampled[i] * 32768))), written);
      }
      done += frames * frameBytes;
      if (frames * frameBytes < want) break;
      await yieldToEventLoop();
    }
  } finally {
    await handle.close();
    src?.destroy();
  }
  speechWavHeader(written - 44).copy(out, 0);
  return out.subarray(0, written);
}

/** `frames` frames of `buf` as mono samples in [-1, 1): the channels' mean. */
function downmix(buf: Buffer, frames: number, f: WavFormat): Float32Array {
  const bytes = f.bitsPerSample / 8;
  const read = sampleReader(f);
  const mono = new Float32Array(frames);
  for (let i = 0, at = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < f.channels; c++, at += bytes) sum += read(buf, at);
    mono[i] = sum / f.channels;
  }
  return mono;
}

function sampleReader(f: WavFormat): (buf: Buffer, at: number) => number {
  if (f.encoding === "float") return f.bitsPerSample === 64 ? (b, at) => b.readDoubleLE(at) : (b, at) => b.readFloatLE(at);
  switch (f.bitsPerSample) {
    case 8:
      return (b, at) => (b[at] - 128) / 128; // 8-bit WAV is unsigned
    case 16:
      return (b, at) => b.readInt16LE(at) / 32768;
    case 24:
      return (b, at) => b.readIntLE(at, 3) / 8388608;
    default:
      return (b, at) => b.readInt32LE(at) / 2147483648;
  }
}

/** How long `bytes` of 16 kHz mono 16-bit samples play, in hours with one decimal ("2.7"), for refusals. */
export function speechHours(bytes: number): string {
  return (bytes / (2 * SPEECH_SAMPLE_RATE) / 3600).toFixed(1);
}

/** The 44-byte header of a 16 kHz mono 16-bit PCM WAV with `dataBytes` of samples. */
export function speechWavHeader(dataBytes: number): Buffer {
  const out = Buffer.alloc(44);
  out.write("RIFF", 0, "latin1");
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write("WAVEfmt ", 8, "latin1");
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(SPEECH_SAMPLE_RATE, 24);
  out.writeUInt32LE(SPEECH_SAMPLE_RATE * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write("data", 36, "latin1");
  out.writeUInt32LE(dataBytes, 40);
  return out;
}
