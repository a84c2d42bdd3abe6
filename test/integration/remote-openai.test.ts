/**
 * A remote endpoint that speaks only the OpenAI API (vLLM, Ollama, LM Studio on a team's GPU box): the real
 * host over LSP against a stand-in server with exactly those routes. Completions and chat work (the served
 * model's name in every request), nothing llama-server-only is asked of it, and what cannot work says why.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DidOpenTextDocumentNotification, type ResponseError } from "vscode-languageserver-protocol";
import { ChatRequest, LoadModelRequest, SummarizeAudioRequest, type ChatResult, type HearthErrorData, type SummarizeAudioResult } from "../../server/protocol";
import { makePng, makeWav } from "../helpers/media";
import { startOpenAiFixture, type OpenAiFixture } from "../helpers/openAiFixture";
import { completeAt, startTinyHost, type TinyHost } from "../helpers/tinyHost";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-openai-"));
const file = path.join(root, "ws", "src", "sum.ts");
const uri = pathToFileURL(file).href;
let server: OpenAiFixture;
let t: TinyHost;

beforeAll(async () => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "export function sum(a: number, b: number): number {\n  \n}\n");
  server = await startOpenAiFixture({ model: "gemma-4-12b-it", contextSize: 16384, answer: "return a + b;" });
  // given as most such servers are documented: with /v1
  t = await startTinyHost({ remoteEndpoint: `${server.url}/v1` }, {}, pathToFileURL(path.join(root, "ws")).href);
});

afterAll(async () => {
  await t?.host.dispose();
  await server?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const llamaServerOnly = () => server.requests.filter((r) => !r.path.startsWith("/v1/")).map((r) => r.path);

describe("an OpenAI-compatible remote endpoint", () => {
  it("is recognised from /v1/models when it has no /health, with its model and context", async () => {
    const status = await t.host.connection.sendRequest(LoadModelRequest);
    expect(status.state).toBe("ready");
    expect(status.engine).toMatchObject({ kind: "remote", api: "openai", remoteModel: "gemma-4-12b-it" });
    await t.waitForLog(/remote endpoint .*: OpenAI-compatible, model gemma-4-12b-it \(16384 tokens\)/);
  });

  it("completes code through /v1/completions: the Hearth prompt as text, the model's name, the settings' limits", async () => {
    const text = "export function sum(a: number, b: number): number {\n  \n}\n";
    await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "typescript", version: 1, text } });
    const { text: completion, stats } = await completeAt(t.host, uri, { line: 1, character: 2 });
    expect(completion).toBe("return a + b;");
    expect(stats.stats.generatedTokens).toBeGreaterThan(0);
    const sent = server.requests.filter((r) => r.path === "/v1/completions");
    expect(sent).toHaveLength(1);
    expect(sent[0].body).toMatchObject({ model: "gemma-4-12b-it", stream: true, max_tokens: 128, temperature: 0 });
    expect(String(sent[0].body.prompt)).toContain("export function sum(a: number, b: number): number {");
    expect(llamaServerOnly()).toEqual(["/health"]); // asked once to tell the kind of server, then never
  });

  it("chats through /v1/chat/completions with the model's name", async () => {
    let streamed = "";
    const answer = await t.host.stream<object, ChatResult>(ChatRequest, { messages: [{ role: "user", content: "Add two numbers?" }], maxTokens: 16 }, (s) => (streamed += s));
    expect(answer.text).toBe("return a + b;");
    expect(answer.stats.contextSize).toBeUndefined(); // (a remote server's context is not claimed)
    expect(streamed).toBe(answer.text);
    expect(server.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)?.body).toMatchObject({ model: "gemma-4-12b-it", stream: true });
    expect(llamaServerOnly()).toEqual(["/health"]);
  });

  it("continues an answer with the OpenAI API's continue_final_message (vLLM's), not a new answer after it", async () => {
    await t.host.stream<object, ChatResult>(ChatRequest, { messages: [{ role: "user", content: "Add two numbers?" }, { role: "assistant", content: "return a" }], maxTokens: 16 }, () => {});
    const body = server.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!.body;
    expect(body).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    expect((body.messages as { role: string }[]).at(-1)).toEqual({ role: "assistant", content: "return a" });
  });

  it("answers about the workspace with the completions' raw prompt as text on /v1/completions", async () => {
    const answer = await t.host.stream<object, ChatResult>(
      ChatRequest,
      { messages: [{ role: "user", content: "Where is sum defined?" }], workspace: true, maxTokens: 16, temperature: 0 },
      () => {},
    );
    expect(answer.text).toBe("return a + b;");
    expect(answer.stats.contextSize).toBeUndefined(); // (a remote server's context is not claimed)
    const sent = server.requests.filter((r) => r.path === "/v1/completions").at(-1)!.body;
    expect(sent).toMatchObject({ model: "gemma-4-12b-it", max_tokens: 16, temperature: 0, stop: ["<turn|>", "<|turn>"] });
    const prompt = String(sent.prompt);
    expect(prompt.indexOf("export function sum(a: number, b: number)")).toBeLessThan(prompt.indexOf("Where is sum defined?"));
    expect(llamaServerOnly()).toEqual(["/health"]);
  });

  it("asks about the workspace with an image through /v1/chat/completions, the workspace as text before the question", async () => {
    const png = makePng(2, 2).toString("base64");
    const image = { type: "image" as const, data: png, mimeType: "image/png" };
    const before = server.requests.length;
    const answer = await t.host.stream<object, ChatResult>(
      ChatRequest,
      { messages: [{ role: "system", content: "You are Hearth." }, { role: "user", content: [image, { type: "text", text: "Which file draws this?" }] }], workspace: true, maxTokens: 16 },
      () => {},
    );
    expect(answer.text).toBe("return a + b;");
    expect(answer.stats.contextSize).toBeUndefined(); // (a remote server's context is not claimed)
    const sent = server.requests.slice(before);
    expect(sent.map((r) => r.path)).toEqual(["/v1/chat/completions"]);
    const messages = sent[0].body.messages as { role: string; content: unknown }[];
    expect(messages[0]).toEqual({ role: "system", content: "You are Hearth." });
    const parts = messages[1].content as { type: string; text?: string; image_url?: { url: string } }[];
    expect(parts.map((p) => p.type)).toEqual(["text", "image_url", "text"]);
    expect(parts[0].text).toMatch(/^The developer's workspace files:\n\nFile: src\/sum\.ts\n```typescript\nexport function sum\(a: number, b: number\)/);
    expect(parts[1].image_url!.url).toBe(`data:image/png;base64,${png}`);
    expect(parts[2].text).toBe("Which file draws this?");
    expect(llamaServerOnly()).toEqual(["/health"]);
  });
});

describe("a meeting summary made by a remote endpoint", () => {
  it("says where the recording went, not \"locally\"", async () => {
    const wav = path.join(root, "standup.wav");
    fs.writeFileSync(wav, makeWav(5, 16000));
    const r = await t.host.stream<object, SummarizeAudioResult>(SummarizeAudioRequest, { path: wav, maxTokens: 16 }, () => {});
    expect(r.markdown).toMatch(new RegExp(`^# Meeting summary — standup\\.wav\n\n_Recording: summarized by ${server.url}/v1 on \\d{4}-`));
    expect(r.markdown).not.toContain("locally");
    const sent = server.requests.filter((x) => x.path === "/v1/chat/completions").at(-1)!.body as { messages: { content: { type: string }[] }[] };
    expect(sent.messages[0].content.map((p) => p.type)).toContain("input_audio");
  });
});

describe("a remote endpoint that is neither llama-server nor OpenAI-compatible", () => {
  it("fails to load with a sentence naming both probes", async () => {
    const other = await startTinyHost({ remoteEndpoint: "http://127.0.0.1:9/" });
    try {
      const err = await other.host.connection.sendRequest(LoadModelRequest).catch((e: ResponseError<HearthErrorData>) => e);
      expect((err as Error).message).toMatch(/answers neither \/health \(llama-server\) nor \/v1\/models \(an OpenAI-compatible server\).*Check the URL/);
    } finally {
      await other.host.dispose();
    }
  });
});
