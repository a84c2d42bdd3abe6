/**
 * Compressed recordings (mp3, flac, Ogg Vorbis, Ogg Opus) decoded in the host to 16 kHz mono 16-bit PCM WAV,
 * what Gemma 4 hears, with WebAssembly builds of mpg123, libFLAC, libvorbis and libopus (wasm-audio-decoders,
 * bundled: no ffmpeg needed). Used where the engine's own decoding is not enough: an Ogg recording without
 * ffmpeg (the engine reads wav, mp3 and flac only), and an mp3 or flac longer than the context, which the
 * host must hold as samples to cut into parts (meetingParts.ts).
 *
 * Streamed: the file is fed in slices sized to take ~40 ms each, each slice's audio mixed down, resampled
 * (libsamplerate's sinc, as for WAV; Opus decodes at 16 kHz itself) and appended to one buffer, yielding
 * between slices and chunks so the host keeps answering. A chained Ogg file is decoded link by link.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import LibSampleRate from "@alexanderolsen/libsamplerate-js";
import { FLACDecoder } from "@wasm-audio-decoders/flac";
import { OggVorbisDecoder } from "@wasm-audio-decoders/ogg-vorbis";
import { MPEGDecoder } from "mpg123-decoder";
import { OggOpusDecoder } from "ogg-opus-decoder";
import { RequestCancelledError } from "../engine/client";
import { HearthFailure } from "../errors";
import { MAX_WAV_SAMPLE_RATE, SPEECH_SAMPLE_RATE, speechHours, speechWavHeader } from "./wav";

export type CompressedAudio = "mp3" | "flac" | "ogg";

/** Bytes of the file fed to the decoder at first; then sized so that a slice takes about SLICE_MS. */
const FIRST_SLICE_BYTES = 32 * 1024;
const SLICE_MS = 40;
/** Samples resampled and written between yields. */
const CHUNK_SAMPLES = 32_768;

interface Decoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: { message: string }[];
}

interface StreamDecoder {
  ready: Promise<void>;
  decode(data: Uint8Array): Decoded | Promise<Decoded>;
  flush?(): Promise<Decoded>;
  free(): void;
}

/** The codec of an Ogg stream, from its first packet; undefined for one not decoded here (Ogg FLAC, Speex). */
export function oggCodec(bytes: Uint8Array): "opus" | "vorbis" | undefined {
  // The first page's header is 27 bytes plus its segment table; the first packet starts after that.
  if (bytes.length < 28 || Buffer.from(bytes.subarray(0, 4)).toString("latin1") !== "OggS") return undefined;
  const start = 27 + bytes[26];
  const head = Buffer.from(bytes.subarray(start, start + 8)).toString("latin1");
  if (head === "OpusHead") return "opus";
  if (head.startsWith("\x01vorbis")) return "vorbis";
  return undefined;
}

/**
 * An Ogg file cut into its chained streams (a recorder that starts a new stream on a pause, files joined
 * with `cat`): each starts with a beginning-of-stream page and needs a decoder of its own (the decoders
 * stop at the first stream's end).
 */
export function oggChains(bytes: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  let previousWasStart = false;
  for (const page of oggPages(bytes)) {
    // A link's beginning-of-stream pages all come first (several when multiplexed): one after any other page
    // starts a new link, whether or not the stream before it was ended properly.
    const bos = (bytes[page.at + 5] & 0x02) !== 0;
    if (bos && !previousWasStart) starts.push(page.at);
    previousWasStart = bos;
  }
  if (starts.length <= 1) return [bytes];
  return starts.map((s, i) => bytes.subarray(s, starts[i + 1] ?? bytes.length));
}

/** The pages of an Ogg file: where each starts and its granule position (skipping damaged bytes between them). */
function* oggPages(bytes: Uint8Array): Generator<{ at: number; granule: bigint }> {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = view.indexOf("OggS", 0, "latin1");
  while (at >= 0 && at + 27 <= bytes.length) {
    const segments = bytes[at + 26];
    let length = 27 + segments;
    for (let i = 0; i < segments && at + 27 + i < bytes.length; i++) length += bytes[at + 27 + i];
    yield { at, granule: view.readBigInt64LE(at + 6) };
    const next = at + length;
    at = next + 4 <= bytes.length && view.toString("latin1", next, next + 4) === "OggS" ? next : view.indexOf("OggS", next, "latin1");
  }
}

/**
 * How long an Ogg Opus or Vorbis link plays, from its last page's granule position (Opus counts at 48 kHz,
 * Vorbis at the rate in its header); 0 when it cannot tell.
 */
function oggLinkSeconds(link: Uint8Array): number {
  const codec = oggCodec(link);
  if (!codec) return 0;
  let last = 0n;
  for (const page of oggPages(link)) if (page.granule > last) last = page.granule;
  const start = 27 + link[26];
  const rate = codec === "opus" ? 48000 : Buffer.from(link.buffer, link.byteOffset, link.length).readUInt32LE(start + 12);
  return rate > 0 ? Number(last) / rate : 0;
}

