/**
 * The LSP face of the host: standard document sync and `textDocument/inlineCompletion`, plus Hearth's
 * custom methods from protocol.ts. Handlers only translate between LSP and the services; every error
 * leaves as a ResponseError carrying a {@link HearthError} so clients can show the same sentence, except an
 * inline completion's, which goes as `hearth/completionFailed` beside an answer without items.
 */
import {
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  LSPErrorCodes,
  InlineCompletionItem,
  NotebookCellKind,
  NotebookDocuments,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type ClientCapabilities,
  type Disposable,
  type FileSystemWatcher,
  type InitializeParams,
  type WorkspaceFolder,
  type WorkspaceFoldersChangeEvent,
  type NotebookDocument,
  type Connection,
  type Position,
  type InitializeResult,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ChatService, contextTooLong, type WorkspaceChunks } from "../chat/service";
import { CompletionService, type CompletionOutcome, type CompletionRequest } from "../completion/service";
import { RequestCancelledError } from "../engine/client";
import { HearthFailure, toHearthError } from "../errors";
import { ModelManager } from "../models/manager";
import {
  ChatRequest,
  CountTokensRequest,
  CheckModelRequest,
  CommitMessageRequest,
  EditCodeRequest,
  CompletionFailedNotification,
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
  ActiveEditorNotification,
  WorkspacePrefixNotification,
  type WorkspacePrefixParams,
  type HearthErrorData,
  type HearthSettings,
  type InstructionsUsed,
  type InitializationOptions,
  type ModelStatus,
  type PromptProgress,
  type StreamChunk,
} from "../protocol";
import { mergeSettings } from "../settings";
import { isSecretPath } from "../secrets";
import { WorkspaceContext } from "../workspace/context";
import { WorkspaceRoots, type WorkspaceFolderSpec } from "../workspace/roots";
import { instructionsFor, withInstructions, type RequestInstructions } from "../workspace/instructions";
import { PrefixStore, defaultPrefixDir } from "../completion/prefixStore";
import { WorkspacePrefix, prefixIdentity } from "../completion/workspacePrefix";
import { PrefixTokens } from "../completion/prefixTokens";
import { SlotContents } from "../completion/slotContents";
import { checkModelFiles } from "../models/report";
import { editCode } from "../edit/service";
import { writeCommitMessage } from "../commit/service";
import { cellStops, notebookCursorText, notebookLanguage } from "../completion/notebook";

/** What an in-process embedder (the benchmark) may reach after `initialize`. */
export interface LanguageServerHandle {
  models(): ModelManager | undefined;
}

