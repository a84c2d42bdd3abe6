/**
 * Hearth's model in VS Code's language model API (`vscode.lm`, vendor `hearth`): other extensions that let the
 * user pick a VS Code language model (`vscode.lm.selectChatModels`), and the editor's own chat where it offers
 * contributed models, can use the local Gemma 4 through the same host as Hearth's chat, so the engine is shared
 * rather than loaded twice (and nothing leaves the machine unless `hearth.remoteEndpoint` sends it elsewhere).
 *
 * The provider API is VS Code 1.104's; Hearth supports older editors, so the few types it needs are declared
 * here and it registers only where the editor has the API (registerLanguageModels).
 *
 * Text and images go in (an image is a data part with an `image/*` MIME type, when the model has its
 * projector); tools are not offered (`toolCalling: false`: a request that requires a tool is refused, tool
 * calls and results a caller sends anyway go in as text). The caller's system prompt is the only one: Hearth's
 * standing instructions do not go with these requests. Token counts are the engine's tokenizer's once the model
 * is loaded, an estimate before (counting never loads a model).
 */
import * as vscode from "vscode";
import type { ChatContentPart, ChatMessage, ChatResult, CountTokensParams, ModelStatus } from "../server/protocol";
import { estimateTokens } from "../server/chat/tokenEstimate";

export const LM_VENDOR = "hearth";
/** One model: whatever the host runs (the `hearth.model` setting); its name follows the status. */
export const LM_MODEL_ID = "hearth-local";
/** What one answer may generate unless the caller says otherwise (`modelOptions.maxTokens` / `max_tokens`). */
export const LM_DEFAULT_MAX_TOKENS = 2048;
const LM_MAX_OUTPUT_TOKENS = 16_384;
/** Before the model is loaded its context is not known: `hearth.contextSize` when set, else this. */
const CONTEXT_BEFORE_LOAD = 32_768;
/** `LanguageModelChatToolMode.Required`. */
const TOOL_MODE_REQUIRED = 2;
/** `LanguageModelChatMessageRole.System` (proposed API), which some callers send. */
const SYSTEM_ROLE = 3;

// ---- the VS Code 1.104 provider API, as far as Hearth uses it ----

export interface LmChatInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly tooltip?: string;
  readonly detail?: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: { readonly imageInput?: boolean; readonly toolCalling?: boolean | number };
}

export interface LmChatRequestMessage {
  readonly role: number;
  readonly content: readonly unknown[];
  readonly name?: string;
}

export interface LmResponseOptions {
  readonly modelOptions?: { readonly [name: string]: unknown };
  readonly tools?: readonly unknown[];
  readonly toolMode?: number;
}

export interface LmChatProvider {
  readonly onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: { silent: boolean }, token: vscode.CancellationToken): LmChatInformation[];
  provideLanguageModelChatResponse(
    model: LmChatInformation,
    messages: readonly LmChatRequestMessage[],
    options: LmResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelTextPart>,
    token: vscode.CancellationToken,
  ): Promise<void>;
  provideTokenCount(model: LmChatInformation, text: string | LmChatRequestMessage, token: vscode.CancellationToken): Promise<number>;
}

/** What the provider needs from the host (src/hostClient.ts implements it; tests use a fake). */
export interface LanguageModelHost {
  readonly status: ModelStatus | undefined;
  onStatus(listener: (s: ModelStatus) => void): vscode.Disposable | void;
  chat(
    messages: ChatMessage[],
    onText: (text: string) => void,
    token: vscode.CancellationToken,
    options: { maxTokens?: number; temperature?: number; instructions?: boolean },
  ): Promise<ChatResult>;
  countTokens(params: CountTokensParams, token: vscode.CancellationToken): Promise<number>;
}

/** Registers the provider where the editor has the API (VS Code 1.104 and later); undefined elsewhere. */
export function registerLanguageModels(host: LanguageModelHost, configuredContext: () => number): vscode.Disposable | undefined {
  const lm = vscode.lm as unknown as { registerLanguageModelChatProvider?: (vendor: string, provider: LmChatProvider) => vscode.Disposable };
  if (typeof lm.registerLanguageModelChatProvider !== "function") return undefined;
  const provider = new HearthLanguageModels(host, configuredContext);
  try {
    return vscode.Disposable.from(provider, lm.registerLanguageModelChatProvider(LM_VENDOR, provider));
  } catch {
    provider.dispose();
    return undefined;
  }
}