function decoderFor(format: CompressedAudio, bytes: Uint8Array): StreamDecoder | undefined {
  if (format === "mp3") return new MPEGDecoder();
  if (format === "flac") return new FLACDecoder();
  const codec = oggCodec(bytes);
  // (Opus decodes at 16 kHz itself: nothing to resample)
  if (codec === "opus") return new OggOpusDecoder({ sampleRate: SPEECH_SAMPLE_RATE } as ConstructorParameters<typeof OggOpusDecoder>[0]);
  if (codec === "vorbis") return new OggVorbisDecoder();
  return undefined;
}

/**
 * A FLAC file's length as its STREAMINFO header gives it (samples per channel, and the rate), so a decode that
 * came out shorter is known to have lost audio; undefined when the header does not say (0) or is not first.
 */
export function flacStreamLength(bytes: Uint8Array): { samples: number; sampleRate: number } | undefined {
  if (bytes.length < 42 || Buffer.from(bytes.buffer, bytes.byteOffset, 4).toString("latin1") !== "fLaC" || (bytes[4] & 0x7f) !== 0) return undefined;
  const info = Buffer.from(bytes.buffer, bytes.byteOffset + 8, 34);
  const sampleRate = (info[10] << 12) | (info[11] << 4) | (info[12] >> 4);
  const samples = (info[13] & 0x0f) * 2 ** 32 + info.readUInt32BE(14);
  return samples && sampleRate ? { samples, sampleRate } : undefined;
}

/** Whether `decodeToSpeechWav` can decode this file (an Ogg stream may hold a codec it cannot). */
export function canDecode(format: CompressedAudio, bytes: Uint8Array): boolean {
  return format !== "ogg" || oggChains(bytes).every((c) => oggCodec(c) !== undefined);
}

/** `withFfmpeg`: ffmpeg would read it there (a recording); not in a chat, which has no converter. */
export const UNSUPPORTED_OGG = (name: string, withFfmpeg = false) =>
  `${name} is an Ogg recording in a codec Hearth does not decode (Opus and Vorbis are): ${withFfmpeg ? "install ffmpeg, or " : ""}convert it to wav, mp3 or flac.`;

/**
 * `bytes` (a whole mp3, flac or Ogg file) as a 16 kHz mono 16-bit PCM WAV of at most `maxBytes`. `name`
 * names the file in errors: undecodable audio is `unreadable-media`, a longer recording `media-too-large`.
 * `seconds`, when known (the engine counted the recording), sizes the output at once.
 */
export async function decodeToSpeechWav(bytes: Uint8Array, format: CompressedAudio, name: string, maxBytes: number, signal?: AbortSignal, seconds?: number): Promise<Buffer> {
  const chains = format === "ogg" ? oggChains(bytes) : [bytes];
  // (sized once when the length is known: the engine counted it, or the Ogg pages say it)
  seconds ||= format === "ogg" ? chains.reduce((sum, c) => sum + oggLinkSeconds(c), 0) : 0;
  const estimate = seconds ? Math.ceil(seconds * 1.02 + 1) * SPEECH_SAMPLE_RATE * 2 : bytes.length * 2 + 1024 * 1024;
  const out = new SpeechOutput(name, maxBytes, Math.min(maxBytes, estimate), signal);
  for (const chain of chains) {
    const decoder = decoderFor(format, chain);
    if (!decoder) throw new HearthFailure({ code: "unsupported-media", message: UNSUPPORTED_OGG(name) });
    try {
      await decoder.ready;
      let slice = FIRST_SLICE_BYTES;
      for (let at = 0; at < chain.length; ) {
        if (signal?.aborted) throw new RequestCancelledError();
        const started = performance.now();
        const piece = chain.subarray(at, at + slice);
        at += piece.length;
        await out.add(await decoder.decode(piece));
        // (decoding and resampling time grows with the audio in a slice, and that varies 20× with the bitrate)
        const ms = performance.now() - started;
        slice = Math.max(8 * 1024, Math.min(1024 * 1024, 2 * slice, Math.round((slice * SLICE_MS) / Math.max(1, ms))));
        await yieldToEventLoop();
      }
      if (decoder.flush) await out.add(await decoder.flush());
    } finally {
      try {
        decoder.free();
      } catch {
        // a decoder whose start failed has nothing to free (the error that stopped it is the one to report)
      }
      out.endOfStream();
    }
  }
  if (format === "flac") out.checkLength(flacStreamLength(bytes));
  return out.wav();
}

