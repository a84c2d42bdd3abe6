/**
 * Compressed recordings decoded in the host (server/media/decode.ts): mp3, flac, Ogg Vorbis and Ogg Opus
 * become 16 kHz mono WAV of the right length and level; damaged, foreign and too long files are refused with
 * a sentence; Ogg reaches the model without ffmpeg; an mp3 or flac is decoded for cutting into parts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RequestCancelledError } from "../../server/engine/client";
import { canDecode, decodeToSpeechWav, flacStreamLength, oggChains, oggCodec } from "../../server/media/decode";
import { asSpeechWav, audioConverters, convertRecording, readAudioFile, type AudioConverter } from "../../server/media/files";
import { parseWavHeader, SPEECH_SAMPLE_RATE } from "../../server/media/wav";
import { makeFlac, makeMp3, makeOggOpus, makeOggVorbis } from "../helpers/compressedAudio";
import { makeWav, toneAmplitude, wavSamples } from "../helpers/media";

const MB = 1024 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-decode-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function speech(wav: Buffer) {
  const f = await parseWavHeader(wav);
  expect(f).toMatchObject({ sampleRate: SPEECH_SAMPLE_RATE, channels: 1, bitsPerSample: 16, encoding: "pcm" });
  const samples = wavSamples(wav);
  return { seconds: samples.length / SPEECH_SAMPLE_RATE, samples };
}

describe("decodeToSpeechWav", () => {
  const cases: [string, () => Promise<Buffer> | Buffer, "mp3" | "flac" | "ogg", number][] = [
    ["mp3, 44.1 kHz stereo", () => makeMp3({ seconds: 4, sampleRate: 44100, tones: [440, 440] }), "mp3", 0.12],
    ["mp3, 16 kHz mono", () => makeMp3({ seconds: 4, sampleRate: 16000, tones: [440] }), "mp3", 0.12],
    ["flac, 48 kHz mono", () => makeFlac({ seconds: 4, sampleRate: 48000, tones: [440] }), "flac", 0.01],
    ["flac, 44.1 kHz stereo", () => makeFlac({ seconds: 4, sampleRate: 44100, tones: [440, 440] }), "flac", 0.01],
    ["Ogg Vorbis, 48 kHz stereo", () => makeOggVorbis({ seconds: 4, sampleRate: 48000, tones: [440, 440] }), "ogg", 0.05],
    ["Ogg Opus, mono", () => makeOggOpus({ seconds: 4, sampleRate: 48000, tones: [440] }), "ogg", 0.05],
  ];
  for (const [what, make, format, slack] of cases) {
    it(`decodes ${what} to 16 kHz mono at the same length and level`, async () => {
      const wav = await decodeToSpeechWav(await make(), format, "standup", 300 * MB);
      const { seconds, samples } = await speech(wav);
      expect(Math.abs(seconds - 4)).toBeLessThanOrEqual(slack);
      expect(toneAmplitude(samples, SPEECH_SAMPLE_RATE, 440)).toBeCloseTo(0.5, 1);
      expect(toneAmplitude(samples, SPEECH_SAMPLE_RATE, 1000)).toBeLessThan(0.02);
    });
  }

  it("mixes a stereo recording's channels down: one silent side halves the level", async () => {
    const wav = await decodeToSpeechWav(makeFlac({ seconds: 2, sampleRate: 16000, tones: [440, 0] }), "flac", "standup", 300 * MB);
    expect(toneAmplitude((await speech(wav)).samples, SPEECH_SAMPLE_RATE, 440)).toBeCloseTo(0.25, 2);
  });

  it("refuses a recording longer than the limit, in hours, and says which file", async () => {
    const flac = makeFlac({ seconds: 3, sampleRate: 16000, tones: [440] });
    await expect(decodeToSpeechWav(flac, "flac", "long.flac", 2 * SPEECH_SAMPLE_RATE * 2)).rejects.toMatchObject({
      error: { code: "media-too-large", message: expect.stringMatching(/^long\.flac is longer than 0\.0 hours/) },
    });
  });

  it("refuses a file with no audio in it, and a damaged one, as unreadable", async () => {
    const junk = Buffer.alloc(64 * 1024, 0x55);
    await expect(decodeToSpeechWav(junk, "mp3", "notes.mp3", 300 * MB)).rejects.toMatchObject({
      error: { code: "unreadable-media", message: expect.stringMatching(/^notes\.mp3 holds no audio Hearth can decode/) },
    });
    const flac = makeFlac({ seconds: 1, sampleRate: 16000, tones: [440] });
    await expect(decodeToSpeechWav(flac.subarray(0, 50), "flac", "cut.flac", 300 * MB)).rejects.toMatchObject({ error: { code: "unreadable-media" } });
    // A damaged byte, or a file cut short: the decoder stops without an error, the length in the header tells.
    const long = makeFlac({ seconds: 20, sampleRate: 16000, tones: [440] });
    expect(flacStreamLength(long)).toEqual({ samples: 20 * 16000, sampleRate: 16000 });
    const damaged = Buffer.from(long);
    damaged[Math.floor(damaged.length * 0.3)] ^= 0xff;
    await expect(decodeToSpeechWav(damaged, "flac", "standup.flac", 300 * MB)).rejects.toMatchObject({
      error: { code: "unreadable-media", message: expect.stringMatching(/^standup\.flac is damaged or incomplete: \d+\.\d s of the 20\.0 s its header gives could be decoded\. .*`flac -d -F "standup\.flac"`/) },
    });
    await expect(decodeToSpeechWav(long.subarray(0, Math.floor(long.length * 0.6)), "flac", "cut.flac", 300 * MB)).rejects.toMatchObject({ error: { code: "unreadable-media" } });
    expect(flacStreamLength(Buffer.from("ID3\u0003 not a bare flac header, long enough to read the fields"))).toBeUndefined();
  });

  it("stops when the request is cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    const mp3 = await makeMp3({ seconds: 2, sampleRate: 16000, tones: [440] });
    await expect(decodeToSpeechWav(mp3, "mp3", "a.mp3", 300 * MB, controller.signal)).rejects.toBeInstanceOf(RequestCancelledError);
  });

  it("decodes every link of a chained Ogg file (streams joined one after another), each at its own rate", async () => {
    const opus = Buffer.concat([makeOggOpus({ seconds: 3, sampleRate: 48000, tones: [440], serial: 1 }), makeOggOpus({ seconds: 2, sampleRate: 48000, tones: [440], serial: 2 })]);
    const a = await speech(await decodeToSpeechWav(opus, "ogg", "joined.opus", 300 * MB));
    expect(Math.abs(a.seconds - 5)).toBeLessThan(0.1);
    const vorbis = Buffer.concat([await makeOggVorbis({ seconds: 4, sampleRate: 48000, tones: [440, 440] }), await makeOggVorbis({ seconds: 4, sampleRate: 44100, tones: [440] })]);
    const b = await speech(await decodeToSpeechWav(vorbis, "ogg", "joined.ogg", 300 * MB));
    expect(Math.abs(b.seconds - 8)).toBeLessThan(0.1);
    // (each link at its level; measured apart: the join shifts the tone's phase)
    expect(toneAmplitude(b.samples.subarray(0, 4 * SPEECH_SAMPLE_RATE), SPEECH_SAMPLE_RATE, 440)).toBeCloseTo(0.5, 1);
    expect(toneAmplitude(b.samples.subarray(4 * SPEECH_SAMPLE_RATE), SPEECH_SAMPLE_RATE, 440)).toBeCloseTo(0.5, 1);
  });

  it("finds the next link after one cut short (no end-of-stream page), and sizes its output from the pages' times", async () => {
    const first = makeOggOpus({ seconds: 3, sampleRate: 48000, tones: [440], serial: 7 });
    const cutShort = first.subarray(0, first.lastIndexOf("OggS")); // its last page (the end of the stream) lost
    const vorbis = await makeOggVorbis({ seconds: 2, sampleRate: 44100, tones: [440] });
    const joined = Buffer.concat([cutShort, vorbis]);
    expect(oggChains(joined).map((c) => oggCodec(c))).toEqual(["opus", "vorbis"]);
    const wav = await decodeToSpeechWav(joined, "ogg", "recovered.ogg", 300 * MB);
    expect(Math.abs((await speech(wav)).seconds - 5)).toBeLessThan(0.1);
    // Sized from the Ogg pages, not from the file's bytes: no spare memory held with the result.
    expect(wav.buffer.byteLength).toBeLessThanOrEqual(wav.length * 1.25);
  });

  it("decodes a long recording in many slices, yielding to other work between them, and stops mid-way when cancelled", async () => {
    const mp3 = await makeMp3({ seconds: 120, sampleRate: 44100, tones: [440, 440] }, 128); // ~1.9 MB
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const wav = await decodeToSpeechWav(mp3, "mp3", "long.mp3", 300 * MB, undefined, 120);
    const ms = performance.now() - started;
    clearInterval(timer);
    expect(Math.abs((await speech(wav)).seconds - 120)).toBeLessThan(0.12);
    // The event loop ran all along: at least one timer tick per ~60 ms of decoding (blocking for it all would give ~1).
    expect(ticks).toBeGreaterThan(ms / 60);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    await expect(decodeToSpeechWav(mp3, "mp3", "long.mp3", 300 * MB, controller.signal)).rejects.toBeInstanceOf(RequestCancelledError);
  });

  it("refuses a sample rate above 192 kHz with a sentence", async () => {
    const flac = makeFlac({ seconds: 0.2, sampleRate: 384000, tones: [440] });
    await expect(decodeToSpeechWav(flac, "flac", "studio.flac", 300 * MB)).rejects.toMatchObject({ error: { code: "unsupported-media", message: expect.stringMatching(/^studio\.flac is recorded at 384,000 Hz/) } });
  });

  it("tells Ogg codecs apart and refuses one it does not decode", async () => {
    expect(oggCodec(makeOggOpus({ seconds: 0.1, sampleRate: 48000, tones: [440] }))).toBe("opus");
    expect(oggCodec(await makeOggVorbis({ seconds: 0.1, sampleRate: 48000, tones: [440] }))).toBe("vorbis");
    const speex = Buffer.concat([Buffer.from("OggS\0\x02", "latin1"), Buffer.alloc(20), Buffer.from([1, 80]), Buffer.from("Speex   ", "latin1"), Buffer.alloc(72)]);
    expect(oggCodec(speex)).toBeUndefined();
    expect(canDecode("ogg", speex)).toBe(false);
    await expect(decodeToSpeechWav(speex, "ogg", "voice.ogg", 300 * MB)).rejects.toMatchObject({ error: { code: "unsupported-media", message: expect.stringMatching(/Opus and Vorbis are/) } });
  });
});

describe("reading recordings", () => {
  it("reads an Ogg Opus voice note without ffmpeg, as 16 kHz mono WAV", async () => {
    const file = path.join(dir, "voice-note.opus");
    fs.writeFileSync(file, makeOggOpus({ seconds: 3, sampleRate: 48000, tones: [440] }));
    const saved = process.env.HEARTH_FFMPEG;
    process.env.HEARTH_FFMPEG = path.join(dir, "no-ffmpeg-here");
    try {
      const audio = await readAudioFile(file);
      expect(audio).toMatchObject({ kind: "audio", mimeType: "audio/wav", format: "wav" });
      expect(Math.abs((await speech(audio.bytes)).seconds - 3)).toBeLessThan(0.05);
    } finally {
      if (saved === undefined) delete process.env.HEARTH_FFMPEG;
      else process.env.HEARTH_FFMPEG = saved;
    }
  });

  it("sends mp3 and flac to the engine as they are, and decodes them only to cut them into parts", async () => {
    const file = path.join(dir, "standup.mp3");
    fs.writeFileSync(file, await makeMp3({ seconds: 3, sampleRate: 44100, tones: [440] }));
    const audio = await readAudioFile(file);
    expect(audio).toMatchObject({ format: "mp3", mimeType: "audio/mpeg" });
    expect(audio.bytes.equals(fs.readFileSync(file))).toBe(true);
    const wav = await asSpeechWav(audio, "standup.mp3");
    expect(Math.abs((await speech(wav)).seconds - 3)).toBeLessThan(0.12);
    // A WAV is already what is cut.
    expect(await asSpeechWav({ ...audio, format: "wav", bytes: wav }, "x.wav")).toBe(wav);
  });
});

describe("converters (ffmpeg, macOS's afconvert)", () => {
  /** A stand-in converter program: records its arguments, then writes a 1-second WAV to its last one, or fails. */
  function fakeProgram(name: string, behaviour: "wav" | "fail"): { converter: (formats: string[]) => AudioConverter; calls: () => string[][] } {
    const log = path.join(dir, `${name}.calls`);
    const script = path.join(dir, name);
    const wav = path.join(dir, "one-second.wav");
    fs.writeFileSync(wav, makeWav(1, 16000));
    fs.writeFileSync(
      script,
      `#!/usr/bin/env node\nconst fs = require("fs");\nconst args = process.argv.slice(2);\nfs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n");\n` +
        (behaviour === "wav" ? `fs.copyFileSync(${JSON.stringify(wav)}, args[args.length - 1]);\n` : `process.stderr.write("Invalid data found when processing input\\n");\nprocess.exit(1);\n`),
      { mode: 0o755 },
    );
    return {
      converter: (formats) => ({ name, command: script, args: (i, o) => ["-i", i, o], formats }),
      calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l)) : []),
    };
  }
  const missing: AudioConverter = { name: "ffmpeg", command: path.join(dir, "not-installed"), args: () => [], formats: ["ogg", "m4a", "webm"] };
  const m4a = Buffer.concat([Buffer.from([0, 0, 0, 32]), Buffer.from("ftypM4A ", "latin1"), Buffer.alloc(100)]);

  it("tries ffmpeg, then on macOS afconvert for m4a, with the arguments that make 16 kHz mono WAV", () => {
    expect(audioConverters("linux", {}).map((c) => c.name)).toEqual(["ffmpeg"]);
    const mac = audioConverters("darwin", { HEARTH_FFMPEG: "/opt/ffmpeg/bin/ffmpeg" });
    expect(mac.map((c) => [c.name, c.command, c.formats])).toEqual([
      ["ffmpeg", "/opt/ffmpeg/bin/ffmpeg", ["ogg", "m4a", "webm"]],
      ["afconvert", "/usr/bin/afconvert", ["m4a"]],
    ]);
    expect(mac[0].args("in.m4a", "out.wav")).toEqual(["-nostdin", "-loglevel", "error", "-i", "in.m4a", "-vn", "-ac", "1", "-ar", "16000", "-f", "wav", "out.wav"]);
    expect(mac[1].args("in.m4a", "out.wav")).toEqual(["-f", "WAVE", "-d", "LEI16@16000", "-c", "1", "in.m4a", "out.wav"]);
  });

  it("uses the first one installed that reads the format", async () => {
    const af = fakeProgram("afconvert-ok", "wav");
    const wav = await convertRecording("/recordings/voice memo.m4a", "m4a", m4a, undefined, [missing, af.converter(["m4a"])]);
    expect((await speech(wav)).seconds).toBe(1);
    expect(af.calls()).toHaveLength(1);
    expect(af.calls()[0][1]).toBe("/recordings/voice memo.m4a");
  });

  it("says what the converter said when it cannot decode the file, and which formats need one when none is installed", async () => {
    const bad = fakeProgram("ffmpeg-bad", "fail");
    await expect(convertRecording("/r/call.m4a", "m4a", m4a, undefined, [bad.converter(["m4a"])])).rejects.toMatchObject({
      error: { code: "unreadable-media", message: "ffmpeg-bad could not decode /r/call.m4a: Invalid data found when processing input" },
    });
    await expect(convertRecording("/r/call.webm", "webm", m4a, undefined, [missing])).rejects.toMatchObject({
      error: { code: "unsupported-media", message: expect.stringMatching(/^call\.webm is webm audio, which needs ffmpeg to decode: install ffmpeg .* or convert it to wav, mp3, flac or ogg\.$/) },
    });
    const macMissing = [missing, { ...audioConverters("darwin")[1], command: path.join(dir, "no-afconvert") }];
    await expect(convertRecording("/r/memo.m4a", "m4a", m4a, undefined, macMissing)).rejects.toMatchObject({ error: { message: expect.stringMatching(/needs ffmpeg or afconvert to decode/) } });
  });

  it("decodes an Ogg Opus recording itself when no converter is installed", async () => {
    const opus = makeOggOpus({ seconds: 1, sampleRate: 48000, tones: [440] });
    const wav = await convertRecording("/r/note.ogg", "ogg", opus, undefined, [missing]);
    expect(Math.abs((await speech(wav)).seconds - 1)).toBeLessThan(0.05);
  });
});