export class HearthLanguageModels implements LmChatProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private announced: string;
  private readonly subscription: vscode.Disposable | void;

  constructor(
    private readonly host: LanguageModelHost,
    /** `hearth.contextSize` (0: automatic), for what is announced before the model is loaded. */
    private readonly configuredContext: () => number = () => 0,
  ) {
    this.announced = JSON.stringify(this.information());
    // A model switched, loaded (its context is known then) or its projector gained or lost: tell the editor.
    this.subscription = host.onStatus(() => {
      const now = JSON.stringify(this.information());
      if (now === this.announced) return;
      this.announced = now;
      this.changed.fire();
    });
  }

  dispose(): void {
    this.subscription?.dispose();
    this.changed.dispose();
  }

  provideLanguageModelChatInformation(): LmChatInformation[] {
    return [this.information()];
  }

  async provideLanguageModelChatResponse(
    _model: LmChatInformation,
    messages: readonly LmChatRequestMessage[],
    options: LmResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelTextPart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    if (options.toolMode === TOOL_MODE_REQUIRED && options.tools?.length) {
      throw new Error("Hearth's model does not call tools: choose a model with tool calling for this request.");
    }
    const mo = options.modelOptions ?? {};
    const max = this.information().maxOutputTokens;
    const maxTokens = Math.min(max, positiveInt(mo.maxTokens ?? mo.max_tokens ?? mo.maxOutputTokens) ?? LM_DEFAULT_MAX_TOKENS);
    const temperature = typeof mo.temperature === "number" && Number.isFinite(mo.temperature) ? mo.temperature : undefined;
    const host = toHostMessages(messages);
    if (!host.length) throw new Error("The request has no text or image for the model.");
    try {
      await this.host.chat(host, (text) => text && progress.report(new vscode.LanguageModelTextPart(text)), token, {
        maxTokens,
        instructions: false,
        ...(temperature !== undefined ? { temperature } : {}),
      });
    } catch (err) {
      // (the engine stopped: the caller asked for it)
      if (token.isCancellationRequested) throw new vscode.CancellationError();
      throw err;
    }
  }

  async provideTokenCount(_model: LmChatInformation, text: string | LmChatRequestMessage, token: vscode.CancellationToken): Promise<number> {
    const params: CountTokensParams = typeof text === "string" ? { text } : { messages: toHostMessages([text]) };
    try {
      return await this.host.countTokens(params, token);
    } catch {
      // (the host is restarting or stopped: a caller budgeting its prompt still gets a count)
      return estimateTokens(params);
    }
  }

  private information(): LmChatInformation {
    const s = this.host.status;
    const context = s?.memory?.contextSize ?? (this.configuredContext() > 0 ? this.configuredContext() : CONTEXT_BEFORE_LOAD);
    const maxOutputTokens = Math.min(LM_MAX_OUTPUT_TOKENS, Math.floor(context / 2));
    const remote = s?.engine?.kind === "remote";
    // (the files of the engine that runs; before one runs, or after a model switch stopped it, the setting's
    // name: a status keeps the last files after an unload)
    const file = remote ? s?.engine?.remoteModel : s?.engine && s.files?.model ? baseName(s.files.model) : s?.model ? settingName(s.model) : undefined;
    const name = modelName(file);
    return {
      id: LM_MODEL_ID,
      name,
      // (a local model is Gemma 4 unless it is a native-FIM GGUF; a remote one is whatever its server names)
      family: (remote ? /gemma[-_ ]?4/i.test(file ?? "") : s?.engine?.nativeFim !== true) ? "gemma-4" : "other",
      version: file ?? s?.model ?? "",
      detail: remote ? "Hearth, remote endpoint" : "Hearth, on this machine",
      tooltip: remote ? `${name}, run by Hearth on the configured endpoint (hearth.remoteEndpoint)` : `${name}, run by Hearth on this machine: nothing leaves it`,
      maxInputTokens: context - maxOutputTokens,
      maxOutputTokens,
      capabilities: { imageInput: s?.engine?.vision === true, toolCalling: false },
    };
  }
}

