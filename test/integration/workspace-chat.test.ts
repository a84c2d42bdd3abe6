/**
 * Workspace chat with a real engine and host: after the completions' workspace prefix is warm (and saved), a
 * chat with `workspace: true` loads that saved prefix into the chat slot instead of re-reading the workspace,
 * so it processes only the conversation; secret and ignored files never reach its prompt; completions on
 * slot 0 stay cache hits; a follow-up question reuses the chat slot; Stop still stops the engine.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancellationTokenSource, DidOpenTextDocumentNotification, LSPErrorCodes, type ResponseError } from "vscode-languageserver-protocol";
import { writeTinyModels } from "../../server/gguf/tinyModels";
import { ChatRequest, type ChatMessage, type ChatResult, type HearthErrorData } from "../../server/protocol";
import { completeAt, startWarmWorkspaceHost, type TinyHost } from "../helpers/tinyHost";
import { GEMMA_MODEL_NO_THINKING } from "../../server/completion/layout";
import { escapeChatText } from "../../server/chat/workspacePrompt";
import { writeModules } from "../helpers/workspace";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-wschat-"));
const ws = path.join(root, "ws");
const promptLog = path.join(root, "prompts.jsonl");
const current = path.join(ws, "src", "main.ts");
const SECRET = "sk-proj-SECRETSECRETSECRETSECRET1234567890";
const IGNORED = "IGNORED_ONLY_IN_BUILD_OUTPUT_4711";
let t: TinyHost;
let warm = 0;

beforeAll(async () => {
  const tiny = await writeTinyModels(path.join(root, "models"));
  fs.mkdirSync(path.join(ws, "generated"), { recursive: true });
  writeModules(ws, 8);
  fs.writeFileSync(path.join(ws, ".env"), `OPENAI_API_KEY=${SECRET}\n`);
  fs.writeFileSync(path.join(ws, "src", "config.ts"), `export const key = "${SECRET}";\n`);
  fs.writeFileSync(path.join(ws, ".gitignore"), "generated/\n");
  fs.writeFileSync(path.join(ws, "generated", "out.ts"), `export const marker = "${IGNORED}";\n`);
  fs.writeFileSync(current, "import { value0_0 } from './module0';\nexport const answer = \n");
  fs.writeFileSync(path.join(ws, "AGENTS.md"), "Name the module a value comes from.\n");

  ({ t, warm } = await startWarmWorkspaceHost({ model: tiny.text, mmproj: "", drafter: "" }, { HEARTH_PROMPT_LOG: promptLog }, ws, path.join(root, "storage")));
}, 180_000);

afterAll(async () => {
  await t?.host.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

const uri = pathToFileURL(current).href;
const complete = async () => (await completeAt(t.host, uri, { line: 1, character: 21 })).stats.stats;
const ask = (messages: ChatMessage[], extra: object = {}, cancel?: CancellationTokenSource, onText: (s: string) => void = () => {}) =>
  t.host.stream<object, ChatResult>(ChatRequest, { messages, workspace: true, maxTokens: 8, temperature: 0, seed: 1, ...extra }, onText, cancel);

/** The prompts the host sent on the chat slot, from the prompt log. */
function chatPrompts(): string[] {
  return fs
    .readFileSync(promptLog, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { endpoint: string; id_slot?: number; prompt?: unknown })
    .filter((e) => e.endpoint === "/completion" && e.id_slot === 1)
    .map((e) => String(e.prompt));
}