export function startLanguageServer(connection: Connection): LanguageServerHandle {
  const documents = new TextDocuments(TextDocument);
  // Jupyter notebooks come through LSP notebook sync: their cells are text documents of their own.
  const cells = new TextDocuments(TextDocument);
  const notebooks = new NotebookDocuments(cells);
  const textDocument = (uri: string) => documents.get(uri) ?? cells.get(uri);
  /** The file a document is (a notebook cell's: its notebook's), when it is one on disk. */
  const fileOf = (uri: string) => filePathOf(notebooks.findNotebookDocumentForCell(uri)?.uri ?? uri);
  let models: ModelManager | undefined;
  let workspace: WorkspaceContext | undefined;
  /** The settings last received: the standing instructions and the ignore rules they are read with. */
  let hostSettings: HearthSettings = mergeSettings(undefined);
  /** The instructions' notes last logged (files passed over): said once, not on every request. */
  let loggedInstructionNotes = "";
  let completions: CompletionService;
  let chat: ChatService;
  let prefix: WorkspacePrefix | undefined;
  /** What the status bar was last told about the workspace prefix. */
  let prefixStatus: WorkspacePrefixParams = { state: "warming", tokens: 0, chunks: 0 };
  let refreshTimer: NodeJS.Timeout | undefined;
  /** The file of the last completion: its own chunks are not in its prefix (they are in the volatile part). */
  let activeFile: string | undefined;
  /** Where the user is (the editor's cursor, else the last completion): background work prepares it. */
  let cursor: { uri: string; position: Position } | undefined;
  let primeTimer: NodeJS.Timeout | undefined;
  /** What the completions slot holds (shared by completions and the prefix warm-up). */
  let slot: SlotContents | undefined;
  /** The engine process last seen ready: a new one starts with empty slots. */
  let enginePid: number | undefined;
  /** Set at initialize: what the client can do (register file watchers, tell of workspace folder changes). */
  let clientCapabilities: ClientCapabilities = {};
  /** The workspace folders' URIs as the client sent them (file watchers are relative to them). */
  let folderUris: string[] = [];
  /** The file watchers registered with the client, and what they watch. */
  let watching: { key: string; registration: Promise<Disposable> } | undefined;
  const log = (message: string) => void connection.sendNotification(LogNotification, { level: "info", message, source: "host" });
  const need = () => {
    if (!models) throw new ResponseError(ErrorCodes.ServerNotInitialized, "The Hearth host is not initialized.");
    return models;
  };

  connection.onInitialize((params): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    hostSettings = mergeSettings(init.settings);
    // Every folder of a multi-root workspace is in the workspace prefix (one index over all of them).
    const folders = initialFolders(params);
    folderUris = folders.map((f) => f.uri);
    clientCapabilities = params.capabilities;
    // The evaluated workspace prefix is persisted per workspace (the extension's storage, else the cache dir).
    let store: PrefixStore | undefined;
    if (folders.length) {
      const dir = init.storageDir ? path.join(init.storageDir, "prefix-cache") : defaultPrefixDir(folders.map((f) => f.dir));
      try {
        store = PrefixStore.open(dir);
      } catch (err) {
        log(`workspace prefix will not be saved: ${(err as Error).message}`);
      }
      // The first layout follows the saved prefix's order when that cache will be loaded, so it stays usable.
      const saved = store;
      workspace = new WorkspaceContext(WorkspaceRoots.of(folders), mergeSettings(init.settings).workspace, log, saved && (async () => {
        const loaded = await need().ensureLoaded();
        return loaded.info.kind === "local" ? saved.readOrder(await prefixIdentity(loaded)) : undefined;
      }));
    }
    models = new ModelManager(mergeSettings(init.settings), { slotDir: store?.dir });
    // Completions and the background prefix warm-up share slot 0 and tell each other what it holds, and
    // the prefix's token ids (tokenized once, not on every keystroke).
    slot = new SlotContents(models);
    const tokens = new PrefixTokens(models);
    completions = new CompletionService(models, slot, tokens);
    // Workspace chat loads the persisted workspace prefix into the chat slot.
    chat = new ChatService(models, { store, log, tokens });
    // (HEARTH_PREFIX_MIN_STEP_TOKENS: smaller warm-up steps, for tests with a small workspace)
    const minStepTokens = Number(process.env.HEARTH_PREFIX_MIN_STEP_TOKENS) || undefined;
    if (workspace) prefix = new WorkspacePrefix(models, { store, log, slot, tokens, minStepTokens });
    models.on("status", (status) => {
      void connection.sendNotification(ModelStatusNotification, status);
      engineStarted(status);
    });
    models.on("log", (level, message, source) => void connection.sendNotification(LogNotification, { level, message, source }));
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        inlineCompletionProvider: true,
        notebookDocumentSync: { notebookSelector: [{ notebook: "*", cells: [{ language: "*" }] }] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: "hearth-host", version: "0.1.0" },
    };
  });

  // Files changed outside the editor (git checkout/pull, a formatter or code generator in a terminal, another
  // editor) reach the prefix only through file events, which a client sends only for watchers it was asked
  // to register; saves in the editor come as didSave as well (a file read twice is unchanged the second time).
  connection.onInitialized(() => {
    watchFolders();
    if (clientCapabilities.workspace?.workspaceFolders) connection.workspace.onDidChangeWorkspaceFolders((e) => void foldersChanged(e));
  });

  /** Asks the client to watch every workspace folder (again when they changed; the previous watchers then go). */
  function watchFolders(): void {
    const watchers = fileWatchersFor(clientCapabilities, workspace ? folderUris : []);
    const key = JSON.stringify(watchers ?? []);
    if (key === (watching?.key ?? "[]")) return;
    const previous = watching?.registration;
    if (!watchers) {
      watching = undefined; // (the last folder removed)
      return void previous?.then((r) => r.dispose(), () => undefined);
    }
    const registration = connection.client.register(DidChangeWatchedFilesNotification.type, { watchers });
    watching = { key, registration };
    registration.then(
      () => {
        void previous?.then((r) => r.dispose(), () => undefined);
        log("watching the workspace for file changes made outside the editor");
      },
      (err: unknown) => log(`cannot watch the workspace (files changed outside the editor are seen after a restart): ${(err as Error).message}`),
    );
  }

  /** Folders added to or removed from a multi-root workspace: the prefix follows, in the background. */
  async function foldersChanged(e: WorkspaceFoldersChangeEvent): Promise<void> {
    const ws = workspace;
    if (!ws) return log("workspace folders changed: the host started without a folder, so the workspace prefix stays off until it restarts");
    const added = e.added.map(folderOf).filter((f) => f !== undefined);
    const removed = e.removed.map(folderOf).filter((f) => f !== undefined);
    const gone = new Set(removed.map((f) => f.uri));
    folderUris = [...folderUris.filter((u) => !gone.has(u)), ...added.map((f) => f.uri).filter((u) => !folderUris.includes(u))];
    const changed = await ws.changeFolders(added, removed.map((f) => f.dir));
    watchFolders();
    if (changed) scheduleRefresh();
  }

  connection.onDidChangeConfiguration(async (params) => {
    const settings = (params.settings as { hearth?: Partial<HearthSettings> } | undefined)?.hearth;
    if (!settings) return;
    const merged = mergeSettings(settings);
    hostSettings = merged;
    const wasReady = models?.getStatus().state === "ready";
    if (models) await models.updateSettings(merged);
    // An engine setting changed (threads, context, cache type, model…): the engine was stopped; start the new
    // one now rather than on the next keystroke, and bring its prefix back before anyone types.
    if (wasReady && models?.getStatus().state === "idle") bringPrefixBack();
    // New ignore patterns or prefix size: the prefix changes in the background, like after a file change.
    if (workspace && (await workspace.configure(merged.workspace))) scheduleRefresh();
  });

  connection.languages.inlineCompletion.on(async (params, token) => {
    const doc = textDocument(params.textDocument.uri);
    if (!doc) return null;
    // Secrets never reach a prompt, not even the local engine's.
    if (isSecretPath(params.textDocument.uri)) return { items: [] };
    activeFile = fileOf(doc.uri);
    cursor = { uri: params.textDocument.uri, position: params.position };
    clearTimeout(primeTimer);
    const outcome = await completeOrTell(params.textDocument.uri, token, async (signal) => completions.complete(await completionRequest(doc, params.position), signal));
    if (!outcome) return { items: [] };
    void connection.sendNotification(CompletionStatsNotification, {
      uri: params.textDocument.uri,
      stats: outcome.stats,
      layoutMs: outcome.layoutMs,
    });
    if (!outcome.text) return { items: [] };
    return { items: [InlineCompletionItem.create(outcome.text, undefined, { start: params.position, end: params.position })] };
  });

  /**
   * Runs a completion; a failure (other than a cancellation, which stays a RequestCancelled error) goes to the
   * client as `hearth/completionFailed` and leaves undefined: a client shows a failed inline completion request
   * as a raw error on each keystroke (vscode-languageclient: a toast its middleware never sees).
   */
  async function completeOrTell(uri: string, token: CancellationToken, run: (signal: AbortSignal) => Promise<CompletionOutcome>): Promise<CompletionOutcome | undefined> {
    try {
      return await guard(token, (signal) =>
        run(signal).catch((err: unknown) => {
          throw contextTooLong(err, "The completion's prompt (the code around the cursor and the workspace)", "lower hearth.workspace.maxTokens") ?? err;
        }),
      );
    } catch (err) {
      if (err instanceof ResponseError && err.code === LSPErrorCodes.RequestCancelled) throw err;
      const error = (err as ResponseError<HearthErrorData>).data?.hearth ?? toHearthError(err);
      void connection.sendNotification(CompletionFailedNotification, { uri, error });
      return undefined;
    }
  }

  /** What a completion at `position` in `doc` asks the model (also what prime() evaluates ahead of it). */
  async function completionRequest(doc: TextDocument, position: Position): Promise<CompletionRequest> {
    const notebook = notebooks.findNotebookDocumentForCell(doc.uri);
    const file = fileOf(doc.uri);
    const around = notebook ? notebookCursor(notebook, doc, position) : splitAt(doc.getText(), doc.offsetAt(position));
    return {
      filePath: (file && workspace?.relative(file)) ?? file ?? notebook?.uri ?? doc.uri,
      workspaceChunks: workspace ? await workspace.chunksFor(file, (await need().ensureLoaded()).contextSize) : undefined,
      languageId: doc.languageId,
      ...around,
    };
  }

  /** A cell's completion sees the whole notebook as one script (completion/notebook.ts) and stays in the cell. */
  function notebookCursor(notebook: NotebookDocument, doc: TextDocument, position: Position): Pick<CompletionRequest, "prefix" | "suffix" | "stop"> {
    const all = notebook.cells.map((c) => {
      const d = cells.get(c.document);
      return { kind: c.kind === NotebookCellKind.Markup ? ("markdown" as const) : ("code" as const), text: d?.getText() ?? "", languageId: d?.languageId ?? "" };
    });
    // (a notebook of markdown cells only: its code would be Python, the usual kernel)
    const language = notebookLanguage(all, doc.languageId === "markdown" ? "python" : doc.languageId);
    const index = notebook.cells.findIndex((c) => c.document === doc.uri);
    return { ...notebookCursorText(all, index, doc.offsetAt(position), language), stop: cellStops(language) };
  }

  connection.onRequest(ChatRequest, (params, token) =>
    guard(token, async (signal) => {
      const opts = {
        maxTokens: params.maxTokens,
        temperature: params.temperature,
        seed: params.seed,
        signal,
        onText: streamTo(connection, params.partialResultToken),
      };
      const instructions: RequestInstructions =
        params.instructions === false ? { text: "", notes: [] } : instructionsOf({ focus: typeof params.focus === "string" ? params.focus : undefined });
      const messages = withInstructions(params.messages, instructions.text);
      const result = params.workspace ? await chat.chatWithWorkspace(messages, await chatWorkspaceChunks(), opts) : await chat.chat(messages, opts);
      return withUsed(result, instructions);
    }),
  );

  /** A result with the standing instructions that went with it (left out when none did). */
  function withUsed<T extends object>(result: T, instructions: RequestInstructions): T & { instructions?: InstructionsUsed[] } {
    return instructions.used ? { ...result, instructions: instructions.used } : result;
  }

  /** The standing instructions for a request (instructions.ts); what was passed over is logged when that changes. */
  function instructionsOf(q: { focus?: string; repository?: string }): RequestInstructions {
    const found = instructionsFor({ roots: workspace?.folders(), settings: hostSettings.instructions, ignore: hostSettings.workspace, ...q });
    const notes = found.notes.join("\n");
    if (notes !== loggedInstructionNotes) for (const note of found.notes) log(note);
    loggedInstructionNotes = notes;
    return found;
  }

  connection.onRequest(CountTokensRequest, (params, token) => guard(token, (signal) => chat.tokenCount(params, signal)));

  connection.onRequest(EditCodeRequest, (params, token) =>
    guard(token, async (signal) => {
      const uri = params.textDocument.uri;
      const doc = textDocument(uri);
      if (!doc) throw new HearthFailure("invalid-request", "The model host does not have this document: open it in the editor and try again.");
      // Secrets never reach a prompt, not even the local engine's.
      if (isSecretPath(uri)) {
        throw new HearthFailure("secret-file", "This looks like a secrets file (.env, a key, credentials): Hearth keeps it out of every prompt, so it cannot edit it.");
      }
      const file = fileOf(uri);
      // The file being edited: workspace context carries its current text after the shared prefix.
      if (file) activeFile = file;
      const loaded = await need().ensureLoaded();
      // (a native-FIM model has no Gemma turns to put the workspace prefix in; the file's lines still go)
      const withWorkspace = params.workspace ?? (workspace !== undefined && !loaded.fim);
      const instructions = instructionsOf({ focus: file });
      const result = await editCode(
        chat,
        {
          filePath: (file && workspace?.relative(file)) ?? (file ? path.basename(file) : uri),
          languageId: doc.languageId,
          text: doc.getText(),
          lineCount: doc.lineCount,
          startLine: params.startLine,
          endLine: params.endLine,
          instruction: params.instruction ?? "",
          workspace: withWorkspace ? chatWorkspaceChunks : undefined,
          contextSize: loaded.contextSize,
          instructions: instructions.text,
        },
        { maxTokens: params.maxTokens, temperature: params.temperature, seed: params.seed, signal, onChunk: chunksTo(connection, params.partialResultToken) },
      );
      return withUsed(result, instructions);
    }),
  );

  connection.onRequest(CommitMessageRequest, (params, token) =>
    guard(token, async (signal) => {
      const { contextSize } = await need().ensureLoaded();
      const opts = { maxTokens: params.maxTokens, temperature: params.temperature, seed: params.seed, signal, onText: streamTo(connection, params.partialResultToken) };
      // (without a repository: every workspace folder's instructions, none outside a workspace)
      const instructions = instructionsOf({ repository: typeof params.repository === "string" ? params.repository : undefined });
      const result = await writeCommitMessage(chat, params, opts, contextSize, instructions.text);
      return withUsed(result, instructions);
    }),
  );

  /**
   * The workspace of a workspace chat: exactly the chunks of the completions' prefix (the same call the
   * warm-up makes, so the chat starts with the prefix slot 0 holds and the PrefixStore saved), then the
   * chunks of the file being edited when completions keep them out of their prefix (the file edited last).
   */
  async function chatWorkspaceChunks(): Promise<WorkspaceChunks> {
    if (!workspace) throw new HearthFailure("no-workspace", "Workspace chat needs an open folder: open one, or ask without the workspace.");
    const { contextSize } = await need().ensureLoaded();
    // The tail the prefix left out: the file's current chunks when it was edited last. (Checking whether the
    // prefix has chunks of the file is not enough: an earlier, superseded copy of it may be in the middle.)
    const chunks = await workspace.chunksWithTail(activeFile, contextSize);
    return { prefix: chunks.prefix, extra: chunks.tail };
  }

  connection.onRequest(ExplainImageRequest, (params, token) =>
    guard(token, (signal) =>
      chat.explainImage(params, params.question, {
        maxTokens: params.maxTokens,
        temperature: params.temperature,
        seed: params.seed,
        signal,
        onText: streamTo(connection, params.partialResultToken),
        onPromptProgress: promptProgressTo(connection, params.partialResultToken),
      }),
    ),
  );

  connection.onRequest(SummarizeAudioRequest, (params, token) =>
    guard(token, (signal) =>
      chat.summarizeAudio(params.path, params.instructions, {
        maxTokens: params.maxTokens,
        temperature: params.temperature,
        seed: params.seed,
        signal,
        onText: streamTo(connection, params.partialResultToken),
        onPromptProgress: promptProgressTo(connection, params.partialResultToken),
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

  /**
   * Brings the engine's completions slot to the workspace prefix the next completion will use (the active
   * file's chunks left out) in the background: restored from disk after a start, extended or rolled back
   * after file changes (logged, never fatal).
   */
  async function warmUpWorkspace(ws: WorkspaceContext, contextSize: number): Promise<void> {
    if (!prefix) return;
    try {
      const chunks = await ws.chunksFor(activeFile, contextSize);
      notifyPrefix({ ...prefixStatus, state: "warming", message: undefined });
      const r = await prefix.warm(chunks, undefined, (tokens, targetTokens) => notifyPrefix({ ...prefixStatus, state: "warming", tokens, targetTokens }));
      if (r) {
        log(
          `workspace prefix warmed up: ${r.tokens} tokens, ${r.processedTokens} evaluated in ${Math.round(r.evaluateMs)} ms` +
            (r.restoredTokens ? `, ${r.restoredTokens} restored from disk in ${Math.round(r.restoreMs)} ms` : "") +
            (r.requests > 1 ? ` (${r.requests} requests, between completions)` : ""),
        );
        notifyPrefix({
          ...prefixStatus,
          targetTokens: undefined,
          state: "ready",
          tokens: r.tokens,
          chunks: chunks.length,
          evaluatedTokens: r.processedTokens,
          evaluateMs: Math.round(r.evaluateMs),
          ...(r.restoredTokens || r.notRestored ? { restoredTokens: r.restoredTokens, restoreMs: Math.round(r.restoreMs), notRestored: r.notRestored } : {}),
          ...(r.savedBytes ? { savedAt: new Date().toISOString(), savedBytes: r.savedBytes } : {}),
        });
      } else {
        // Nothing to evaluate; the prefix may still be smaller than before (a file at its end was deleted).
        const held = await prefix.heldTokens(chunks).catch(() => undefined);
        if (held !== undefined) notifyPrefix({ ...prefixStatus, state: "ready", tokens: held, chunks: chunks.length });
        else notifyPrefix({ ...prefixStatus, state: prefixStatus.tokens ? "ready" : "warming" });
      }
    } catch (err) {
      const message = toHearthError(err).message;
      log(`workspace prefix warm-up skipped: ${message}`);
      notifyPrefix({ ...prefixStatus, state: "failed", message });
      return;
    }
    // The refresh left the slot at the prefix: evaluate the cursor's part too before the next keystroke.
    await primeCursor();
  }

  /**
   * The supervisor restarted a crashed engine: the new process starts with empty slots. (A new engine the
   * host starts itself, for a changed setting, is handled where it does that; other embedders that swap
   * engines, like the benchmark, decide for themselves.)
   */
  function engineStarted(status: ModelStatus): void {
    const pid = status.state === "ready" ? status.engine?.pid : undefined;
    if (pid === undefined || pid === enginePid) return;
    const crashRestart = enginePid !== undefined && (status.engine?.restarts ?? 0) > 0;
    enginePid = pid;
    if (crashRestart) {
      log(`engine restarted (pid ${pid}): bringing the workspace prefix back`);
      bringPrefixBack();
    }
  }

  /**
   * Loads the engine if it is not running and brings the workspace prefix back into its completions slot,
   * restored from disk where it was saved. Until then completions use the part the slot holds, instead of
   * evaluating the whole prefix on a keystroke (for a 12B at 256K on a CPU, hours).
   */
  function bringPrefixBack(): void {
    const ws = workspace;
    const m = models;
    if (!m) return;
    if (!ws || !slot) return void m.ensureLoaded().catch(() => undefined); // (a failed load shows in the status)
    const filled = slot.beginBackgroundFill();
    void m
      .ensureLoaded()
      .then((loaded) => warmUpWorkspace(ws, loaded.contextSize))
      .catch(() => undefined) // (warmUpWorkspace logs its own failures; a failed load shows in the status)
      .finally(filled);
  }

  /**
   * Evaluates the completion prompt at the cursor in the background (after the prefix's own warm-up), so the
   * first keystroke after a file switch or a jump evaluates what it typed, not the file's window. One log
   * line per attempt (the benchmark waits for it).
   */
  async function primeCursor(): Promise<void> {
    const at = cursor;
    const doc = at && textDocument(at.uri);
    if (!at || !doc || isSecretPath(at.uri) || models?.getStatus().state !== "ready") return;
    await prefix?.idle();
    if (cursor !== at) return; // moved on meanwhile: that move primes
    try {
      const { stats } = await completions.prime(await completionRequest(doc, at.position));
      log(stats ? `cursor context primed: ${stats.processedTokens} tokens evaluated in ${Math.round(stats.promptMs)} ms` : "cursor context primed: already evaluated");
    } catch (err) {
      log(`cursor context not primed: ${err instanceof RequestCancelledError || (err as Error).name === "AbortError" ? "a completion came first" : toHearthError(err).message}`);
    }
  }

  function notifyPrefix(status: WorkspacePrefixParams): void {
    prefixStatus = status;
    void connection.sendNotification(WorkspacePrefixNotification, status);
  }

  /** After file changes, re-evaluates the prefix off the keystroke path (debounced; only once a model runs). */
  function scheduleRefresh(delayMs = PREFIX_REFRESH_DELAY_MS): void {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      const ws = workspace;
      const m = models;
      if (ws && m?.getStatus().state === "ready") void m.ensureLoaded().then((l) => warmUpWorkspace(ws, l.contextSize));
    }, delayMs);
  }

  // A switch to another file: its completions' prefix differs (the file edited before is in it now); the
  // refresh then primes the cursor. A move in the same file (a jump) primes the cursor alone.
  connection.onNotification(ActiveEditorNotification, (p) => {
    // (a notebook cell: the notebook is the file; moving between its cells is a move in the same file)
    const file = fileOf(p.uri);
    if (!file || isSecretPath(p.uri)) return;
    if (p.position) cursor = { uri: p.uri, position: p.position };
    const switched = file !== activeFile;
    activeFile = file;
    if (switched && workspace) {
      scheduleRefresh(ACTIVE_EDITOR_REFRESH_DELAY_MS);
    } else if (p.position) {
      clearTimeout(primeTimer);
      primeTimer = setTimeout(() => void primeCursor(), ACTIVE_EDITOR_REFRESH_DELAY_MS);
    }
  });

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
    if (file) filesChanged([file]);
  });
  notebooks.onDidSave((nb) => {
    const file = filePathOf(nb.uri);
    if (file) filesChanged([file]);
  });
  connection.onDidChangeWatchedFiles((p) => {
    const files = p.changes.map((c) => filePathOf(c.uri)).filter((f): f is string => !!f);
    if (files.length) filesChanged(files);
  });

  /** Files saved or changed on disk: the prefix is re-evaluated in the background when they changed it. */
  function filesChanged(files: string[]): void {
    void workspace?.changed(files).then((changed) => changed && scheduleRefresh());
  }

  connection.onShutdown(async () => {
    clearTimeout(refreshTimer);
    clearTimeout(primeTimer);
    await models?.dispose();
  });
  connection.onExit(() => void models?.dispose());

  documents.listen(connection);
  notebooks.listen(connection);
  connection.listen();
  return { models: () => models };
}

