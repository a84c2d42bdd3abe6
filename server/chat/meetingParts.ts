/**
 * A recording longer than the context is summarized in parts: cut into equal parts that each fit, each part
 * written up as notes (with times from the start of the meeting), then the notes merged into one summary.
 * The recording is cut as 16 kHz mono 16-bit PCM: a WAV and an ogg/m4a/webm are held that way already, an mp3
 * or flac (sent to the engine as it is when it fits) is decoded for it (media/decode.ts). Pure: no engine, no I/O.
 */
import { isSpeechFormat, parseWavHeader, SPEECH_SAMPLE_RATE, speechWavHeader } from "../media/wav";

/** Gemma 4 hears 25 audio tokens a second (40 ms frames). */
export const AUDIO_TOKENS_PER_SECOND = 25;
/** The most tokens of notes one part is written up in. */
export const PART_NOTES_TOKENS = 512;
/** A part shorter than this is not worth it: the context is too small for recordings. */
export const MIN_PART_SECONDS = 60;

export interface RecordingPart {
  /** A 16 kHz mono 16-bit WAV of the part (made on each read). */
  readonly wav: Buffer;
  /** Where the part starts in the recording, and how long it is. */
  start: number;
  seconds: number;
}

/** The samples of a 16 kHz mono 16-bit PCM WAV (the data chunk), or undefined for any other recording. */
export async function speechSamples(wav: Buffer): Promise<Buffer | undefined> {
  const f = await parseWavHeader(wav);
  if (!f || !isSpeechFormat(f)) return undefined;
  return wav.subarray(f.dataOffset, f.dataOffset + f.dataBytes);
}

/** `samples` (16 kHz mono 16-bit) cut into the fewest equal parts of at most `maxSeconds` each. */
export function splitRecording(samples: Buffer, maxSeconds: number): RecordingPart[] {
  const total = samples.length / 2;
  const count = Math.max(1, Math.ceil(total / (maxSeconds * SPEECH_SAMPLE_RATE)));
  const parts: RecordingPart[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.round((i * total) / count);
    const to = Math.round(((i + 1) * total) / count);
    const part = samples.subarray(from * 2, to * 2);
    // (made when it is sent: the parts' WAVs are not all held beside the recording at once)
    parts.push({ get wav() { return wavOf(part); }, start: from / SPEECH_SAMPLE_RATE, seconds: (to - from) / SPEECH_SAMPLE_RATE });
  }
  return parts;
}

/** What the model is asked about part `index` (0-based) of `count`. */
export function partPrompt(part: RecordingPart, index: number, count: number, instructions?: string): string {
  return [
    `This is part ${index + 1} of ${count} of a recording of a team meeting (for example a daily standup), from ${clock(part.start)} to ${clock(part.start + part.seconds)} of the meeting.`,
    "Write notes in Markdown on what is said in this part: who speaks; for each person what they did, will do and are blocked on; decisions; action items with owners;",
    `and notable moments as \`mm:ss — what happened\`, with times from the start of the meeting (this part starts at ${clock(part.start)}).`,
    "Only report what is said in the recording; do not invent names or facts.",
    ...(instructions?.trim() ? ["", instructions.trim()] : []),
  ].join("\n");
}

/** The merge of the parts' notes (in order) into one summary with the usual sections. */
export function mergePrompt(summaryPrompt: string, notes: readonly { part: RecordingPart; text: string }[], instructions?: string): string {
  const parts = notes.map((n, i) => `### Part ${i + 1} (${clock(n.part.start)}–${clock(n.part.start + n.part.seconds)})\n\n${n.text.trim() || "_(no notes)_"}`);
  return [
    `These are notes on the ${notes.length} consecutive parts of one recording of a team meeting, in order. The times are from the start of the meeting.`,
    "",
    ...parts.flatMap((p) => [p, ""]),
    "Merge them into one summary of the whole meeting, combining what each person said across the parts. " + summaryPrompt.replace(/^This is a recording of a team meeting \(for example a daily standup\)\. /, ""),
    ...(instructions?.trim() ? ["", instructions.trim()] : []),
  ].join("\n");
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function wavOf(samples: Buffer): Buffer {
  return Buffer.concat([speechWavHeader(samples.length), samples]);
}
