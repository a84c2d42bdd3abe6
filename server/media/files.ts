/**
 * Reads user media for the engine: sniffs the real format from the bytes (not the extension), enforces size
 * limits before anything is base64-encoded, converts audio the engine cannot decode itself (m4a, ogg, opus,
 * webm…) to 16 kHz mono WAV with ffmpeg when it is installed, or macOS's afconvert (Ogg Opus and Vorbis without
 * either: decode.ts),
 * and WAV at other rates or channels to 16 kHz mono itself (wav.ts).
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { RequestCancelledError } from "../engine/client";
import { HearthFailure } from "../errors";
import { canDecode, decodeToSpeechWav, UNSUPPORTED_OGG } from "./decode";
import { sniffMedia, type MediaKind } from "./sniff";
import { isSpeechFormat, MAX_WAV_SAMPLE_RATE, parseWavHeader, readWavFormat, SPEECH_SAMPLE_RATE, speechHours, speechWavBytes, toSpeechWav, type WavFormat } from "./wav";

export const MAX_IMAGE_BYTES = 25 * 1024 * 1024;
export const MAX_AUDIO_BYTES = 300 * 1024 * 1024;

export interface MediaData {
  kind: "image" | "audio";
  mimeType: string;
  /** The engine's name for the format (input_audio "format"). */
  format: string;
  bytes: Buffer;
}

const run = promisify(execFile);

/** The engine's name for each format (input_audio "format"). */
const FORMAT: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/gif": "gif",
  "image/bmp": "bmp",
  "image/webp": "webp",
  "audio/wav": "wav",
  "audio/flac": "flac",
  "audio/mpeg": "mp3",
};

function sniff(buf: Uint8Array, kind: MediaKind): { mimeType: string; format: string } | undefined {
  const media = sniffMedia(buf);
  return media?.kind === kind ? { mimeType: media.mimeType, format: FORMAT[media.mimeType] } : undefined;
}

export const sniffImage = (buf: Uint8Array) => sniff(buf, "image");
/** Formats llama.cpp's miniaudio decodes directly. */
export const sniffAudio = (buf: Uint8Array) => sniff(buf, "audio");

/** Containers we can hand to ffmpeg (by magic bytes). */
export function looksLikeOtherAudio(buf: Buffer): string | undefined {
  if (buf.length >= 4 && buf.toString("latin1", 0, 4) === "OggS") return "ogg";
  if (buf.length >= 12 && buf.toString("latin1", 4, 8) === "ftyp") return "m4a";
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0x1a45dfa3) return "webm";
  return undefined;
}

export async function readImageFile(file: string): Promise<MediaData> {
  const bytes = await readLimited(file, MAX_IMAGE_BYTES, "image");
  return imageFromBytes(bytes, file);
}

export function imageFromBytes(bytes: Buffer, name = "the image"): MediaData {
  const type = sniffImage(bytes);
  if (!type) {
    throw new HearthFailure({
      code: "unsupported-media",
      message: `${name} is not a PNG, JPEG, WebP, GIF or BMP image (its content does not match any of them).`,
    });
  }
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new HearthFailure({ code: "media-too-large", message: `${name} is ${mb(bytes.length)} MB; images up to ${mb(MAX_IMAGE_BYTES)} MB are accepted. Crop or scale it down.` });
  }
  return { kind: "image", bytes, ...type };
}

export async function readAudioFile(file: string, signal?: AbortSignal): Promise<MediaData> {
  const converted = await readWavAsSpeech(file, signal);
  if (converted) return { kind: "audio", bytes: converted, mimeType: "audio/wav", format: "wav" };
  const bytes = await readLimited(file, MAX_AUDIO_BYTES, "recording");
  const type = sniffAudio(bytes);
  if (type) return { kind: "audio", bytes, ...type };
  const other = looksLikeOtherAudio(bytes);
  if (!other) {
    throw new HearthFailure({
      code: "unsupported-media",
      message: `${file} is not an audio file Hearth can read (wav, mp3, flac, ogg and opus; m4a and webm with ffmpeg installed, m4a on macOS without it).`,
    });
  }
  return { kind: "audio", bytes: await convertRecording(file, other, bytes, signal), mimeType: "audio/wav", format: "wav" };
}

/**
 * A recording as 16 kHz mono 16-bit PCM WAV, for cutting into parts: a WAV as read (readAudioFile converts
 * every other WAV), an mp3 or flac decoded here (the engine decodes those itself when they are sent whole).
 */
export async function asSpeechWav(audio: MediaData, name: string, signal?: AbortSignal, seconds?: number): Promise<Buffer> {
  if (audio.format === "mp3" || audio.format === "flac") {
    // (the engine counted it: a recording longer than Hearth reads is refused before minutes of decoding)
    if (seconds && seconds * 2 * SPEECH_SAMPLE_RATE > MAX_AUDIO_BYTES) {
      throw new HearthFailure({ code: "media-too-large", message: `${name} is ${speechHours(seconds * 2 * SPEECH_SAMPLE_RATE)} hours long; recordings up to ${speechHours(MAX_AUDIO_BYTES)} hours are accepted. Split it.` });
    }
    return decodeToSpeechWav(audio.bytes, audio.format, name, MAX_AUDIO_BYTES, signal, seconds);
  }
  return audio.bytes;
}

/**
 * A WAV file that is not 16 kHz mono 16-bit PCM, converted to it (streamed: the file may be larger than other
 * recordings, up to RIFF's 4 GB); undefined for anything else, read as it is.
 */