/** A workspace folder on disk, with the URI the client named it by. */
interface LocalFolder extends WorkspaceFolderSpec {
  uri: string;
}

/** A client's workspace folder if it is on disk (file:). */
function folderOf(f: WorkspaceFolder): LocalFolder | undefined {
  const dir = filePathOf(f.uri);
  return dir === undefined ? undefined : { uri: f.uri, dir, name: f.name };
}

/** The workspace folders at initialize: `workspaceFolders`, else (an older client) `rootUri`. */
function initialFolders(params: InitializeParams): LocalFolder[] {
  const folders = params.workspaceFolders?.length ? params.workspaceFolders : params.rootUri ? [{ uri: params.rootUri, name: "" }] : [];
  return folders.map(folderOf).filter((f) => f !== undefined);
}

/**
 * Every file under the workspace folders, when the client registers file watchers on request: one watcher per
 * folder where it supports relative patterns, else a plain glob (which covers every folder of the window).
 */
function fileWatchersFor(capabilities: ClientCapabilities, folderUris: string[]): FileSystemWatcher[] | undefined {
  const caps = capabilities.workspace?.didChangeWatchedFiles;
  if (!caps?.dynamicRegistration || folderUris.length === 0) return undefined;
  if (!caps.relativePatternSupport) return [{ globPattern: "**/*" }];
  return folderUris.map((baseUri) => ({ globPattern: { baseUri, pattern: "**/*" } }));
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
  const send = chunksTo(connection, token);
  return send && ((text) => send({ text }));
}

function promptProgressTo(connection: Connection, token: string | number | undefined): ((prompt: PromptProgress) => void) | undefined {
  const send = chunksTo(connection, token);
  return send && ((prompt) => send({ text: "", prompt }));
}

function chunksTo(connection: Connection, token: string | number | undefined): ((chunk: StreamChunk) => void) | undefined {
  if (token === undefined) return undefined;
  return (chunk) => void connection.sendProgress(streamProgress, token, chunk);
}

function splitAt(text: string, offset: number): { prefix: string; suffix: string } {
  return { prefix: text.slice(0, offset), suffix: text.slice(offset) };
}

function filePathOf(uri: string): string | undefined {
  try {
    return uri.startsWith("file:") ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

/** Quiet time after the last file change before the prefix is re-evaluated. */
const PREFIX_REFRESH_DELAY_MS = 1500;
/** After a switch of editor: short, only to let a quick run of switches (Ctrl+Tab) settle. */
const ACTIVE_EDITOR_REFRESH_DELAY_MS = 300;

const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
