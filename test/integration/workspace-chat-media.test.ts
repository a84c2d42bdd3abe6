/**
 * Workspace chat with images and audio, with a real engine and host on the tiny models (text + mmproj with
 * vision and audio): the conversation's media go after the workspace prefix as `/completion`
 * `{ prompt_string, multimodal_data }`, the chat slot's evaluated prefix is still reused (the engine
 * processes the conversation and the media, not the workspace), the prompt log holds no media bytes, an
 * undecodable image fails with the same error as in plain chat, and the raw prompt equals what the chat
 * template renders for the same messages (checked against the engine's own /apply-template).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DidOpenTextDocumentNotification, type ResponseError } from "vscode-languageserver-protocol";
import { renderWorkspaceChat } from "../../server/chat/workspacePrompt";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { ChatRequest, type ChatContentPart, type ChatMessage, type ChatResult, type HearthErrorData } from "../../server/protocol";
import { startLlamaServer } from "../helpers/llamaServer";
import { makePng, makeWav } from "../helpers/media";
import { completeAt, startWarmWorkspaceHost, type TinyHost } from "../helpers/tinyHost";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-wschat-media-"));
const ws = path.join(root, "ws");
const promptLog = path.join(root, "prompts.jsonl");
const current = path.join(ws, "src", "main.ts");
let tiny: Awaited<ReturnType<typeof writeTinyModels>>;
let t: TinyHost;
let warm = 0;

beforeAll(async () => {
  tiny = await writeTinyModels(path.join(root, "models"));
  fs.mkdirSync(path.join(ws, "src"), { recursive: true });
  const old = new Date("2026-01-01T00:00:00Z");
  for (let i = 0; i < 8; i++) {
    const file = path.join(ws, "src", `dialog${i}.ts`);
    fs.writeFileSync(file, Array.from({ length: 30 }, (_, j) => `export const title${i}_${j} = "Dialog ${i} button ${j}"; // line ${j}`).join("\n") + "\n");
    fs.utimesSync(file, old, old);
  }
  fs.writeFileSync(current, "import { title0_0 } from './dialog0';\nexport const shown = \n");
  ({ t, warm } = await startWarmWorkspaceHost({ model: tiny.text, mmproj: tiny.mmproj, drafter: "" }, { HEARTH_PROMPT_LOG: promptLog }, ws, path.join(root, "storage")));
}, 180_000);

afterAll(async () => {
  await t?.host.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

const uri = pathToFileURL(current).href;
const png = makePng(256, 192);
const wav = makeWav(2);
const image: ChatContentPart = { type: "image", data: png.toString("base64"), mimeType: "image/png" };
const audio: ChatContentPart = { type: "audio", data: wav.toString("base64"), mimeType: "audio/wav" };
const ask = (messages: ChatMessage[], extra: object = {}) =>
  t.host.stream<object, ChatResult>(ChatRequest, { messages, workspace: true, maxTokens: 8, temperature: 0, seed: 1, ...extra }, () => {});
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: ResponseError<HearthErrorData>) => e.data?.hearth);

/** The requests the host sent on the chat slot, from the prompt log. */
function chatSlotRequests(): { prompt: unknown; prompt_ids?: number }[] {
  return fs
    .readFileSync(promptLog, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { endpoint: string; id_slot?: number; prompt: unknown; prompt_ids?: number })
    .filter((e) => e.endpoint === "/completion" && e.id_slot === 1);
}

