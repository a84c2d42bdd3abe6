/**
 * WAV recordings as recorders write them (48 kHz stereo, 44.1 kHz, 24-bit, float, 8-bit, extensible headers,
 * metadata chunks, unfinished files) reach the engine as 16 kHz mono 16-bit PCM: the speech kept, the sound
 * above 8 kHz filtered out rather than folded down into the speech band, the length kept.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RequestCancelledError } from "../../server/engine/client";
import { HearthFailure } from "../../server/errors";
import { MAX_AUDIO_BYTES, readAudioFile } from "../../server/media/files";
import { parseWavHeader } from "../../server/media/wav";
import { makeToneWav, makeWav, toneAmplitude, wavSamples, type ToneWav } from "../helpers/media";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-wav-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let files = 0;
function write(wav: Buffer): string {
  const file = path.join(dir, `rec-${++files}.wav`);
  fs.writeFileSync(file, wav);
  return file;
}

/** The recording as the engine gets it, with its format read back from the header. */
async function asSent(o: ToneWav): Promise<{ samples: Float32Array; format: Awaited<ReturnType<typeof parseWavHeader>> }> {
  const audio = await readAudioFile(write(makeToneWav(o)));
  expect(audio).toMatchObject({ kind: "audio", mimeType: "audio/wav", format: "wav" });
  return { samples: wavSamples(audio.bytes), format: await parseWavHeader(audio.bytes) };
}

describe("a WAV recording is sent as 16 kHz mono 16-bit PCM", () => {
  it("48 kHz stereo: the same length, the speech-band tone at its level", async () => {
    const { samples, format } = await asSent({ seconds: 3, sampleRate: 48000, tones: [440, 440] });
    expect(format).toMatchObject({ encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 16, dataOffset: 44 });
    expect(Math.abs(samples.length - 3 * 16000)).toBeLessThan(100);
    expect(toneAmplitude(samples, 16000, 440)).toBeCloseTo(0.5, 2);
  });

  it("44.1 kHz: a 12 kHz tone (above what 16 kHz can hold) is filtered out, not folded down to 4 kHz", async () => {
    const { samples } = await asSent({ seconds: 2, sampleRate: 44100, tones: [12000], encoding: "float" });
    // Dropping samples without a low-pass filter would put it at 16 - 12 = 4 kHz at full amplitude (0.5).
    expect(toneAmplitude(samples, 16000, 4000)).toBeLessThan(0.005);
    const middle = samples.subarray(1600, samples.length - 1600); // the filter rings for a moment where the tone starts
    expect(Math.max(...middle.map(Math.abs))).toBeLessThan(0.01);
  });

  it("the channels are mixed: a tone on the left only comes out at half its level", async () => {
    const { samples } = await asSent({ seconds: 1, sampleRate: 16000, tones: [1000, 0], bitsPerSample: 24 });
    expect(samples.length).toBe(16000);
    expect(toneAmplitude(samples, 16000, 1000)).toBeCloseTo(0.25, 2);
  });

  it.each([
    ["8-bit unsigned", { bitsPerSample: 8 }],
    ["32-bit integer", { bitsPerSample: 32 }],
    ["64-bit float", { encoding: "float", bitsPerSample: 64 }],
    ["WAVE_FORMAT_EXTENSIBLE", { extensible: true, bitsPerSample: 24 }],
    ["metadata chunks before the samples (one of odd length)", { before: [["LIST", Buffer.alloc(27, 1)], ["bext", Buffer.alloc(602)]] }],
    ["2 MB of cover art before the samples", { before: [["id3 ", Buffer.alloc(2 << 20, 7)]] }],
    ["a data size of 0xFFFFFFFF (a recorder stopped before finishing the file)", { declaredDataBytes: 0xffffffff }],
    ["a data size of 0", { declaredDataBytes: 0 }],
  ] as [string, Partial<ToneWav>][])("%s", async (_, extra) => {
    const { samples } = await asSent({ seconds: 1, sampleRate: 22050, tones: [300], ...extra });
    expect(Math.abs(samples.length - 16000)).toBeLessThan(100);
    expect(toneAmplitude(samples, 16000, 300)).toBeCloseTo(0.5, 1);
  });

  it("a low rate that is not a multiple of 10 (5,512 Hz), longer than one block of the resampler", async () => {
    const { samples } = await asSent({ seconds: 200, sampleRate: 5512, tones: [300] });
    expect(Math.abs(samples.length - 200 * 16000)).toBeLessThan(200);
    expect(toneAmplitude(samples.subarray(0, 16000 * 20), 16000, 300)).toBeCloseTo(0.5, 1);
  });

  it("16 kHz mono 16-bit is sent byte for byte as it is", async () => {
    const wav = makeWav(2);
    expect((await readAudioFile(write(wav))).bytes.equals(wav)).toBe(true);
  });

  it("a compressed WAV (ADPCM) is left to the engine, which decodes it", async () => {
    const wav = makeToneWav({ seconds: 0.5, sampleRate: 8000, tones: [300] });
    wav.writeUInt16LE(2, 20); // WAVE_FORMAT_ADPCM
    expect(await parseWavHeader(wav)).toBeUndefined();
    expect((await readAudioFile(write(wav))).bytes.equals(wav)).toBe(true);
  });
});

describe("a WAV recording that cannot be sent", () => {
  it("longer than the limit is refused from its header, in hours, before a byte of it is read", async () => {
    // A sparse file: a 48 kHz stereo header and 2 GB of nothing, 2.9 hours.
    const file = path.join(dir, "all-day.wav");
    const head = makeToneWav({ seconds: 0, sampleRate: 48000, tones: [0, 0], declaredDataBytes: 0xffffffff });
    fs.writeFileSync(file, head);
    fs.truncateSync(file, 2 * 1024 ** 3);
    const err = await readAudioFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HearthFailure);
    expect(err).toMatchObject({ code: "media-too-large" });
    expect((err as Error).message).toBe(
      `${file} is 3.1 hours long; recordings up to ${(MAX_AUDIO_BYTES / 32000 / 3600).toFixed(1)} hours are accepted (as 16 kHz mono, 300.0 MB). Split it.`,
    );
  });

  it("a rate above what the resampler takes is refused with a sentence that says what to do", async () => {
    const file = write(makeToneWav({ seconds: 0.1, sampleRate: 384000, tones: [440] }));
    await expect(readAudioFile(file)).rejects.toThrow(`${file} is recorded at 384,000 Hz; WAV up to 192,000 Hz is read. Export it at 48 kHz (or as mp3).`);
  });

  it("a cancelled summary stops converting", async () => {
    const file = write(makeToneWav({ seconds: 30, sampleRate: 48000, tones: [440, 440] }));
    const cancel = new AbortController();
    cancel.abort();
    await expect(readAudioFile(file, cancel.signal)).rejects.toBeInstanceOf(RequestCancelledError);
  });
});
