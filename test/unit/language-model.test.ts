/**
 * Hearth's model in VS Code's language model API (src/languageModel.ts), against a small stand-in for the
 * `vscode` module: what the editor is told about the model, how its messages reach the host, streaming,
 * options, token counting, and the change event when the model changes.
 */
import { describe, expect, it, vi } from "vitest";
import type { ChatMessage, CountTokensParams, ModelStatus } from "../../server/protocol";

const fake = vi.hoisted(() => {
  class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    event = (l: (e: T) => void) => {
      this.listeners.push(l);
      return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
    };
    fire(e: T) {
      for (const l of [...this.listeners]) l(e);
    }
    dispose() {
      this.listeners = [];
    }
  }
  class LanguageModelTextPart {
    constructor(readonly value: string) {}
  }
  class LanguageModelToolCallPart {
    constructor(readonly callId: string, readonly name: string, readonly input: object) {}
  }
  class LanguageModelToolResultPart {
    constructor(readonly callId: string, readonly content: unknown[]) {}
  }
  class LanguageModelDataPart {
    constructor(readonly data: Uint8Array, readonly mimeType: string) {}
  }
  class CancellationError extends Error {}
  class LanguageModelThinkingPart {
    constructor(readonly value: string) {}
  }
  const vscode = {
    EventEmitter,
    CancellationError,
    LanguageModelTextPart,
    LanguageModelToolCallPart,
    LanguageModelToolResultPart,
    LanguageModelChatMessageRole: { User: 1, Assistant: 2 },
  };
  return { vscode, LanguageModelDataPart, LanguageModelThinkingPart };
});
vi.mock("vscode", () => fake.vscode);

const { HearthLanguageModels, toHostMessages, LM_DEFAULT_MAX_TOKENS } = await import("../../src/languageModel");
const { TextPart, ToolCall, ToolResult } = { TextPart: fake.vscode.LanguageModelTextPart, ToolCall: fake.vscode.LanguageModelToolCallPart, ToolResult: fake.vscode.LanguageModelToolResultPart };
const User = 1;
const Assistant = 2;
const msg = (role: number, ...content: unknown[]) => ({ role, content, name: undefined }) as never;

class FakeHost {
  status: ModelStatus | undefined = { state: "idle", model: "hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M" };
  private listeners: ((s: ModelStatus) => void)[] = [];
  chats: { messages: ChatMessage[]; options: object; token: unknown }[] = [];
  counts: CountTokensParams[] = [];
  reply = ["Hello", ", world"];
  fail?: Error;
  onStatus(l: (s: ModelStatus) => void) {
    this.listeners.push(l);
  }
  setStatus(s: ModelStatus) {
    this.status = s;
    for (const l of this.listeners) l(s);
  }
  async chat(messages: ChatMessage[], onText: (t: string) => void, token: unknown, options: object) {
    this.chats.push({ messages, options, token });
    if (this.fail) throw this.fail;
    for (const t of this.reply) onText(t);
    return { text: this.reply.join(""), stats: {} as never, mediaTokens: 0 };
  }
  async countTokens(p: CountTokensParams) {
    this.counts.push(p);
    if (this.fail) throw this.fail;
    return 42;
  }
}

const ready = (over: Partial<ModelStatus> = {}): ModelStatus => ({
  state: "ready",
  model: "hf:giladgd/gemma-4-12B-it-GGUF:Q4_K_M",
  files: { model: "/home/u/.cache/hearth/models/gemma-4-12B-it-Q4_K_M.gguf" },
  memory: { weightsBytes: 1, kvCacheBytes: 1, totalBytes: 2, contextSize: 131_072, freeBytes: 10, fits: true },
  engine: { kind: "local", restarts: 0, mtp: true, vision: true, audio: true, nativeFim: false },
  ...over,
});