async function readWavAsSpeech(file: string, signal?: AbortSignal): Promise<Buffer | undefined> {
  let wav: WavFormat | undefined;
  try {
    const handle = await fs.open(file, "r");
    try {
      const size = (await handle.stat()).size;
      const read = async (offset: number, length: number) => {
        const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, offset);
        return buffer.subarray(0, bytesRead);
      };
      wav = await readWavFormat(read, size);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // readLimited says what is wrong with the file
  }
  if (!wav || isSpeechFormat(wav)) return undefined;
  if (wav.sampleRate > MAX_WAV_SAMPLE_RATE) {
    throw new HearthFailure({
      code: "unsupported-media",
      message: `${file} is recorded at ${wav.sampleRate.toLocaleString("en-US")} Hz; WAV up to ${MAX_WAV_SAMPLE_RATE.toLocaleString("en-US")} Hz is read. Export it at 48 kHz (or as mp3).`,
    });
  }
  const limit = MAX_AUDIO_BYTES - 44;
  if (speechWavBytes(wav) > MAX_AUDIO_BYTES) {
    throw new HearthFailure({
      code: "media-too-large",
      message: `${file} is ${speechHours(speechWavBytes(wav))} hours long; recordings up to ${speechHours(limit)} hours are accepted (as 16 kHz mono, ${mb(MAX_AUDIO_BYTES)} MB). Split it.`,
    });
  }
  try {
    return await toSpeechWav(file, wav, signal);
  } catch (err) {
    if (err instanceof RequestCancelledError) throw err;
    throw new HearthFailure({ code: "unreadable-media", message: `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** A program that turns a recording into a 16 kHz mono 16-bit WAV. */
export interface AudioConverter {
  name: string;
  command: string;
  args(input: string, output: string): string[];
  /** The containers (looksLikeOtherAudio's names) it reads. */
  formats: readonly string[];
}

/**
 * The converters tried, in order: ffmpeg (any format; `HEARTH_FFMPEG` names it when it is not on the PATH),
 * and on macOS the system's own afconvert, which reads m4a/mp4 (Voice Memos, QuickTime, Zoom) without
 * anything installed.
 */
export function audioConverters(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): AudioConverter[] {
  const list: AudioConverter[] = [
    {
      name: "ffmpeg",
      command: env.HEARTH_FFMPEG || "ffmpeg",
      args: (i, o) => ["-nostdin", "-loglevel", "error", "-i", i, "-vn", "-ac", "1", "-ar", String(SPEECH_SAMPLE_RATE), "-f", "wav", o],
      formats: ["ogg", "m4a", "webm"],
    },
  ];
  if (platform === "darwin") {
    list.push({ name: "afconvert", command: "/usr/bin/afconvert", args: (i, o) => ["-f", "WAVE", "-d", `LEI16@${SPEECH_SAMPLE_RATE}`, "-c", "1", i, o], formats: ["m4a"] });
  }
  return list;
}

/**
 * A recording the engine cannot read (`format`: looksLikeOtherAudio's name), as 16 kHz mono WAV: by the
 * first converter installed that reads it; an Ogg Opus or Vorbis recording without one is decoded here.
 */
export async function convertRecording(file: string, format: string, bytes: Buffer, signal?: AbortSignal, converters = audioConverters()): Promise<Buffer> {
  const usable = converters.filter((c) => c.formats.includes(format));
  for (const c of usable) {
    const out = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "hearth-audio-")), "audio.wav");
    try {
      await run(c.command, c.args(file, out), { maxBuffer: 1 << 20, signal });
      const wav = await fs.readFile(out);
      if (!(await parseWavHeader(wav))) throw new Error("it wrote no WAV");
      return wav;
    } catch (err) {
      if (signal?.aborted) throw new RequestCancelledError();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EACCES") continue; // not installed (or not a program): the next one
      throw new HearthFailure({ code: "unreadable-media", message: `${c.name} could not decode ${file}: ${(err as Error).message.split("\n").find((l) => l.trim() && !l.startsWith("Command failed")) ?? (err as Error).message}` });
    } finally {
      await fs.rm(path.dirname(out), { recursive: true, force: true });
    }
  }
  if (format === "ogg" && canDecode("ogg", bytes)) return decodeToSpeechWav(bytes, "ogg", path.basename(file), MAX_AUDIO_BYTES, signal);
  if (format === "ogg") throw new HearthFailure({ code: "unsupported-media", message: UNSUPPORTED_OGG(path.basename(file), true) });
  const names = usable.map((c) => c.name);
  const configured = process.env.HEARTH_FFMPEG ? ` (HEARTH_FFMPEG is ${process.env.HEARTH_FFMPEG}: no program there)` : "";
  throw new HearthFailure({
    code: "unsupported-media",
    message:
      `${path.basename(file)} is ${format} audio, which needs ${names.join(" or ")} to decode${configured}: install ffmpeg (apt install ffmpeg / brew install ffmpeg / winget install ffmpeg) ` +
      "or convert it to wav, mp3, flac or ogg.",
  });
}

async function readLimited(file: string, limit: number, what: string): Promise<Buffer> {
  let size: number;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new Error("not a file");
    size = stat.size;
  } catch {
    throw new HearthFailure({ code: "unreadable-media", message: `Cannot read the ${what} ${file}: no such file.` });
  }
  if (size > limit) {
    throw new HearthFailure({ code: "media-too-large", message: `${file} is ${mb(size)} MB; a ${what} up to ${mb(limit)} MB is accepted.` });
  }
  if (size === 0) throw new HearthFailure({ code: "unreadable-media", message: `${file} is empty.` });
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new HearthFailure({ code: "unreadable-media", message: `Cannot read ${file}: ${(err as Error).message}` });
  }
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