/** "Gemma 4 12B Q4_K_M (Hearth)", from the model file's (or a remote model's) name when it is known. */
export function modelName(file: string | undefined): string {
  if (!file) return "Gemma 4 (Hearth)";
  const pretty = baseName(file)
    .replace(/\.gguf$/i, "")
    .replace(/-\d{5}-of-\d{5}$/, "")
    .replace(/^gemma[-_ ]?4/i, "Gemma 4")
    .replace(/-+/g, " ")
    .replace(/\bit\b/i, "")
    .replace(/\s+/g, " ")
    .trim();
  return `${pretty} (Hearth)`;
}

/** The file a `hearth.model` setting names: `hf:user/repo:QUANT` → `repo-QUANT` (less `-GGUF`), else its last segment. */
function settingName(model: string): string {
  const hf = /^hf:[^/]+\/([^/:]+?)(?:-GGUF)?(?::([^/]+))?$/i.exec(model.trim());
  if (hf) return hf[2] ? `${hf[1]}-${hf[2]}` : hf[1];
  return baseName(model.replace(/[?#].*$/, ""));
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

function positiveInt(v: unknown): number | undefined {
  const n = Math.floor(Number(v));
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * The editor's messages as the host's: user / assistant (and system) with text and image parts; a tool call or
 * result as a line of text so the conversation still reads right; other parts (thinking, unknown kinds) left
 * out. Consecutive messages of one role are joined (llama-server refuses two assistant messages in a row).
 * A request that ends with an assistant message is continued from it (the engine's prefill).
 */
export function toHostMessages(messages: readonly LmChatRequestMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    const role: ChatMessage["role"] = m.role === vscode.LanguageModelChatMessageRole.Assistant ? "assistant" : m.role === SYSTEM_ROLE ? "system" : "user";
    const parts: ChatContentPart[] = [];
    for (const p of m.content) {
      const part = toHostPart(p);
      if (part) parts.push(part);
    }
    if (!parts.length) continue;
    const prev = out[out.length - 1];
    if (prev && prev.role === role) prev.content = [...asParts(prev.content), { type: "text", text: "\n\n" }, ...parts];
    else out.push({ role, content: parts });
  }
  // Plain strings where there is only text (what the host's chat path expects most often).
  return out.map((m) =>
    Array.isArray(m.content) && m.content.every((p) => p.type === "text") ? { role: m.role, content: m.content.map((p) => (p as { text: string }).text).join("") } : m,
  );
}

function toHostPart(p: unknown): ChatContentPart | undefined {
  if (p instanceof vscode.LanguageModelTextPart) return { type: "text", text: p.value };
  if (p instanceof vscode.LanguageModelToolCallPart) return { type: "text", text: `\n[called the tool ${p.name} with ${JSON.stringify(p.input)}]\n` };
  const o = p as { callId?: unknown; content?: unknown; mimeType?: unknown; data?: unknown; type?: unknown; value?: unknown };
  // A tool result (LanguageModelToolResultPart, or its newer twin): by shape, its text parts.
  if (typeof o?.callId === "string" && Array.isArray(o.content)) {
    const text = o.content.map((c) => (c instanceof vscode.LanguageModelTextPart ? c.value : typeof (c as { value?: unknown })?.value === "string" ? (c as { value: string }).value : "")).join("");
    return { type: "text", text: `\n[the tool's result: ${text}]\n` };
  }
  // A LanguageModelDataPart (an image): by shape, since its class is not in every VS Code this runs in.
  if (typeof o?.mimeType === "string" && o.mimeType.startsWith("image/") && o.data instanceof Uint8Array) {
    return { type: "image", data: Buffer.from(o.data).toString("base64"), mimeType: o.mimeType };
  }
  // (a text part as the editor passes it between its processes, when it counts tokens)
  if (o?.type === "text" && typeof o.value === "string") return { type: "text", text: o.value };
  return undefined;
}

function asParts(content: ChatMessage["content"]): ChatContentPart[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}
