/**
 * A prompt longer than the model's context: llama-server's raw refusal becomes a sentence that says what to do
 * (chat), and Edit Selection falls back from the workspace to the file alone before saying it does not fit.
 */
import { describe, expect, it } from "vitest";
import { contextTooLong, type ChatService, type GenerateOptions } from "../../server/chat/service";
import { editCode } from "../../server/edit/service";
import { EngineHttpError } from "../../server/engine/client";
import { HearthFailure } from "../../server/errors";
import type { ChatMessage, ChatResult } from "../../server/protocol";

const refusal = new EngineHttpError(400, "request (8361 tokens) exceeds the available context size (8192 tokens), try increasing it");

describe("the engine's context refusal", () => {
  it("becomes context-too-long with the sizes and what to do, never the engine's text", () => {
    const f = contextTooLong(refusal, "This conversation", "start a new chat or send less")!;
    expect(f).toBeInstanceOf(HearthFailure);
    expect(f.code).toBe("context-too-long");
    expect(f.message).toBe(
      "This conversation is 8,361 tokens, more than the model's 8,192-token context: start a new chat or send less, or raise hearth.contextSize (--ctx) if memory allows.",
    );
    expect(contextTooLong(new EngineHttpError(500, "Failed to load image or audio"), "x", "y")).toBeUndefined();
    expect(contextTooLong(new Error(refusal.message), "x", "y")).toBeUndefined();
  });
});

describe("Edit Selection that does not fit the context", () => {
  const text = Array.from({ length: 40 }, (_, i) => `const v${i} = ${i};`).join("\n") + "\n";
  const req = { filePath: "src/v.ts", languageId: "typescript", text, lineCount: 41, startLine: 5, endLine: 20, instruction: "rename", contextSize: 8192 };
  const stats = { promptTokens: 1, cachedTokens: 0, processedTokens: 1, generatedTokens: 1, promptMs: 1, generationMs: 1, tokensPerSecond: 1, totalMs: 1, stoppedBy: "eos" as const };
  const workspaceTooLong = new HearthFailure("context-too-long", "The workspace (7,000 tokens) and this conversation … Start a new chat, ask without the workspace, or raise hearth.contextSize if memory allows.");
  const fake = (plain: () => Promise<ChatResult>) => {
    const calls: string[] = [];
    const chat = {
      chatWithWorkspace: async () => {
        calls.push("workspace");
        throw workspaceTooLong;
      },
      chat: async (_m: ChatMessage[], _o: GenerateOptions) => {
        calls.push("plain");
        return plain();
      },
    } as unknown as ChatService;
    return { chat, calls };
  };
  const workspace = async () => ({ prefix: [] });

  it("asks again with the file alone (its prompt has the lines around the selection) and says the workspace did not go", async () => {
    const { chat, calls } = fake(async () => ({ text: "```ts\nconst w5 = 5;\n```", stats, mediaTokens: 0 }));
    const r = await editCode(chat, { ...req, workspace }, {});
    expect(calls).toEqual(["workspace", "plain"]);
    expect(r.workspace).toBe(false);
    expect(r.text).toContain("const w5 = 5;");
  });

  it("says the selection does not fit (not workspace chat's advice) when the file alone does not fit either", async () => {
    const { chat } = fake(async () => {
      throw contextTooLong(refusal, "This conversation", "start a new chat or send less");
    });
    const err = (await editCode(chat, { ...req, workspace }, {}).catch((e: unknown) => e)) as HearthFailure;
    expect(err.code).toBe("context-too-long");
    expect(err.message).toBe("The selection and the lines around it do not fit the model's context (8,192 tokens): select fewer lines, or raise hearth.contextSize.");
    const alone = (await editCode(chat, req, {}).catch((e: unknown) => e)) as HearthFailure;
    expect(alone.message).toMatch(/^The selection and the lines around it do not fit/);
  });

  it("other failures are not retried", async () => {
    const { chat, calls } = fake(async () => ({ text: "", stats, mediaTokens: 0 }));
    (chat as unknown as { chatWithWorkspace: () => Promise<never> }).chatWithWorkspace = async () => {
      calls.push("workspace");
      throw new HearthFailure("engine-crashed", "The model engine stopped while answering.");
    };
    await expect(editCode(chat, { ...req, workspace }, {})).rejects.toThrow(/engine stopped/);
    expect(calls).toEqual(["workspace"]);
  });
});
