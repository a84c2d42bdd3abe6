/**
 * Starts the model host (dist/server.js) through vscode-languageclient over IPC and is the extension's one
 * way to talk to it: typed requests from server/protocol.ts, streamed text through `$/progress`, host and
 * engine logs into the output channel, model status to whoever listens.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  TransportKind,
  WorkDoneProgress,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
} from "vscode-languageclient/node";
import {
  ChatRequest,
  CountTokensRequest,
  type CountTokensParams,
  ActiveEditorNotification,
  CompletionFailedNotification,
  CompletionStatsNotification,
  WorkspacePrefixNotification,
  type WorkspacePrefixParams,
  CommitMessageRequest,
  DownloadModelRequest,
  EditCodeRequest,
  ExplainImageRequest,
  LoadModelRequest,
  LogNotification,
  ModelStatusNotification,
  ModelStatusRequest,
  RestartEngineRequest,
  streamProgress,
  SummarizeAudioRequest,
  type ChatMessage,
  type ChatResult,
  type CompletionFailedParams,
  type CompletionStatsParams,
  type DownloadProgress,
  type CommitMessageParams,
  type CommitMessageResult,
  type EditCodeParams,
  type EditCodeResult,
  type MediaResult,
  type ModelFiles,
  type ModelStatus,
  type PromptProgress,
  type StreamChunk,
  type SummarizeAudioResult,
} from "../server/protocol";
import type { ChatBackend, ChatOptions } from "./chat/backend";
import { chatMaxTokens, hostSettings } from "./config";
import { HostStoppedError } from "./hostStopped";

/** The URI scheme of a notebook cell's text document (VS Code's). */
export const NOTEBOOK_CELL_SCHEME = "vscode-notebook-cell";

export { HostStoppedError, isHostStopped } from "./hostStopped";
export { errorCode, errorMessage } from "./hostErrors";

