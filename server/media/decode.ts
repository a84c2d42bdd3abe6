/**
 * Compressed recordings (mp3, flac, Ogg Vorbis, Ogg Opus) decoded in the host to 16 kHz mono 16-bit PCM WAV,
 * what Gemma 4 hears, with WebAssembly builds of mpg123, libFLAC, libvorbis and libopus (wasm-audio-decoders,
 * bundled: no ffmpeg needed). Used where the engine's own decoding is not enough: an Ogg recording without
 * ffmpeg (the engine reads wav, mp3 and flac only), and an mp3 or flac longer than the context, which the
 * host must hold as samples to cut into parts (meetingParts.ts).
 *
 * Streamed: the file is fed in slices, each slice's audio mixed down, resampled (libsamplerate's sinc, as
 * for WAV) and appended, yielding between slices so the host keeps answering.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import LibSampleRate from "@alexanderolsen/libsamplerate-js";
import { FLACDecoder } from "@wasm-audio-decoders/flac";
import { OggVorbisDecoder } from "@wasm-audio-decoders/ogg-vorbis";
import { MPEGDecoder } from "mpg123-decoder";
import { OggOpusDecoder } from "ogg-opus-decoder";
import { RequestCancelledError } from "../engine/client";
import { HearthFailure } from "../errors";
import { SPEECH_SAMPLE_RATE, speechWavHeader } from "./wav";

export type CompressedAudio = "mp3" | "flac" | "ogg";

/** Bytes of the file fed to the decoder at a time. */
const SLICE_BYTES = 256 * 1024;

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

function decoderFor(format: CompressedAudio, bytes: Uint8Array): StreamDecoder | undefined {
  if (format === "mp3") return new MPEGDecoder();
  if (format === "flac") return new FLACDecoder();
  const codec = oggCodec(bytes);
  if (codec === "opus") return new OggOpusDecoder();
  if (codec === "vorbis") return new OggVorbisDecoder();
  return undefined;
}

/** Whether `decodeToSpeechWav` can decode this file (an Ogg stream may hold a codec it cannot). */
export function canDecode(format: CompressedAudio, bytes: Uint8Array): boolean {
  return format !== "ogg" || oggCodec(bytes) !== undefined;
}

/**
 * `bytes` (a whole mp3, flac or Ogg file) as a 16 kHz mono 16-bit PCM WAV of at most `maxBytes`. `name`
 * names the file in errors: undecodable audio is `unreadable-media`, a longer recording `media-too-large`.
 */
export async function decodeToSpeechWav(bytes: Uint8Array, format: CompressedAudio, name: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  const decoder = decoderFor(format, bytes);
  if (!decoder) throw new HearthFailure({ code: "unsupported-media", message: `${name} is an Ogg recording in a codec Hearth does not decode (Opus and Vorbis are): convert it to wav, mp3 or flac.` });
  const out = new SpeechOutput(name, maxBytes);
  try {
    await decoder.ready;
    for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
      if (signal?.aborted) throw new RequestCancelledError();
      await out.add(await decoder.decode(bytes.subarray(at, at + SLICE_BYTES)));
      await yieldToEventLoop();
    }
    if (decoder.flush) await out.add(await decoder.flush());
  } finally {
    decoder.free();
    out.destroy();
  }
  return out.wav();
}

/** Decoded audio mixed down, resampled to 16 kHz and kept as 16-bit samples. */
class SpeechOutput {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private rate = 0;
  private decodedFrames = 0;
  private errors = 0;
  private src: Awaited<ReturnType<typeof LibSampleRate.create>> | undefined;

  constructor(
    private readonly name: string,
    private readonly maxBytes: number,
  ) {}

  async add(d: Decoded): Promise<void> {
    this.errors += d.errors.length;
    if (!d.samplesDecoded) return;
    if (!this.rate) {
      this.rate = d.sampleRate;
      if (this.rate !== SPEECH_SAMPLE_RATE) {
        this.src = await LibSampleRate.create(1, this.rate, SPEECH_SAMPLE_RATE, { converterType: LibSampleRate.ConverterType.SRC_SINC_FASTEST });
      }
    } else if (d.sampleRate !== this.rate) {
      throw new HearthFailure({ code: "unreadable-media", message: `${this.name} changes sample rate mid-recording (${this.rate} Hz, then ${d.sampleRate} Hz): convert it to wav first.` });
    }
    this.decodedFrames += d.samplesDecoded;
    const mono = new Float32Array(d.samplesDecoded);
    for (const channel of d.channelData) for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / d.channelData.length;
    // (libsamplerate-js splits a long call into pieces itself, which fails for some rates: keep calls short)
    for (let i = 0; i < mono.length; i += 65536) this.append(this.src ? this.src.full(mono.subarray(i, i + 65536)) : mono.subarray(i, i + 65536));
  }

  private append(samples: Float32Array): void {
    if (this.bytes + samples.length * 2 > this.maxBytes) {
      const hours = (n: number) => (n / (2 * SPEECH_SAMPLE_RATE) / 3600).toFixed(1);
      throw new HearthFailure({ code: "media-too-large", message: `${this.name} is longer than ${hours(this.maxBytes)} hours, the longest recording Hearth reads: split it.` });
    }
    const chunk = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) chunk.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), i * 2);
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  wav(): Buffer {
    if (!this.decodedFrames) {
      throw new HearthFailure({
        code: "unreadable-media",
        message: `${this.name} holds no audio Hearth can decode${this.errors ? ` (${this.errors} damaged frame${this.errors === 1 ? "" : "s"})` : ""}: is the file complete?`,
      });
    }
    return Buffer.concat([speechWavHeader(this.bytes), ...this.chunks]);
  }

  destroy(): void {
    this.src?.destroy();
    this.src = undefined;
  }
}
