/**
 * A recording longer than the context is cut into the fewest equal parts that fit, each a valid 16 kHz mono
 * WAV, together exactly the recording; the prompts say where each part is in the meeting.
 */
import { describe, expect, it } from "vitest";
import { clock, mergePrompt, partPrompt, speechSamples, splitRecording } from "../../server/chat/meetingParts";
import { SUMMARIZE_MEETING_PROMPT } from "../../server/chat/service";
import { parseWavHeader } from "../../server/media/wav";
import { makeToneWav, makeWav } from "../helpers/media";

describe("cutting a recording into parts", () => {
  it("the fewest equal parts of at most the given length, together exactly the samples", async () => {
    const samples = (await speechSamples(makeWav(301)))!;
    const parts = splitRecording(samples, 120);
    expect(parts.map((p) => [p.start, p.seconds])).toEqual([
      [0, 100.3333125],
      [100.3333125, 100.333375],
      [200.6666875, 100.3333125],
    ]);
    expect(Buffer.concat(parts.map((p) => p.wav.subarray(44))).equals(samples)).toBe(true);
    for (const p of parts) {
      expect(await parseWavHeader(p.wav)).toEqual({ encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 16, dataOffset: 44, dataBytes: p.wav.length - 44 });
    }
  });

  it("one part when it fits", async () => {
    expect(splitRecording((await speechSamples(makeWav(60)))!, 120)).toHaveLength(1);
  });

  it("only a 16 kHz mono 16-bit recording can be cut here", async () => {
    expect(await speechSamples(makeToneWav({ seconds: 1, sampleRate: 44100, tones: [440] }))).toBeUndefined();
    expect(await speechSamples(Buffer.from("ID3\x04 an mp3"))).toBeUndefined();
  });
});

describe("what the model is asked", () => {
  const parts = [
    { wav: Buffer.alloc(0), start: 0, seconds: 1800 },
    { wav: Buffer.alloc(0), start: 1800, seconds: 1800 },
    { wav: Buffer.alloc(0), start: 3600, seconds: 1800 },
  ];

  it("each part, where it is in the meeting, times counted from the meeting's start", () => {
    const p = partPrompt(parts[2], 2, 3, "The speakers are Ana and Bo.");
    expect(p).toMatch(/^This is part 3 of 3 of a recording of a team meeting \(for example a daily standup\), from 1:00:00 to 1:30:00 of the meeting\.\n/);
    expect(p).toContain("with times from the start of the meeting (this part starts at 1:00:00)");
    expect(p.endsWith("\n\nThe speakers are Ana and Bo.")).toBe(true);
  });

  it("the merge: the notes in order under their times, then the summary's sections", () => {
    const m = mergePrompt(SUMMARIZE_MEETING_PROMPT, [
      { part: parts[0], text: "Ana shipped the login fix." },
      { part: parts[1], text: "  " },
    ]);
    expect(m).toContain("### Part 1 (0:00–30:00)\n\nAna shipped the login fix.\n\n### Part 2 (30:00–1:00:00)\n\n_(no notes)_\n");
    expect(m).toContain("Merge them into one summary of the whole meeting, combining what each person said across the parts. Write a Markdown summary with these sections:\n## Participants");
  });

  it("clock: m:ss, then h:mm:ss", () => {
    expect([clock(0), clock(59.6), clock(61), clock(3599), clock(3600), clock(5025)]).toEqual(["0:00", "1:00", "1:01", "59:59", "1:00:00", "1:23:45"]);
  });
});