export class HostClient implements ChatBackend, vscode.Disposable {
  private client?: LanguageClient;
  private nextToken = 1;
  private lastStatus?: ModelStatus;
  private readonly statusEmitter = new vscode.EventEmitter<ModelStatus>();
  private readonly statsEmitter = new vscode.EventEmitter<CompletionStatsParams>();
  private readonly prefixEmitter = new vscode.EventEmitter<WorkspacePrefixParams>();
  private readonly completionFailedEmitter = new vscode.EventEmitter<CompletionFailedParams>();
  readonly onStatus = this.statusEmitter.event;
  readonly onCompletionStats = this.statsEmitter.event;
  /** A completion the host answered with nothing because it failed (the request itself succeeds: no toast). */
  readonly onCompletionFailed = this.completionFailedEmitter.event;
  readonly onWorkspacePrefix = this.prefixEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly middleware: Middleware,
    private readonly apiKey: () => Promise<string>,
  ) {}

  get status(): ModelStatus | undefined {
    return this.lastStatus;
  }

  async start(): Promise<void> {
    const serverModule = this.context.asAbsolutePath(path.join("dist", "server.js"));
    const env = { ...process.env, ...this.engineEnvironment() };
    const serverOptions: ServerOptions = {
      run: { module: serverModule, transport: TransportKind.ipc, options: { env } },
      debug: { module: serverModule, transport: TransportKind.ipc, options: { env } },
    };
    const clientOptions: LanguageClientOptions = {
      // (notebook cells: inline completions there; their text reaches the host through LSP notebook sync)
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }, { scheme: NOTEBOOK_CELL_SCHEME }],
      initializationOptions: { settings: hostSettings(await this.apiKey()), storageDir: this.context.storageUri?.fsPath },
      outputChannel: this.output,
      middleware: this.middleware,
    };
    this.client = new LanguageClient("hearth", "Hearth", serverOptions, clientOptions);
    this.client.onNotification(ModelStatusNotification, (s) => {
      this.setStatus(s);
    });
    this.client.onNotification(CompletionStatsNotification, (s) => this.statsEmitter.fire(s));
    this.client.onNotification(CompletionFailedNotification, (p) => this.completionFailedEmitter.fire(p));
    this.client.onNotification(WorkspacePrefixNotification, (p) => this.prefixEmitter.fire(p));
    this.client.onNotification(LogNotification, (l) => {
      const line = l.source === "engine" ? `[engine] ${l.message}` : l.message;
      if (l.level === "error") this.output.error(line);
      else if (l.level === "warn") this.output.warn(line);
      else this.output.info(line);
    });
    await this.client.start();
    this.setStatus(await this.client.sendRequest(ModelStatusRequest));
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c?.isRunning()) await c.stop(10_000).catch(() => c.dispose());
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.statusEmitter.dispose();
    this.statsEmitter.dispose();
    this.prefixEmitter.dispose();
    this.completionFailedEmitter.dispose();
  }

  /**
   * The editor switched to `uri`, or its cursor moved to `position` without typing: the host prepares the
   * completion context there in the background.
   */
  activeEditorChanged(uri: string, position?: { line: number; character: number }): void {
    if (!(uri.startsWith("file:") || uri.startsWith(NOTEBOOK_CELL_SCHEME + ":")) || !this.client?.isRunning()) return;
    void this.client.sendNotification(ActiveEditorNotification, { uri, ...(position ? { position } : {}) });
  }

  /** Pushes changed settings; the host restarts the engine when a setting needs it. */
  async pushSettings(): Promise<void> {
    await this.client?.sendNotification("workspace/didChangeConfiguration", { settings: { hearth: hostSettings(await this.apiKey()) } });
  }

  async loadModel(): Promise<ModelStatus> {
    return this.setStatus(await this.request((c) => c.sendRequest(LoadModelRequest)));
  }

  async restartEngine(): Promise<ModelStatus> {
    return this.setStatus(await this.request((c) => c.sendRequest(RestartEngineRequest)));
  }

  async refreshStatus(): Promise<ModelStatus> {
    return this.setStatus(await this.request((c) => c.sendRequest(ModelStatusRequest)));
  }

  async download(onProgress: (p: { percentage?: number; message?: string }) => void, token: vscode.CancellationToken): Promise<ModelFiles> {
    const client = this.need();
    const workDoneToken = `hearth-download-${this.nextToken++}`;
    const sub = client.onProgress(WorkDoneProgress.type, workDoneToken, (v) => {
      if (v.kind === "report") onProgress(v);
    });
    try {
      return await this.request(() => client.sendRequest(DownloadModelRequest, { workDoneToken }, token), client);
    } finally {
      sub.dispose();
    }
  }

  chat(messages: ChatMessage[], onText: (text: string) => void, token: vscode.CancellationToken, options: ChatOptions = {}): Promise<ChatResult> {
    return this.stream(
      ChatRequest.method,
      {
        messages,
        maxTokens: options.maxTokens ?? chatMaxTokens(),
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.workspace ? { workspace: true } : {}),
        ...(options.focus ? { focus: options.focus } : {}),
        ...(options.instructions === false ? { instructions: false } : {}),
      },
      onText,
      token,
    );
  }

  /** Tokens of a text or messages by the loaded model's tokenizer (an estimate while none is loaded). */
  async countTokens(params: CountTokensParams, token: vscode.CancellationToken): Promise<number> {
    return (await this.request((c) => c.sendRequest(CountTokensRequest, params, token))).tokens;
  }

  explainImage(
    image: { data: string; mimeType: string },
    question: string | undefined,
    onText: (text: string) => void,
    token: vscode.CancellationToken,
  ): Promise<MediaResult> {
    return this.stream(ExplainImageRequest.method, { data: image.data, mimeType: image.mimeType, question }, onText, token);
  }

  /** New code for lines of an open document (Edit Selection…), its answer and the code so far streamed to `onChunk`. */
  editCode(params: Omit<EditCodeParams, "partialResultToken">, onChunk: (chunk: StreamChunk) => void, token: vscode.CancellationToken): Promise<EditCodeResult> {
    return this.streamChunks(EditCodeRequest.method, params, onChunk, token);
  }

  /** A commit message for a diff (Write Commit Message), streamed to `onText`. */
  commitMessage(params: Omit<CommitMessageParams, "partialResultToken">, onText: (text: string) => void, token: vscode.CancellationToken): Promise<CommitMessageResult> {
    return this.stream(CommitMessageRequest.method, params, onText, token);
  }

  /** A meeting summary, its text streamed to `onText` and, before that, the engine's way through the recording to `onPrompt`. */
  summarizeAudio(file: string, onText: (text: string) => void, token: vscode.CancellationToken, onPrompt?: (p: PromptProgress) => void): Promise<SummarizeAudioResult> {
    return this.streamChunks(SummarizeAudioRequest.method, { path: file }, (c) => (c.prompt ? onPrompt?.(c.prompt) : onText(c.text)), token);
  }

  private stream<R>(method: string, params: object, onText: (t: string) => void, token: vscode.CancellationToken): Promise<R> {
    return this.streamChunks(method, params, (c) => onText(c.text), token);
  }

  private async streamChunks<R>(method: string, params: object, onChunk: (c: StreamChunk) => void, token: vscode.CancellationToken): Promise<R> {
    const client = this.need();
    const partialResultToken = `hearth-stream-${this.nextToken++}`;
    const sub = client.onProgress(streamProgress, partialResultToken, onChunk);
    try {
      return (await this.request(() => client.sendRequest(method, { ...params, partialResultToken }, token), client)) as R;
    } finally {
      sub.dispose();
    }
  }

  /**
   * Sends a request; one the host never answered because it was stopped or restarted (Restart Model Host, a
   * host crash) rejects with {@link HostStoppedError} instead of vscode-jsonrpc's "Pending response rejected
   * since connection got disposed", so callers end it quietly instead of showing a JSON-RPC error.
   */
  private async request<R>(send: (client: LanguageClient) => Promise<R>, client = this.need()): Promise<R> {
    try {
      return await send(client);
    } catch (err) {
      if (this.client !== client || isConnectionGone(err)) throw new HostStoppedError(err);
      throw err;
    }
  }

  private need(): LanguageClient {
    if (!this.client) throw new Error("The Hearth model host is not running: run “Hearth: Restart Model Host”.");
    return this.client;
  }

  private setStatus(s: ModelStatus): ModelStatus {
    this.lastStatus = s;
    this.statusEmitter.fire(s);
    return s;
  }

  /** A packaged extension carries its engine in `engine/`; a dev checkout uses the cached build. */
  private engineEnvironment(): Record<string, string> {
    const bundled = this.context.asAbsolutePath(path.join("engine", process.platform === "win32" ? "llama-server.exe" : "llama-server"));
    return fs.existsSync(bundled) ? { HEARTH_LLAMA_SERVER: bundled } : {};
  }
}

/** JSON-RPC codes of a request lost with its connection: PendingResponseRejected, ConnectionInactive. */
const CONNECTION_GONE_CODES = new Set([-32097, -32096]);

/** A request (an inline completion included) lost because the host's connection went away: not an error to show. */
export function isConnectionGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "number" && CONNECTION_GONE_CODES.has(code);
}

export type { DownloadProgress };