describe("workspace chat with images and audio", () => {
  const system: ChatMessage = { role: "system", content: "You are Hearth." };
  const question: ChatMessage = { role: "user", content: [image, { type: "text", text: "Where in this codebase is this dialog implemented?" }] };
  let first: ChatResult;

  it("answers about a screenshot with the workspace, processing only the conversation and the image", async () => {
    expect(warm).toBeGreaterThan(1000);
    await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text: fs.readFileSync(current, "utf8") },
    });
    expect((await completeAt(t.host, uri, { line: 1, character: 21 })).stats.stats.cachedTokens).toBeGreaterThan(warm * 0.8);

    const from = t.logs.length;
    first = await ask([system, question]);
    await t.waitForLog(/workspace chat: \d+ tokens of the saved workspace prefix loaded into the chat slot/, from, 1000);
    expect(first.stats.generatedTokens).toBeGreaterThan(0);
    expect(first.mediaTokens).toBeGreaterThan(10);
    // The workspace came from the cache; what was processed is the conversation (~40 tokens, plus the
    // edited file's turn after the shared prefix) and the image.
    expect(first.stats.cachedTokens).toBeGreaterThanOrEqual(warm);
    expect(first.stats.processedTokens).toBeGreaterThanOrEqual(first.mediaTokens);
    expect(first.stats.processedTokens - first.mediaTokens).toBeLessThan(200);
    expect(first.stats.promptTokens).toBeGreaterThan(warm + first.mediaTokens);
    expect(t.logs.slice(from).some((l) => /forcing full prompt re-processing/.test(l.message))).toBe(false);
    console.log(`image: workspace prefix ${warm} tokens; ${first.stats.cachedTokens} cached, ${first.stats.processedTokens} processed (${first.mediaTokens} image tokens) of ${first.stats.promptTokens}`);

    // Sent as prompt_string + multimodal_data (ids cannot go with media); the log holds no media bytes.
    const sent = chatSlotRequests().at(-1)!;
    const prompt = sent.prompt as { prompt_string: string; multimodal_data: string[] };
    expect(prompt.prompt_string).toContain("Workspace file: src/dialog3.ts");
    expect(prompt.prompt_string).toMatch(/<\|turn>user\nYou are Hearth\.\n\n<__media_\w+__>Where in this codebase is this dialog implemented\?<turn\|>\n<\|turn>model\n/);
    expect(prompt.multimodal_data).toEqual([expect.stringMatching(new RegExp(`^<image/png ${png.length} bytes sha256:[0-9a-f]{16}>$`))]);
    expect(fs.readFileSync(promptLog, "utf8")).not.toContain(image.data.slice(0, 64));

    // Completions on slot 0 keep their cache.
    expect((await completeAt(t.host, uri, { line: 1, character: 21 })).stats.stats.processedTokens).toBeLessThan(8);
  }, 180_000);

  it("answers a follow-up from the chat slot's cache, the image included", async () => {
    const from = t.logs.length;
    const second = await ask([system, question, { role: "assistant", content: first.text }, { role: "user", content: "And where is it tested?" }]);
    console.log(`follow-up: ${second.stats.cachedTokens} cached, ${second.stats.processedTokens} processed of ${second.stats.promptTokens}`);
    expect(t.logs.slice(from).some((l) => /loaded into the chat slot/.test(l.message))).toBe(false);
    expect(second.mediaTokens).toBe(first.mediaTokens);
    expect(second.stats.cachedTokens).toBeGreaterThan(warm + first.mediaTokens);
    expect(second.stats.processedTokens).toBeLessThan(first.mediaTokens);
  }, 120_000);

  it("answers about a recording with the workspace: 25 audio tokens a second, the prefix not re-processed", async () => {
    const r = await ask([{ role: "user", content: [audio, { type: "text", text: "Which dialog does this recording talk about?" }] }]);
    expect(r.mediaTokens).toBe(50);
    expect(r.stats.generatedTokens).toBeGreaterThan(0);
    expect(r.stats.cachedTokens).toBeGreaterThanOrEqual(warm);
    expect(r.stats.processedTokens).toBeGreaterThanOrEqual(50);
    expect(r.stats.processedTokens - r.mediaTokens).toBeLessThan(200);
    const prompt = chatSlotRequests().at(-1)!.prompt as { multimodal_data: string[] };
    expect(prompt.multimodal_data).toEqual([expect.stringMatching(new RegExp(`^<audio/wav ${wav.length} bytes sha256:[0-9a-f]{16}>$`))]);
  }, 120_000);

  it("a text-only workspace chat still sends the prefix as token ids", async () => {
    const r = await ask([{ role: "user", content: "Which file exports title5_2?" }]);
    expect(r.stats.cachedTokens).toBeGreaterThanOrEqual(warm);
    expect(chatSlotRequests().at(-1)!.prompt_ids).toBeGreaterThan(warm * 0.9);
  }, 120_000);

  it("fails on an unreadable image exactly as plain chat does, and keeps serving", async () => {
    const undecodable: ChatContentPart = { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" }; // a PNG signature, nothing else
    const notAnImage: ChatContentPart = { type: "image", data: Buffer.from("not really a png").toString("base64"), mimeType: "image/png" };
    const requests = chatSlotRequests().length;
    for (const part of [undecodable, notAnImage]) {
      const messages: ChatMessage[] = [{ role: "user", content: [part, { type: "text", text: "?" }] }];
      const inWorkspace = await failure(ask(messages));
      const plain = await failure(ask(messages, { workspace: false }));
      expect(inWorkspace).toBeDefined();
      expect(inWorkspace).toEqual(plain);
    }
    expect(await failure(ask([{ role: "user", content: [undecodable] }]))).toMatchObject({ code: "unreadable-media", message: expect.stringMatching(/could not decode the attached image/) });
    expect(await failure(ask([{ role: "user", content: [notAnImage] }]))).toMatchObject({ code: "unsupported-media", message: expect.stringMatching(/not a PNG, JPEG, WebP, GIF or BMP/) });
    expect(chatSlotRequests().length).toBe(requests); // refused before the chat request
    const r = await ask([{ role: "user", content: [image, { type: "text", text: "still there?" }] }]);
    expect(r.stats.generatedTokens).toBeGreaterThan(0);
    expect(r.stats.cachedTokens).toBeGreaterThanOrEqual(warm);
  }, 120_000);
});

