/**
 * The LSP face of the host: standard document sync and `textDocument/inlineCompletion`, plus Hearth's
 * custom methods from protocol.ts. Handlers only translate between LSP and the services; every error
 * leaves as a ResponseError carrying a {@link HearthError} so clients can show the same sentence.
 */
import {
  ErrorCodes,
  LSPErrorCodes,
  InlineCompletionItem,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { fileURLToPath } from "node:url";
import { ChatService } from "../chat/service";
import { CompletionService } from "../completion/service";
import { RequestCancelledError } from "../engine/client";
import { HearthFailure, toHearthError } from "../errors";
import { ModelManager } from "../models/manager";
import {
  ChatRequest,
  CheckModelRequest,
  CompletionStatsNotification,
  DownloadModelRequest,
  ExplainImageRequest,
  LoadModelRequest,
  LogNotification,
  ModelStatusNotification,
  ModelStatusRequest,
  RestartEngineRequest,
  streamProgress,
  SummarizeAudioRequest,
  type HearthErrorData,
  type HearthSettings,
  type InitializationOptions,
} from "../protocol";
import { mergeSettings } from "../settings";
import { isSecretPath } from "../secrets";
import { WorkspaceContext } from "../workspace/context";
import { checkModelFiles } from "../models/report";

export function startLanguageServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let models: ModelManager | undefined;
  let workspace: WorkspaceContext | undefined;
  let completions: CompletionService;
  let chat: ChatService;
  const need = () => {
    if (!models) throw new ResponseError(ErrorCodes.ServerNotInitialized, "The Hearth host is not initialized.");
    return models;
  };

  connection.onInitialize((params): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    models = new ModelManager(mergeSettings(init.settings));
    completions = new CompletionService(models);
    chat = new ChatService(models);
    models.on("status", (status) => void connection.sendNotification(ModelStatusNotification, status));
    models.on("log", (level, message, source) => void connection.sendNotification(LogNotification, { level, message, source }));
    const rootUri = params.workspaceFolders?.[0]?.uri ?? params.rootUri;
    if (rootUri?.startsWith("file:")) {
      workspace = new WorkspaceContext(fileURLToPath(rootUri), [], (message) =>
        void connection.sendNotification(LogNotification, { level: "info", message, source: "host" }),
      );
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        inlineCompletionProvider: true,
      },
      serverInfo: { name: "hearth-host", version: "0.1.0" },
    };
  });

  connection.onDidChangeConfiguration(async (params) => {
    const settings = (params.settings as { hearth?: Partial<HearthSettings> } | undefined)?.hearth;
    if (settings && models) await models.updateSettings(mergeSettings(settings));
  });

  connection.languages.inlineCompletion.on(async (params, token) => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return null;
    // Secrets never reach a prompt, not even the local engine's.
    if (isSecretPath(params.textDocument.uri)) return { items: [] };
    const text = doc.getText();
    const offset = doc.offsetAt(params.position);
    const file = filePathOf(params.textDocument.uri);
    const outcome = await guard(token, async (signal) =>
      completions.complete(
        {
          filePath: (file && workspace?.relative(file)) ?? file ?? params.textDocument.uri,
          workspaceChunks: workspace ? await workspace.chunksFor(file, (await need().ensureLoaded()).contextSize) : undefined,
          languageId: doc.languageId,
          prefix: text.slice(0, offset),
          suffix: text.slice(offset),
        },
        signal,
      ),
    );
    void connection.sendNotification(CompletionStatsNotification, {
      uri: params.textDocument.uri,
      stats: outcome.stats,
      layoutMs: outcome.layoutMs,
    });
    if (!outcome.text) return { items: [] };
    return { items: [InlineCompletionItem.create(outcome.text, undefined, { start: params.position, end: params.position })] };
  });

  connection.onRequest(ChatRequest, (params, token) =>
    guard(token, (signal) =>
      chat.chat(params.messages, {
        maxTokens: params.maxTokens,
        temperature: params.temperature,
        seed: params.seed,
        signal,
        onText: streamTo(connection, params.partialResultToken),
      }),
    ),
  );

  connection.onRequest(ExplainImageRequest, (params, token) =>
    guard(token, (signal) =>
      chat.explainImage(params, params.question, {
        maxTokens: params.maxTokens,
        signal,
        onText: streamTo(connection, params.partialResultToken),
      }),
    ),
  );

  connection.onRequest(SummarizeAudioRequest, (params, token) =>
    guard(token, (signal) =>
      chat.summarizeAudio(params.path, params.instructions, {
        maxTokens: params.maxTokens,
        signal,
        onText: streamTo(connection, params.partialResultToken),
      }),
    ),
  );

  connection.onRequest(ModelStatusRequest, () => need().getStatus());

  connection.onRequest(LoadModelRequest, (token) =>
    guard(token, async () => {
      const loaded = await need().ensureLoaded();
      if (workspace) void warmUpWorkspace(workspace, loaded.contextSize);
      return need().getStatus();
    }),
  );

  /** Prefills the workspace prefix in the background once the model is up (logged, never fatal). */
  async function warmUpWorkspace(ws: WorkspaceContext, contextSize: number): Promise<void> {
    const log = (message: string) => void connection.sendNotification(LogNotification, { level: "info", message, source: "host" });
    try {
      const t0 = performance.now();
      const tokens = await completions.warmUp(await ws.chunksFor(undefined, contextSize));
      if (tokens) log(`workspace prefix warmed up: ${tokens} tokens evaluated in ${Math.round(performance.now() - t0)} ms`);
    } catch (err) {
      log(`workspace prefix warm-up skipped: ${toHearthError(err).message}`);
    }
  }

  connection.onRequest(RestartEngineRequest, (token) =>
    guard(token, async () => {
      await need().restart();
      return need().getStatus();
    }),
  );

  connection.onRequest(DownloadModelRequest, async (params, token) => {
    const progress = params.workDoneToken !== undefined ? await connection.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
    progress?.begin("Downloading model", 0, undefined, true);
    try {
      return await guard(token, async (signal) => {
        const m = need();
        if (params.model) await m.updateSettings({ ...m.getSettings(), model: params.model });
        return m.download((p) => {
          const pct = p.totalBytes ? Math.floor((100 * p.downloadedBytes) / p.totalBytes) : 0;
          progress?.report(pct, `${p.file}: ${mib(p.downloadedBytes)} / ${mib(p.totalBytes)} MiB, ${mib(p.speed)} MiB/s, ${Math.round(p.etaSeconds)} s left`);
        }, signal);
      });
    } finally {
      progress?.done();
    }
  });

  connection.onRequest(CheckModelRequest, (params, token) => guard(token, () => checkModelFiles(need(), params)));

  // Saved and changed files move to the end of the workspace prefix (only the tail is re-evaluated).
  documents.onDidSave((e) => {
    const file = filePathOf(e.document.uri);
    if (file) void workspace?.changed([file]);
  });
  connection.onDidChangeWatchedFiles((p) => {
    const files = p.changes.map((c) => filePathOf(c.uri)).filter((f): f is string => !!f);
    if (files.length) void workspace?.changed(files);
  });

  connection.onShutdown(async () => {
    await models?.dispose();
  });
  connection.onExit(() => void models?.dispose());

  documents.listen(connection);
  connection.listen();
}

/** Runs a handler with an AbortSignal tied to LSP cancellation; maps failures to ResponseErrors. */
async function guard<T>(token: CancellationToken, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const sub = token.onCancellationRequested(() => abort.abort());
  if (token.isCancellationRequested) abort.abort();
  try {
    return await run(abort.signal);
  } catch (err) {
    if (abort.signal.aborted || err instanceof RequestCancelledError) {
      throw new ResponseError<HearthErrorData>(LSPErrorCodes.RequestCancelled, "Request cancelled", {
        hearth: { code: "cancelled", message: "Request cancelled" },
      });
    }
    const hearth = toHearthError(err);
    const code = err instanceof HearthFailure ? ErrorCodes.InvalidRequest : ErrorCodes.InternalError;
    throw new ResponseError<HearthErrorData>(code, hearth.message, { hearth });
  } finally {
    sub.dispose();
  }
}

function streamTo(connection: Connection, token: string | number | undefined): ((text: string) => void) | undefined {
  if (token === undefined) return undefined;
  return (text) => void connection.sendProgress(streamProgress, token, { text });
}

function filePathOf(uri: string): string | undefined {
  try {
    return uri.startsWith("file:") ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
