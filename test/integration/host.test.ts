/**
 * The host as any LSP client sees it: a real host process over stdio, a real llama-server, the tiny
 * generated Gemma 4 models (text + mmproj with vision and audio + MTP drafter).
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancellationTokenSource, DidOpenTextDocumentNotification, InlineCompletionRequest, LSPErrorCodes, ResponseError } from "vscode-languageserver-protocol";
import {
  ChatRequest,
  CountTokensRequest,
  CompletionFailedNotification,
  EditCodeRequest,
  ExplainImageRequest,
  LoadModelRequest,
  ModelStatusRequest,
  streamProgress,
  SummarizeAudioRequest,
  type ChatResult,
  type CompletionFailedParams,
  type StreamChunk,
  type HearthErrorData,
  type MediaResult,
  type SummarizeAudioResult,
} from "../../server/protocol";
import { makeMp3, makeOggOpus } from "../helpers/compressedAudio";
import { makePng, makeToneWav, makeWav } from "../helpers/media";
import { completeAt, startTinyHost, tinyModels, type TinyHost } from "../helpers/tinyHost";

let t: TinyHost;
let models: Awaited<ReturnType<typeof tinyModels>>;
const promptLog = () => path.join(models.dir, "prompts.jsonl");

beforeAll(async () => {
  models = await tinyModels();
  t = await startTinyHost(
    { model: models.text, mmproj: models.mmproj, drafter: models.assistant },
    { HEARTH_PROMPT_LOG: path.join(models.dir, "prompts.jsonl") },
  );
  await t.host.connection.sendRequest(LoadModelRequest);
});

afterAll(async () => {
  await t?.host.dispose();
});

// Random weights: with seed 1 at temperature 1 the tiny model answers with text, not a bare end of turn.
const chat = (content: string, extra: object = {}, cancel?: CancellationTokenSource, onText: (s: string) => void = () => {}) =>
  t.host.stream<object, ChatResult>(ChatRequest, { messages: [{ role: "user", content }], maxTokens: 24, seed: 1, temperature: 1, ...extra }, onText, cancel);

describe("host with a real engine", () => {
  it("reports the loaded engine: vision, audio, MTP drafter, threads", async () => {
    const status = await t.host.connection.sendRequest(ModelStatusRequest);
    expect(status.state).toBe("ready");
    expect(status.engine).toMatchObject({ kind: "local", vision: true, audio: true, mtp: true, nativeFim: false, threads: 2 });
    expect(status.memory?.contextSize).toBe(32768);
    expect(status.engine?.pid).toBeGreaterThan(0);
  });

  it("streams a chat answer through $/progress, with the engine's counters", async () => {
    const chunks: string[] = [];
    const r = await chat("Say hello.", { maxTokens: 16 }, undefined, (s) => chunks.push(s));
    expect(r.text.length).toBeGreaterThan(0);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(r.text);
    expect(r.stats.generatedTokens).toBeGreaterThan(0);
    expect(r.stats.promptTokens).toBeGreaterThan(5);
    // The drafter ran: it drafted tokens (random weights: the target refutes them).
    expect(r.stats.draftTokens).toBeGreaterThan(0);
    expect(r.stats.draftAccepted).toBeGreaterThanOrEqual(0);
  });

  it("counts tokens with the engine: a text by its tokenizer, messages as the chat template lays them out (what a chat then processes)", async () => {
    const text = await t.host.connection.sendRequest(CountTokensRequest, { text: "export function add(a: number, b: number) { return a + b; }" });
    expect(text.exact).toBe(true);
    expect(text.tokens).toBeGreaterThan(10);
    expect(text.tokens).toBeLessThan(40);
    const messages = [{ role: "user" as const, content: "Count these words for me, please." }];
    const counted = await t.host.connection.sendRequest(CountTokensRequest, { messages });
    expect(counted.exact).toBe(true);
    const r = await chat("Count these words for me, please.", { maxTokens: 4 });
    expect(r.stats.promptTokens).toBe(counted.tokens);
  });

  it("answers textDocument/inlineCompletion with the Gemma-turns layout and reports stats", async () => {
    const uri = "file:///work/demo/add.ts";
    const text = "export function add(a: number, b: number): number {\n  return \n}\n";
    await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    const { items, stats: s } = await completeAt(t.host, uri, { line: 1, character: 9 });
    expect(Array.isArray(items)).toBe(true);
    expect(s.uri).toBe(uri);
    expect(s.stats.generatedTokens).toBeGreaterThan(0);
    // The prompt the engine saw: Gemma turns (no FIM tokens in this vocab), with the code before the cursor.
    const sent = fs.readFileSync(promptLog(), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const last = sent.filter((e) => e.endpoint === "/completion").at(-1);
    expect(last.prompt).toContain("<|turn>");
    expect(last.prompt).toContain("export function add(a: number, b: number): number {");
    expect(last.id_slot).toBe(0);
  });

  it("never sends a secret file to the engine for completion", async () => {
    const before = fs.readFileSync(promptLog(), "utf8");
    const uri = "file:///work/demo/.env";
    await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "dotenv", version: 1, text: "API_TOKEN=sk-live-123456\nDB_PASSWORD=" },
    });
    const result = await t.host.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri },
      position: { line: 1, character: 12 },
      context: { triggerKind: 1 },
    });
    expect(Array.isArray(result) ? result : result!.items).toEqual([]);
    expect(fs.readFileSync(promptLog(), "utf8")).toBe(before);
  });

  it("explains a 1024×768 PNG: 336 image tokens on Gemma 4's 48-px grid", async () => {
    const png = path.join(models.dir, "screen.png");
    fs.writeFileSync(png, makePng(1024, 768));
    const r = await t.host.stream<object, MediaResult>(ExplainImageRequest, { path: png, maxTokens: 8 }, () => {});
    expect(r.mediaTokens).toBe(336);
    expect(r.stats.generatedTokens).toBeGreaterThan(0);
    // Media reaches the engine only as a data: URI (never a URL it would fetch).
    const entry = fs.readFileSync(promptLog(), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.endpoint === "/v1/chat/completions").at(-1);
    expect(JSON.stringify(entry)).toMatch(/<image\/png \d+ bytes sha256:[0-9a-f]{16}>/);
  });

  it("summarizes 60 s of 16 kHz audio: 1500 audio tokens, a Markdown document", async () => {
    const wav = path.join(models.dir, "standup.wav");
    fs.writeFileSync(wav, makeWav(60, 16000));
    const r = await t.host.stream<object, SummarizeAudioResult>(SummarizeAudioRequest, { path: wav, maxTokens: 8 }, () => {});
    expect(r.mediaTokens).toBe(1500);
    expect(r.durationSeconds).toBe(60);
    expect(r.markdown).toMatch(/^# Meeting summary — standup\.wav\n\n_Recording: 1:00/);
  });

  it("reports how far the engine is through a recording while it decodes it, not only 0 % and 100 %", async () => {
    const wav = path.join(models.dir, "five-minutes.wav");
    fs.writeFileSync(wav, makeWav(5 * 60, 16000)); // 7,500 audio tokens: 4 slices of the engine's 2,048-token batch
    const chunks: StreamChunk[] = [];
    const token = "listening";
    const sub = t.host.connection.onProgress(streamProgress, token, (c) => void chunks.push(c));
    try {
      const r = await t.host.connection.sendRequest(SummarizeAudioRequest, { path: wav, maxTokens: 4, partialResultToken: token });
      expect(r.mediaTokens).toBe(7500);
      const progress = chunks.flatMap((c) => (c.prompt ? [c.prompt] : []));
      const total = progress[0].total;
      expect(total).toBeGreaterThan(7500);
      expect(chunks.filter((c) => c.prompt).every((c) => c.text === "" && c.prompt!.total === total)).toBe(true);
      const within = [...new Set(progress.map((p) => p.processed))].filter((n) => n > 100 && n < total - 100);
      expect(within.length).toBeGreaterThanOrEqual(3); // inside the recording's one media chunk
      expect(progress.map((p) => p.processed)).toEqual([...progress.map((p) => p.processed)].sort((a, b) => a - b));
      expect(progress.at(-1)!.processed).toBe(total);
      const lastProgress = chunks.map((c) => !!c.prompt).lastIndexOf(true);
      expect(chunks.every((c, i) => !c.text || i > lastProgress)).toBe(true); // the summary's text comes after
    } finally {
      sub.dispose();
    }
  });

  it("sends a 48 kHz stereo WAV as 16 kHz mono: the same 1500 tokens for 60 s, a sixth of the bytes", async () => {
    const wav = path.join(models.dir, "obs.wav");
    fs.writeFileSync(wav, makeToneWav({ seconds: 60, sampleRate: 48000, tones: [440, 660] })); // 11.5 MB
    const r = await t.host.stream<object, SummarizeAudioResult>(SummarizeAudioRequest, { path: wav, maxTokens: 8 }, () => {});
    expect(r.mediaTokens).toBe(1500);
    expect(r.markdown).toMatch(/_Recording: 1:00/);
    const entry = fs.readFileSync(promptLog(), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.endpoint === "/v1/chat/completions").at(-1);
    const sent = Number(/"input_audio":\{"data":"<base64 (\d+) bytes/.exec(JSON.stringify(entry))?.[1]);
    expect(Math.abs(sent - (44 + 60 * 16000 * 2))).toBeLessThan(200);
  });

  it("refuses a recording in a chat longer than the context, in minutes and tokens, before generating", async () => {
    // 45 min = 67,500 tokens > 32,768. Its 86 MB go as 115 MB of base64: more than llama-server reads unpatched (100 MB).
    // (Summarize Meeting Recording would split it: see "a recording longer than the context" below.)
    const audio = { type: "audio" as const, data: makeWav(45 * 60, 16000).toString("base64"), mimeType: "audio/wav" };
    const err = await t.host
      .stream(ChatRequest, { messages: [{ role: "user", content: [audio, { type: "text", text: "What was decided?" }] }], maxTokens: 8 }, () => {})
      .catch((e: ResponseError<HearthErrorData>) => e);
    expect((err as ResponseError<HearthErrorData>).data?.hearth.code).toBe("media-too-large");
    expect((err as Error).message).toMatch(/^The recording is 45\.0 minutes \(67,500 audio tokens\).*32,768-token context\. Raise hearth\.contextSize .* or split the recording \(Summarize Meeting Recording does that itself/);
  });

  it("answers a chat with an Ogg Opus voice note: the host decodes it to 16 kHz WAV for the engine", async () => {
    const note = makeOggOpus({ seconds: 4, sampleRate: 48000, tones: [440] });
    const sent = fs.existsSync(promptLog()) ? fs.readFileSync(promptLog(), "utf8").trim().split("\n").length : 0;
    const audio = { type: "audio" as const, data: note.toString("base64"), mimeType: "audio/ogg" };
    const r = (await t.host.stream(ChatRequest, { messages: [{ role: "user", content: [audio, { type: "text", text: "Transcribe this." }] }], maxTokens: 4 }, () => {})) as ChatResult;
    expect(r.mediaTokens).toBe(100); // 4 s at 25 tokens a second
    const entry = fs.readFileSync(promptLog(), "utf8").trim().split("\n").slice(sent).map((l) => JSON.parse(l)).find((e) => e.endpoint === "/v1/chat/completions");
    expect(JSON.stringify(entry)).toMatch(/"input_audio":\{"data":"<base64 \d+ bytes[^}]*"format":"wav"/);
    // Not Ogg at all: said so, nothing sent.
    const junk = { type: "audio" as const, data: Buffer.from("OggS but not really an Ogg stream at all").toString("base64"), mimeType: "audio/ogg" };
    const err = await t.host.stream(ChatRequest, { messages: [{ role: "user", content: [junk, { type: "text", text: "?" }] }], maxTokens: 4 }, () => {}).catch((e: ResponseError<HearthErrorData>) => e);
    expect((err as ResponseError<HearthErrorData>).data?.hearth.code).toMatch(/unsupported-media|unreadable-media/);
  });

  it("rejects an unreadable image with a clear error and keeps serving", async () => {
    const bad = path.join(models.dir, "broken.png");
    fs.writeFileSync(bad, "not really a png");
    const err = await t.host.stream(ExplainImageRequest, { path: bad }, () => {}).catch((e: ResponseError<HearthErrorData>) => e);
    expect((err as ResponseError<HearthErrorData>).data?.hearth.code).toBe("unsupported-media");
    expect((await chat("still there?", { maxTokens: 4 })).stats.generatedTokens).toBeGreaterThan(0);
  });

  it("streams an edit's code as it is written: each $/progress carries the answer's text, and now and then the code read from it so far", async () => {
    const uri = "file:///tmp/hearth-edit-stream/cart.ts";
    const text = "export function total(prices: number[]): number {\n  let sum = 0;\n  for (const p of prices) sum += p;\n  return sum;\n}\n";
    await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    const chunks: StreamChunk[] = [];
    const token = "edit-stream";
    const sub = t.host.connection.onProgress(streamProgress, token, (c) => void chunks.push(c));
    try {
      const r = await t.host.connection.sendRequest(EditCodeRequest, {
        textDocument: { uri },
        startLine: 1,
        endLine: 3,
        instruction: "use reduce",
        maxTokens: 40,
        seed: 1,
        temperature: 1,
        partialResultToken: token,
      });
      expect(chunks.map((c) => c.text).join("")).toBe(r.text);
      const codes = chunks.filter((c) => c.code !== undefined).map((c) => c.code!);
      // The first piece of the answer always carries the code so far (then at most every 100 ms).
      expect(chunks[0].code).toBeDefined();
      expect(codes.length).toBeLessThanOrEqual(chunks.length);
      expect(typeof r.code).toBe("string");
      expect(r.workspace).toBe(false); // no folder: the file's lines alone
      const prompt = fs.readFileSync(promptLog(), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.endpoint === "/v1/chat/completions").at(-1);
      expect(JSON.stringify(prompt)).toContain("<<<<<<< SELECTION\\n  let sum = 0;\\n  for (const p of prices) sum += p;\\n>>>>>>> END OF SELECTION");
    } finally {
      sub.dispose();
    }
  });

  it("cancellation stops generation in the engine, not just in the host", async () => {
    const cancel = new CancellationTokenSource();
    const from = t.logs.length;
    let received = 0;
    const pending = chat("Say hello.", { maxTokens: 20000 }, cancel, () => {
      if (++received === 3) cancel.cancel();
    });
    const err = await pending.catch((e: ResponseError<HearthErrorData>) => e);
    expect((err as ResponseError<unknown>).code).toBe(LSPErrorCodes.RequestCancelled);
    // The engine released the slot long before the 20000 tokens it was asked for.
    const line = await t.waitForLog(/stop processing: n_tokens = \d+/, from);
    expect(Number(/n_tokens = (\d+)/.exec(line)![1])).toBeLessThan(2000);
    // And the slot is free for the next request at once.
    expect((await chat("next", { maxTokens: 4 })).stats.generatedTokens).toBeGreaterThan(0);
  });

  it("restarts a killed engine and the next request succeeds", async () => {
    const before = await t.host.connection.sendRequest(ModelStatusRequest);
    process.kill(before.engine!.pid!, "SIGKILL");
    await t.waitForLog(/llama-server died/);
    const r = await chat("are you back?", { maxTokens: 4 });
    expect(r.stats.generatedTokens).toBeGreaterThan(0);
    const after = await t.host.connection.sendRequest(ModelStatusRequest);
    expect(after.state).toBe("ready");
    expect(after.engine!.pid).not.toBe(before.engine!.pid);
    expect(after.engine!.restarts).toBe(1);
  });
});

describe("counting tokens before a model is loaded", () => {
  it("gives an estimate, marked so, and does not load the model", async () => {
    const idle = await startTinyHost({ model: models.text, mmproj: "", drafter: "" });
    try {
      const r = await idle.host.connection.sendRequest(CountTokensRequest, { text: "x".repeat(400), messages: [{ role: "user", content: "y".repeat(40) }] });
      expect(r).toEqual({ tokens: 100 + 10 + 4, exact: false });
      expect((await idle.host.connection.sendRequest(ModelStatusRequest)).state).toBe("idle");
    } finally {
      await idle.host.dispose();
    }
  });
});

describe("host at a small context (4096 tokens)", () => {
  let small: TinyHost;
  beforeAll(async () => {
    small = await startTinyHost({ model: models.text, mmproj: "", drafter: "", contextSize: 4096 }, { HEARTH_PROMPT_LOG: promptLog() });
    await small.host.connection.sendRequest(LoadModelRequest);
  });
  afterAll(async () => {
    await small?.host.dispose();
  });

  it("a completion whose prompt is more than the context answers with no items (no error for the client to show) and says why in hearth/completionFailed", async () => {
    const uri = "file:///work/demo/huge.ts";
    const text = Array.from({ length: 1200 }, (_, i) => `export function f${i}(a: number, b: string): string { return b.repeat(a) + "${i}"; }\n`).join("");
    await small.host.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    const failed = new Promise<CompletionFailedParams>((resolve) => {
      const sub = small.host.connection.onNotification(CompletionFailedNotification, (p) => {
        sub.dispose();
        resolve(p);
      });
    });
    const result = await small.host.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position: { line: 800, character: 10 }, context: { triggerKind: 1 } });
    expect(Array.isArray(result) ? result : result?.items).toEqual([]);
    const f = await failed;
    expect(f.uri).toBe(uri);
    expect(f.error.code).toBe("context-too-long");
    expect(f.error.message).toMatch(/^The completion's prompt .* is [\d,]+ tokens, more than the model's 4,096-token context: /);
    // The window around the cursor was cut to fit at ~3 characters a token (the 12B's tokenizer takes more;
    // the tiny vocabulary's ~1.5 does not fit even so).
    const sent = fs.readFileSync(promptLog(), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.endpoint === "/completion").at(-1);
    expect(String(sent.prompt).length).toBeLessThanOrEqual((4096 - 128) * 3);
    expect(String(sent.prompt)).toContain("export function f799(");
  });

  it("a chat longer than the context fails with a sentence, not the engine's text", async () => {
    const long = Array.from({ length: 800 }, (_, i) => `Line ${i} of a long pasted log: request handled.`).join("\n");
    const err = (await small.host.stream(ChatRequest, { messages: [{ role: "user", content: long }], maxTokens: 8 }, () => {}).catch((e: unknown) => e)) as ResponseError<HearthErrorData>;
    expect(err.data?.hearth.code).toBe("context-too-long");
    expect(err.message).toMatch(/^This conversation is [\d,]+ tokens, more than the model's 4,096-token context: start a new chat or send less, or raise hearth\.contextSize/);
  });
});

describe("a recording longer than the context (4096 tokens)", () => {
  let small: TinyHost;
  beforeAll(async () => {
    small = await startTinyHost({ model: models.text, mmproj: models.mmproj, drafter: "", contextSize: 4096 }, { HEARTH_PROMPT_LOG: promptLog() });
    await small.host.connection.sendRequest(LoadModelRequest);
  });
  afterAll(async () => {
    await small?.host.dispose();
  });

  it("is summarized in parts that each fit, the notes then merged: 5 minutes in 3 parts of 100 s", async () => {
    const wav = path.join(models.dir, "long-standup.wav");
    fs.writeFileSync(wav, makeWav(5 * 60, 16000)); // 7,500 audio tokens
    const sent = fs.existsSync(promptLog()) ? fs.readFileSync(promptLog(), "utf8").trim().split("\n").length : 0;
    const progress: number[] = [];
    const token = "in-parts";
    const partsSeen = new Set<string>();
    const notesSeen = new Set<number>();
    const sub = small.host.connection.onProgress(streamProgress, token, (c) => {
      if (!c.prompt) return;
      progress.push(c.prompt.processed / c.prompt.total);
      partsSeen.add(`${c.prompt.part} of ${c.prompt.parts}`);
      if (c.prompt.notes !== undefined) notesSeen.add(c.prompt.part!);
    });
    let r: SummarizeAudioResult;
    try {
      r = await small.host.connection.sendRequest(SummarizeAudioRequest, { path: wav, maxTokens: 16, partialResultToken: token });
    } finally {
      sub.dispose();
    }
    expect(r.parts).toBe(3);
    expect(r.mediaTokens).toBe(7500);
    expect(r.durationSeconds).toBe(300);
    expect(r.markdown).toMatch(/^# Meeting summary — long-standup\.wav\n\n_Recording: 5:00 · summarized locally by Hearth in 3 parts \(longer than the context\) on /);
    // Progress runs through the parts in a row, to the end.
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.some((p) => p > 0.4 && p < 0.7)).toBe(true);
    expect(progress.at(-1)).toBeCloseTo(1, 5);
    expect([...partsSeen]).toEqual(["1 of 3", "2 of 3", "3 of 3"]);
    // While a part's notes are written, the progress says so (the random model writes some for most parts).
    expect(notesSeen.size).toBeGreaterThanOrEqual(1);
    const requests = fs.readFileSync(promptLog(), "utf8").trim().split("\n").slice(sent).map((l) => JSON.parse(l)).filter((e) => e.endpoint === "/v1/chat/completions");
    const audio = requests.map((e) => Number(/"input_audio":\{"data":"<base64 (\d+) bytes/.exec(JSON.stringify(e))?.[1]));
    expect(audio.slice(0, 3)).toEqual([44 + 100 * 32000, 44 + 100 * 32000, 44 + 100 * 32000]);
    expect(JSON.stringify(requests[0])).toContain("part 1 of 3 of a recording of a team meeting (for example a daily standup), from 0:00 to 1:40");
    expect(JSON.stringify(requests[2])).toContain("this part starts at 3:20");
    const merge = JSON.stringify(requests[3]);
    expect(merge).not.toContain("input_audio");
    expect(merge).toContain("### Part 2 (1:40–3:20)");
    expect(merge).toContain("## Action items");
  });

  it("an mp3 that long too: decoded in the host (the engine reads it whole only when it fits), then cut into parts", async () => {
    const mp3 = path.join(models.dir, "long-standup.mp3");
    fs.writeFileSync(mp3, await makeMp3({ seconds: 5 * 60, sampleRate: 44100, tones: [440] }));
    const sent = fs.existsSync(promptLog()) ? fs.readFileSync(promptLog(), "utf8").trim().split("\n").length : 0;
    const r = await small.host.connection.sendRequest(SummarizeAudioRequest, { path: mp3, maxTokens: 16 });
    fs.rmSync(mp3);
    expect(r.parts).toBe(3);
    expect(r.markdown).toMatch(/^# Meeting summary — long-standup\.mp3\n\n_Recording: 5:0\d · summarized locally by Hearth in 3 parts/);
    const requests = fs.readFileSync(promptLog(), "utf8").trim().split("\n").slice(sent).map((l) => JSON.parse(l)).filter((e) => e.endpoint === "/v1/chat/completions");
    // Each part goes as 16 kHz mono WAV of about 100 s (the decoded mp3 is a few milliseconds longer than 5:00).
    const parts = requests.map((e) => /"input_audio":\{"data":"<base64 (\d+) bytes[^}]*"format":"(\w+)"/.exec(JSON.stringify(e))).filter((m) => m);
    expect(parts.map((m) => m![2])).toEqual(["wav", "wav", "wav"]);
    for (const m of parts) expect(Math.abs(Number(m![1]) - (44 + 100 * 32000))).toBeLessThan(32000 * 0.2);
    expect(JSON.stringify(requests.at(-1))).toContain("### Part 3 (3:2");
  });

  it("is refused, in minutes and tokens, when even its parts' notes would not fit the merge", async () => {
    const wav = path.join(models.dir, "all-hands.wav");
    fs.writeFileSync(wav, makeWav(60 * 60, 16000)); // 29 parts of 2 minutes: 88 tokens of notes each at most
    const err = await small.host.stream(SummarizeAudioRequest, { path: wav, maxTokens: 16 }, () => {}).catch((e: ResponseError<HearthErrorData>) => e);
    fs.rmSync(wav);
    expect((err as ResponseError<HearthErrorData>).data?.hearth.code).toBe("media-too-large");
    expect((err as Error).message).toBe(
      "The recording is 60.0 minutes (90,000 audio tokens): more than the 4,096-token context holds, even in parts. Raise hearth.contextSize (--ctx) if memory allows, or split the recording.",
    );
  });
});