describe("Hearth in vscode.lm", () => {
  it("announces one model, named after the file the host runs, with its context and whether it sees images", () => {
    const host = new FakeHost();
    const lm = new HearthLanguageModels(host);
    const [before] = lm.provideLanguageModelChatInformation();
    // (before the model runs: named from the setting)
    expect(before).toMatchObject({ id: "hearth-local", name: "Gemma 4 12B Q4_K_M (Hearth)", family: "gemma-4", capabilities: { imageInput: false, toolCalling: false } });
    expect(before.maxInputTokens + before.maxOutputTokens).toBe(32_768);

    let changes = 0;
    lm.onDidChangeLanguageModelChatInformation(() => changes++);
    host.setStatus(ready());
    expect(changes).toBe(1);
    const [after] = lm.provideLanguageModelChatInformation();
    expect(after).toMatchObject({ name: "Gemma 4 12B Q4_K_M (Hearth)", version: "gemma-4-12B-it-Q4_K_M.gguf", maxOutputTokens: 16_384, capabilities: { imageInput: true } });
    expect(after.maxInputTokens).toBe(131_072 - 16_384);
    expect(after.tooltip).toContain("nothing leaves it");
    // the same status again: no event
    host.setStatus(ready());
    expect(changes).toBe(1);
    // another model selected: the engine stops (the status keeps the old files), the new setting names it
    host.setStatus({ ...ready(), state: "idle", engine: undefined, model: "hf:giladgd/gemma-4-E4B-it-GGUF:Q8_0" });
    expect(lm.provideLanguageModelChatInformation()[0].name).toBe("Gemma 4 E4B Q8_0 (Hearth)");
    host.setStatus({ state: "idle", model: "/models/my-model.gguf" });
    expect(lm.provideLanguageModelChatInformation()[0].name).toBe("my model (Hearth)");
  });

  it("streams the host's answer as text parts, with the caller's max tokens and temperature", async () => {
    const host = new FakeHost();
    const lm = new HearthLanguageModels(host);
    const reported: unknown[] = [];
    const token = { isCancellationRequested: false };
    await lm.provideLanguageModelChatResponse({} as never, [msg(User, new TextPart("Say hi"))], { modelOptions: { max_tokens: 99, temperature: 0.2 }, toolMode: 1 } as never, { report: (p) => reported.push(p) }, token as never);
    expect(reported).toEqual([new TextPart("Hello"), new TextPart(", world")]);
    // (the caller's own system prompt only: no standing instructions)
    expect(host.chats[0]).toEqual({ messages: [{ role: "user", content: "Say hi" }], options: { maxTokens: 99, temperature: 0.2, instructions: false }, token });
    await lm.provideLanguageModelChatResponse({} as never, [msg(User, new TextPart("again"))], { toolMode: 1 } as never, { report: () => {} }, token as never);
    expect(host.chats[1].options).toEqual({ maxTokens: LM_DEFAULT_MAX_TOKENS, instructions: false });
    // at most what the model announces (half a small context)
    host.setStatus(ready({ memory: { weightsBytes: 1, kvCacheBytes: 1, totalBytes: 2, contextSize: 4096, freeBytes: 1, fits: true } }));
    await lm.provideLanguageModelChatResponse({} as never, [msg(User, new TextPart("long"))], { modelOptions: { maxTokens: 8000 }, toolMode: 1 } as never, { report: () => {} }, token as never);
    expect(host.chats[2].options).toMatchObject({ maxTokens: 2048 });
  });

  it("refuses a request that requires a tool; says a cancelled request was cancelled", async () => {
    const host = new FakeHost();
    const lm = new HearthLanguageModels(host);
    const report = { report: () => {} };
    await expect(lm.provideLanguageModelChatResponse({} as never, [msg(User, new TextPart("x"))], { tools: [{ name: "t" }], toolMode: 2 } as never, report, {} as never)).rejects.toThrow(
      "Hearth's model does not call tools",
    );
    expect(host.chats).toHaveLength(0);
    host.fail = new Error("Request cancelled");
    await expect(lm.provideLanguageModelChatResponse({} as never, [msg(User, new TextPart("x"))], { toolMode: 1 } as never, report, { isCancellationRequested: true } as never)).rejects.toBeInstanceOf(
      fake.vscode.CancellationError,
    );
    host.fail = new Error("The engine crashed: see the logs.");
    await expect(lm.provideLanguageModelChatResponse({} as never, [msg(User, new TextPart("x"))], { toolMode: 1 } as never, report, { isCancellationRequested: false } as never)).rejects.toThrow("The engine crashed");
  });

  it("names a remote endpoint's model, and announces hearth.contextSize before the model is loaded", () => {
    const host = new FakeHost();
    const lm = new HearthLanguageModels(host, () => 8192);
    expect(lm.provideLanguageModelChatInformation()[0]).toMatchObject({ maxInputTokens: 4096, maxOutputTokens: 4096 });
    host.setStatus(ready({ engine: { kind: "remote", restarts: 0, mtp: false, vision: false, audio: false, nativeFim: false, remoteModel: "google/gemma-4-12b-it" } }));
    const [info] = lm.provideLanguageModelChatInformation();
    expect(info).toMatchObject({ name: "Gemma 4 12b (Hearth)", family: "gemma-4", detail: "Hearth, remote endpoint" });
    expect(info.tooltip).toContain("hearth.remoteEndpoint");
    // the family: Gemma 4 locally (the host checks the architecture) unless the GGUF has native FIM tokens
    host.setStatus(ready({ engine: { kind: "remote", restarts: 0, mtp: false, vision: false, audio: false, nativeFim: false, remoteModel: "Qwen2.5-Coder-7B" } }));
    expect(lm.provideLanguageModelChatInformation()[0].family).toBe("other");
    host.setStatus(ready({ files: { model: "/m/text.gguf" } }));
    expect(lm.provideLanguageModelChatInformation()[0]).toMatchObject({ family: "gemma-4", name: "text (Hearth)" });
    host.setStatus(ready({ files: { model: "/m/qwen-fim.gguf" }, engine: { kind: "local", restarts: 0, mtp: false, vision: false, audio: false, nativeFim: true } }));
    expect(lm.provideLanguageModelChatInformation()[0].family).toBe("other");
  });

  it("counts tokens with the host, for a string or a message", async () => {
    const host = new FakeHost();
    const lm = new HearthLanguageModels(host);
    expect(await lm.provideTokenCount({} as never, "hello world", {} as never)).toBe(42);
    expect(await lm.provideTokenCount({} as never, msg(Assistant, new TextPart("an answer")), {} as never)).toBe(42);
    expect(host.counts).toEqual([{ text: "hello world" }, { messages: [{ role: "assistant", content: "an answer" }] }]);
    // the host restarting: an estimate rather than a failed prompt
    host.fail = new Error("The model host is not running.");
    expect(await lm.provideTokenCount({} as never, "x".repeat(40), {} as never)).toBe(10);
  });

  it("maps the editor's messages: roles, images, tool calls and results as text, one message per role in a row", () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47]);
    const out = toHostMessages([
      msg(3, new TextPart("Be brief.")),
      msg(User, new TextPart("What is "), new TextPart("this?"), new fake.LanguageModelDataPart(png, "image/png"), new fake.LanguageModelDataPart(png, "application/json")),
      msg(Assistant, new TextPart("Let me look."), new ToolCall("c1", "readFile", { path: "a.ts" })),
      msg(User, new ToolResult("c1", [new TextPart("export const a = 1;")])),
      msg(Assistant, new fake.LanguageModelThinkingPart("secret reasoning")),
      msg(User, new TextPart("And now?")),
      msg(User),
    ]);
    expect(out).toEqual([
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "What is " },
          { type: "text", text: "this?" },
          { type: "image", data: Buffer.from(png).toString("base64"), mimeType: "image/png" },
        ],
      },
      { role: "assistant", content: 'Let me look.\n[called the tool readFile with {"path":"a.ts"}]\n' },
      { role: "user", content: "\n[the tool's result: export const a = 1;]\n\n\nAnd now?" },
    ]);
  });
});