/** Decoded audio mixed down, resampled to 16 kHz and kept as 16-bit samples, in one growing buffer. */
class SpeechOutput {
  private buffer: Buffer;
  private bytes = 44;
  private rate = 0;
  private decodedFrames = 0;
  private errors = 0;
  private src: Awaited<ReturnType<typeof LibSampleRate.create>> | undefined;

  constructor(
    private readonly name: string,
    private readonly maxBytes: number,
    capacity: number,
    private readonly signal?: AbortSignal,
  ) {
    this.buffer = Buffer.alloc(44 + capacity);
  }

  async add(d: Decoded): Promise<void> {
    this.errors += d.errors.length;
    if (!d.samplesDecoded) return;
    if (!this.rate) {
      if (d.sampleRate > MAX_WAV_SAMPLE_RATE) {
        throw new HearthFailure({ code: "unsupported-media", message: `${this.name} is recorded at ${d.sampleRate.toLocaleString("en-US")} Hz; up to ${MAX_WAV_SAMPLE_RATE.toLocaleString("en-US")} Hz is read. Export it at 48 kHz.` });
      }
      this.rate = d.sampleRate;
      if (this.rate !== SPEECH_SAMPLE_RATE) {
        this.src = await LibSampleRate.create(1, this.rate, SPEECH_SAMPLE_RATE, { converterType: LibSampleRate.ConverterType.SRC_SINC_FASTEST });
      }
    } else if (d.sampleRate !== this.rate) {
      throw new HearthFailure({ code: "unreadable-media", message: `${this.name} changes sample rate mid-recording (${this.rate} Hz, then ${d.sampleRate} Hz): convert it to wav first.` });
    }
    this.decodedFrames += d.samplesDecoded;
    const channels = d.channelData.length;
    for (let from = 0; from < d.samplesDecoded; from += CHUNK_SAMPLES) {
      const n = Math.min(CHUNK_SAMPLES, d.samplesDecoded - from);
      const mono = new Float32Array(n);
      for (const channel of d.channelData) for (let i = 0; i < n; i++) mono[i] += channel[from + i] / channels;
      // (libsamplerate-js splits a long call into pieces itself, which fails for some rates: keep calls short)
      this.append(this.src ? this.src.full(mono) : mono);
      if (from + CHUNK_SAMPLES < d.samplesDecoded) {
        await yieldToEventLoop();
        if (this.signal?.aborted) throw new RequestCancelledError();
      }
    }
  }

  /**
   * The decoder stops or skips ahead at a damaged frame without an error (a flipped byte in a FLAC file loses
   * the rest of it): audio missing against the length the header gives would shift every later time in a
   * summary, so it is refused, with how much is missing.
   */
  checkLength(expected: { samples: number; sampleRate: number } | undefined): void {
    if (!expected || !this.decodedFrames) return;
    const missing = expected.samples - this.decodedFrames;
    // (FLAC decodes to the exact count: a second's slack is for an encoder that rounded its total)
    if (missing <= expected.sampleRate) return;
    const s = (n: number) => `${(n / expected.sampleRate).toFixed(1)} s`;
    throw new HearthFailure({
      code: "unreadable-media",
      message: `${this.name} is damaged or incomplete: ${s(this.decodedFrames)} of the ${s(expected.samples)} its header gives could be decoded. Export it again, or decode what is readable with \`flac -d -F "${this.name}"\` and use the wav it writes.`,
    });
  }

  /** A chained Ogg stream ended: the next one starts afresh (its own rate and resampler). */
  endOfStream(): void {
    this.src?.destroy();
    this.src = undefined;
    this.rate = 0;
  }

  private append(samples: Float32Array): void {
    const need = this.bytes + samples.length * 2;
    if (need - 44 > this.maxBytes) {
      throw new HearthFailure({ code: "media-too-large", message: `${this.name} is longer than ${speechHours(this.maxBytes)} hours, the longest recording Hearth reads: split it.` });
    }
    if (need > this.buffer.length) {
      const grown = Buffer.alloc(Math.min(44 + this.maxBytes, Math.max(need, this.buffer.length * 2)));
      this.buffer.copy(grown, 0, 0, this.bytes);
      this.buffer = grown;
    }
    for (let i = 0; i < samples.length; i++, this.bytes += 2) this.buffer.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), this.bytes);
  }

  wav(): Buffer {
    if (!this.decodedFrames) {
      throw new HearthFailure({
        code: "unreadable-media",
        message: `${this.name} holds no audio Hearth can decode${this.errors ? ` (${this.errors} damaged frame${this.errors === 1 ? "" : "s"})` : ""}: is the file complete?`,
      });
    }
    speechWavHeader(this.bytes - 44).copy(this.buffer, 0);
    // (an estimate well above the length: copied out, so the spare memory is not held with the recording)
    return this.buffer.length > this.bytes * 1.25 ? Buffer.from(this.buffer.subarray(0, this.bytes)) : this.buffer.subarray(0, this.bytes);
  }
}