describe("the raw prompt's media markers", () => {
  it("equal the engine's chat template rendering of the same messages (/apply-template)", async () => {
    const server = await startLlamaServer(["-m", tiny.text, "--mmproj", tiny.mmproj, "-c", "4096", "--reasoning", "off"]);
    try {
      const marker = String(((await (await fetch(`${server.url}/props`)).json()) as { media_marker: string }).media_marker);
      const url = `data:image/png;base64,${makePng(32, 32).toString("base64")}`;
      const wavData = makeWav(0.2).toString("base64");
      const img: ChatContentPart = { type: "image", data: url.slice(url.indexOf(",") + 1), mimeType: "image/png" };
      const aud: ChatContentPart = { type: "audio", data: wavData, mimeType: "audio/wav" };
      const conversations: ChatMessage[][] = [
        [{ role: "user", content: [img, { type: "text", text: "  What is this?  " }] }],
        [{ role: "user", content: [{ type: "text", text: "Look:" }, img, { type: "text", text: " and " }, { type: "text", text: "this\n" }] }],
        [{ role: "user", content: [aud, { type: "text", text: "Summarize" }] }],
        [{ role: "user", content: [{ type: "text", text: "a" }, aud, img] }],
        [
          { role: "user", content: [img, { type: "text", text: "Where?" }] },
          { role: "assistant", content: "In dialog.ts." },
          { role: "user", content: "And the test?" },
        ],
      ];
      for (const messages of conversations) {
        const engineMessages = messages.map((m) => ({
          role: m.role,
          content:
            typeof m.content === "string"
              ? m.content
              : m.content.map((p) =>
                  p.type === "text"
                    ? p
                    : p.type === "image"
                      ? { type: "image_url", image_url: { url: `data:${p.mimeType};base64,${p.data}` } }
                      : { type: "input_audio", input_audio: { data: p.data, format: "wav" } },
                ),
        }));
        const res = await fetch(`${server.url}/apply-template`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages: engineMessages }) });
        const templated = ((await res.json()) as { prompt: string }).prompt;
        const r = renderWorkspaceChat({ prefixChunks: [], messages, mediaMarker: marker });
        expect(r.prompt.slice(r.conversationStart)).toBe(templated);
        expect(r.media).toHaveLength(templated.split(marker).length - 1);
      }
    } finally {
      await server.stop();
    }
  }, 120_000);
});