describe("workspace chat", () => {
  let first: ChatResult;
  const question: ChatMessage = { role: "user", content: "Which module exports value3_7?" };

  it("reuses the completions' evaluated prefix: loads it into the chat slot and processes only the question", async () => {
    expect(warm).toBeGreaterThan(1000);
    await t.host.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text: fs.readFileSync(current, "utf8") },
    });
    expect((await complete()).cachedTokens).toBeGreaterThan(warm * 0.8);

    const from = t.logs.length;
    first = await ask([{ role: "system", content: "You are Hearth." }, question]);
    const loadedLine = await t.waitForLog(/workspace chat: \d+ tokens of the saved workspace prefix loaded into the chat slot/, from, 1000);
    expect(Number(/chat: (\d+) tokens/.exec(loadedLine)![1])).toBe(warm);
    expect(first.stats.promptTokens).toBeGreaterThan(warm);
    expect(first.stats.cachedTokens).toBeGreaterThanOrEqual(warm * 0.9);
    expect(first.stats.processedTokens).toBeLessThan(warm / 10);
    expect(first.stats.generatedTokens).toBeGreaterThan(0);
    expect(t.logs.slice(from).some((l) => /forcing full prompt re-processing/.test(l.message))).toBe(false);
  }, 120_000);

  it("sends the workspace without secret or ignored files, and a completion after it is still a cache hit", async () => {
    const prompts = chatPrompts();
    expect(prompts.length).toBeGreaterThan(0);
    const prompt = prompts[prompts.length - 1];
    expect(prompt).toContain("Workspace file: src/module3.ts");
    expect(prompt).toContain("Workspace file: src/main.ts"); // the file being edited, after the shared prefix
    expect(prompt).toContain("value3_7");
    expect(prompt).toContain("Name the module a value comes from.\n\nWhich module exports value3_7?<turn|>\n<|turn>model\n<|channel>thought\n<channel|>");
    // nothing the index leaves out reaches any prompt
    const all = fs.readFileSync(promptLog, "utf8");
    for (const leaked of [SECRET, IGNORED, ".env", "config.ts", "generated/out.ts"]) expect(all).not.toContain(leaked);

    const s = await complete();
    expect(s.processedTokens).toBeLessThan(8);
    expect(s.cachedTokens).toBeGreaterThan(warm * 0.8);
  }, 120_000);

  it("puts the workspace's AGENTS.md in the question after the workspace prefix (which stays a cache hit), and says so", async () => {
    expect(first.instructions).toEqual([{ kind: "file", path: "AGENTS.md", uri: pathToFileURL(path.join(fs.realpathSync(ws), "AGENTS.md")).href }]);
    const prompt = chatPrompts().at(-1)!;
    const lastTurn = prompt.lastIndexOf("<|turn>user\n");
    expect(prompt.slice(lastTurn)).toMatch(/^<\|turn>user\nYou are Hearth\.\n\nFollow these standing instructions for this project[^\n]*\n\nFrom AGENTS\.md:\nName the module a value comes from\.\n\nWhich module exports value3_7\?/);

    // The conversation's file (`focus`) brings the nested AGENTS.md nearest to it, after the folder's own.
    fs.writeFileSync(path.join(ws, "src", "AGENTS.md"), "Modules export values only.\n");
    try {
      const nested = await ask([{ role: "system", content: "You are Hearth." }, question], { focus: uri });
      expect(nested.instructions?.map((u) => (u.kind === "file" ? u.path : u.kind))).toEqual(["AGENTS.md", "src/AGENTS.md"]);
      expect(chatPrompts().at(-1)).toContain("From AGENTS.md:\nName the module a value comes from.\n\nFrom src/AGENTS.md:\nModules export values only.\n\nWhich module exports value3_7?");
    } finally {
      fs.rmSync(path.join(ws, "src", "AGENTS.md"));
    }
    // A caller with its own system prompt (another extension, through vscode.lm) leaves them out.
    const without = await ask([{ role: "system", content: "You are Hearth." }, question], { instructions: false });
    expect(without.instructions).toBeUndefined();
    expect(chatPrompts().at(-1)).toContain("<|turn>user\nYou are Hearth.\n\nWhich module exports value3_7?");
  });

  it("answers a follow-up from the chat slot's own cache, without loading the prefix again", async () => {
    const from = t.logs.length;
    const second = await ask([question, { role: "assistant", content: first.text }, { role: "user", content: "And value5_2?" }]);
    expect(t.logs.slice(from).some((l) => /loaded into the chat slot/.test(l.message))).toBe(false);
    expect(second.stats.cachedTokens).toBeGreaterThan(warm);
    expect(second.stats.processedTokens).toBeLessThan(warm / 10);
    // The shared prefix went as the token ids completions use, not as text the engine tokenizes again.
    const sent = fs.readFileSync(promptLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { endpoint: string; id_slot?: number; prompt_ids?: number });
    expect(sent.filter((e) => e.endpoint === "/completion" && e.id_slot === 1).at(-1)!.prompt_ids).toBeGreaterThan(warm * 0.9);
  }, 120_000);

  it("continues an answer cut at maxTokens: the prompt ends with it, open, and only what follows is evaluated and returned", async () => {
    const cut = await ask([question], { maxTokens: 4 });
    expect(cut.stats.stoppedBy).toBe("limit");
    const more = await ask([question, { role: "assistant", content: cut.text }], { maxTokens: 4 });
    expect(chatPrompts().at(-1)!.endsWith(`${GEMMA_MODEL_NO_THINKING}${escapeChatText(cut.text)}`)).toBe(true);
    expect(more.stats.generatedTokens).toBeGreaterThan(0);
    // (the answer so far is in the slot's cache, as generated: at most its last token is evaluated again)
    expect(more.stats.processedTokens).toBeLessThan(8);
    // A plain chat goes on the same way (llama-server continues a conversation that ends with an answer).
    const plain = await ask([question, { role: "assistant", content: cut.text }], { workspace: false, maxTokens: 4 });
    expect(plain.stats.generatedTokens).toBeGreaterThan(0);
    // (each answer says the context it had, for the chat's "n % of the context")
    expect([cut.stats.contextSize, plain.stats.contextSize]).toEqual([32768, 32768]);
  }, 120_000);

  it("loads the prefix again after a plain chat replaced the chat slot's cache", async () => {
    await t.host.stream<object, ChatResult>(ChatRequest, { messages: [{ role: "user", content: "hi" }], maxTokens: 2, seed: 1 }, () => {});
    const from = t.logs.length;
    const r = await ask([question]);
    await t.waitForLog(/loaded into the chat slot/, from, 1000);
    expect(r.stats.processedTokens).toBeLessThan(warm / 10);
  }, 120_000);

  it("refuses a conversation that would not fit the context beside the workspace, saying how large each is", async () => {
    const prompts = chatPrompts().length;
    const err = await ask([question], { maxTokens: 30_000 }).catch((e: ResponseError<HearthErrorData>) => e);
    const data = (err as ResponseError<HearthErrorData>).data;
    expect(data?.hearth.code).toBe("context-too-long");
    expect((err as Error).message).toMatch(/The workspace \([\d,]+ tokens\) and this conversation \(\d+ tokens\) .* 32,768-token context\. Start a new chat/);
    expect(chatPrompts().length).toBe(prompts); // nothing was sent to the engine
  }, 120_000);

  it("goes on after an earlier turn's image when the model has no projector (the image becomes a line saying so)", async () => {
    const image = { type: "image" as const, data: "iVBORw0KGgo=", mimeType: "image/png" };
    const conversation: ChatMessage[] = [
      { role: "user", content: [image, { type: "text", text: "What is on this screenshot?" }] },
      { role: "assistant", content: "A settings dialog." },
      { role: "user", content: "Where is it implemented?" },
    ];
    for (const workspace of [true, false]) {
      const answer = await ask(conversation, { workspace });
      expect(answer.stats.generatedTokens).toBeGreaterThan(0);
    }
    const prompt = chatPrompts().at(-1)!;
    expect(prompt).toContain("[an image the current model cannot see]");
    expect(prompt.indexOf("[an image the current model cannot see]")).toBeLessThan(prompt.indexOf("What is on this screenshot?"));
  }, 120_000);

  it("Stop cancels the engine request; media without a projector is refused with a clear error", async () => {
    const cancel = new CancellationTokenSource();
    const from = t.logs.length;
    let received = 0;
    const err = await ask([{ role: "user", content: "Tell me everything." }], { maxTokens: 20000, temperature: 1 }, cancel, () => {
      if (++received === 3) cancel.cancel();
    }).catch((e: ResponseError<HearthErrorData>) => e);
    expect((err as ResponseError<unknown>).code).toBe(LSPErrorCodes.RequestCancelled);
    const line = await t.waitForLog(/stop processing: n_tokens = \d+/, from);
    expect(Number(/n_tokens = (\d+)/.exec(line)![1])).toBeLessThan(warm + 2000);

    const media = await ask([{ role: "user", content: [{ type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" }, { type: "text", text: "?" }] }]).catch(
      (e: ResponseError<HearthErrorData>) => e,
    );
    expect((media as ResponseError<HearthErrorData>).data?.hearth.code).toBe("no-vision"); // this host runs without an mmproj
    expect((await complete()).processedTokens).toBeLessThan(8);
  }, 120_000);
});
