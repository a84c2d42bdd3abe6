/**
 * Hearth's VS Code entry point: wires the host client, inline completion policy, status bar, chat view,
 * media commands and model management together. No model logic lives here (that is the host's job).
 */
import * as vscode from "vscode";
import type { ModelStatus, WorkspacePrefixParams } from "../server/protocol";
import type { HearthApi } from "./api";
import { ChatViewProvider } from "./chat/chatViewProvider";
import { registerLanguageModels } from "./languageModel";
import { ProposedChanges } from "./chat/proposedChange";
import { CompletionGate } from "./completion";
import { CursorTracker, type CursorAt } from "./cursorTracker";
import { exportChat } from "./chat/exportChat";
import { manageDownloadedModels } from "./manageModels";
import { showPastChats } from "./chat/pastChatsPicker";
import { addDocumentation } from "./edit/addDocumentation";
import { editArgs, editSelection } from "./edit/editSelection";
import { FixWithHearth } from "./edit/fixCodeAction";
import { writeCommitMessage } from "./commitMessage";
import { reviewChanges } from "./reviewChanges";
import { completionUiConfig, describeScope, remoteEndpoint, setCompletionsEnabled, toggleLanguage, warnIfOverridden } from "./config";
import { errorMessage, HostClient, isConnectionGone, NOTEBOOK_CELL_SCHEME } from "./hostClient";
import { Commands } from "./ids";
import { explainScreenshot, summarizeMeeting } from "./media";
import { ModelManagerUi } from "./models";
import { currentModelDescription, StatusBar, statusMenuTitle } from "./status";

export async function activate(context: vscode.ExtensionContext): Promise<HearthApi> {
  const output = vscode.window.createOutputChannel("Hearth", { log: true });
  const gate = new CompletionGate();
  const status = new StatusBar();
  let models: ModelManagerUi | undefined;
  const host = new HostClient(context, output, gate.middleware, () => models?.apiKey() ?? Promise.resolve(""));
  models = new ModelManagerUi(context, host);
  const changes = new ProposedChanges((m) => output.info(m));
  const chat = new ChatViewProvider(context, host, (m) => output.info(m), changes);
  context.subscriptions.push(changes, vscode.commands.registerCommand(Commands.applyCodeBlock, (code: unknown) => chat.applyCode(String(code ?? ""))));
  context.subscriptions.push(output, gate, status, host);
  // The model for other extensions and the editor's chat (vscode.lm, where the editor has the provider API),
  // through this host: one engine for all.
  const languageModels = registerLanguageModels(host, () => Number(vscode.workspace.getConfiguration("hearth").get("contextSize")) || 0);
  if (languageModels) context.subscriptions.push(languageModels);

  let warned = false;
  /** The chat's banner: the model state, and the endpoint its messages go to when that is not this machine. */
  const chatModelState = () => {
    const s = host.status;
    if (!s) return;
    chat.setModelState(s.state, s.state === "error" ? s.error?.message : s.state === "downloading" ? downloadDetail(s) : undefined, remoteEndpoint() || undefined);
  };
  host.onStatus((s: ModelStatus) => {
    status.setStatus(s);
    chatModelState();
    if (s.state === "ready" && !warned) {
      warned = true;
      models!.warnIfTight(s);
    }
  });
  host.onCompletionStats((s) => status.setCompletionStats(s));
  let workspacePrefix: WorkspacePrefixParams | undefined;
  host.onWorkspacePrefix((p) => {
    workspacePrefix = p;
    status.setWorkspacePrefix(p);
  });
  // A completion lost to Restart Model Host is not a failure worth a warning.
  gate.onResult((err) => status.setCompletionError(err && !isConnectionGone(err) ? errorMessage(err) : undefined));
  // A failed completion comes back as a success without items, and its failure as this notification.
  host.onCompletionFailed((f) => status.setCompletionFailed(f.error.message));
  const skipText = { disabled: "completions are turned off", language: "completions are off for this language", secret: "this looks like a secrets file" };
  gate.onSkip((s) => status.setSkip(skipText[s.reason]));
  // The host prepares the completion context where the cursor lands (file switches, clicks, jumps).
  const cursor = new CursorTracker((uri, position) => host.activeEditorChanged(uri, position));
  const cursorAt = (e: vscode.TextEditor): CursorAt | undefined =>
    (e.document.uri.scheme === "file" || e.document.uri.scheme === NOTEBOOK_CELL_SCHEME) && !gate.skipReason(e.document)
      ? { uri: e.document.uri.toString(), version: e.document.version, line: e.selection.active.line, character: e.selection.active.character }
      : undefined;
  context.subscriptions.push(cursor);
  vscode.window.onDidChangeActiveTextEditor(
    (e) => {
      status.setSkip(e ? skipReasonText(gate, e.document, skipText) : undefined);
      cursor.editorChanged(e && cursorAt(e));
    },
    null,
    context.subscriptions,
  );
  vscode.window.onDidChangeTextEditorSelection(
    (e) => {
      const at = e.textEditor === vscode.window.activeTextEditor ? cursorAt(e.textEditor) : undefined;
      if (at) cursor.selectionChanged(at);
    },
    null,
    context.subscriptions,
  );

  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewType, chat),
    vscode.commands.registerCommand(Commands.newChat, () => chat.newChat()),
    vscode.commands.registerCommand(Commands.chatHistory, (id?: unknown) => showPastChats(chat, id)),
    vscode.commands.registerCommand(Commands.exportChat, () => exportChat(chat.history())),
    vscode.commands.registerCommand(Commands.editSelection, (args?: unknown) => editSelection(host, changes, (m) => output.info(m), editArgs(args))),
    vscode.commands.registerCommand(Commands.addSelectionToChat, () => chat.addSelection()),
    vscode.commands.registerCommand(Commands.explainCode, () => chat.runCommand("explain")),
    vscode.commands.registerCommand(Commands.fixCode, () => chat.runCommand("fix")),
    vscode.commands.registerCommand(Commands.reviewCode, () => chat.runCommand("review")),
    vscode.commands.registerCommand(Commands.writeTests, () => chat.runCommand("tests")),
    vscode.commands.registerCommand(Commands.addDocumentation, () => addDocumentation()),
    vscode.commands.registerCommand(Commands.writeCommitMessage, (arg?: unknown) => writeCommitMessage(host, arg)),
    vscode.commands.registerCommand(Commands.reviewChanges, (arg?: unknown) => reviewChanges(chat, arg)),
    vscode.languages.registerCodeActionsProvider([{ scheme: "file" }, { scheme: "untitled" }, { scheme: NOTEBOOK_CELL_SCHEME }], new FixWithHearth(), {
      providedCodeActionKinds: FixWithHearth.kinds,
    }),
    vscode.commands.registerCommand(Commands.explainScreenshot, (uri?: vscode.Uri) => explainScreenshot(chat, uri)),
    vscode.commands.registerCommand(Commands.summarizeMeeting, (uri?: vscode.Uri) => summarizeMeeting(host, uri)),
    vscode.commands.registerCommand(Commands.toggleCompletions, async () => {
      const enabled = !completionUiConfig().enabled;
      const write = await setCompletionsEnabled(enabled);
      if (warnIfOverridden([write])) return;
      void vscode.window.setStatusBarMessage(`Hearth: inline completions ${enabled ? "on" : "off"}${describeScope([write])}`, 2500);
    }),
    vscode.commands.registerCommand(Commands.toggleCompletionsForLanguage, async () => {
      const languageId = vscode.window.activeTextEditor?.document.languageId;
      if (!languageId) return;
      const { nowEnabled, write } = await toggleLanguage(languageId);
      if (warnIfOverridden([write])) return;
      void vscode.window.setStatusBarMessage(`Hearth: completions ${nowEnabled ? "on" : "off"} for ${languageId}${describeScope([write])}`, 2500);
    }),
    vscode.commands.registerCommand(Commands.selectModel, () => models!.selectModel()),
    vscode.commands.registerCommand(Commands.downloadModel, () => models!.download()),
    vscode.commands.registerCommand(Commands.manageModels, () => manageDownloadedModels(host.status)),
    vscode.commands.registerCommand(Commands.restartHost, async () => {
      await host.restart();
      void models!.ensureLoaded(true);
    }),
    vscode.commands.registerCommand(Commands.showLogs, () => output.show(true)),
    vscode.commands.registerCommand(Commands.statusMenu, () => statusMenu(host)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("hearth")) {
        status.render(); // completions on/off, a remote endpoint set or cleared, another model
        chatModelState();
      }
      if (e.affectsConfiguration("hearth")) await host.pushSettings();
    }),
    // hearth.workspace.ignore is per folder: an added folder's own patterns go to the host with the folder
    // (a host not running takes them at its start, in initializationOptions).
    vscode.workspace.onDidChangeWorkspaceFolders(() => void host.pushSettings().catch(() => undefined)),
  );

  try {
    await host.start();
  } catch (err) {
    output.error(`The model host did not start: ${errorMessage(err)}`);
    void vscode.window.showErrorMessage(`Hearth: the model host did not start: ${errorMessage(err)}`, "Show Logs").then((a) => a && output.show());
  }
  // Load in the background so the first completion is fast; ask before any download.
  void models.ensureLoaded(false);

  return {
    whenReady: (timeoutMs = 120_000) => whenReady(host, timeoutMs),
    status: () => host.status,
    chatHistory: () => chat.history(),
    pastChats: () => chat.pastChats(),
    enginePid: () => host.status?.engine?.pid,
    workspacePrefix: () => workspacePrefix,
  };
}

export function deactivate(): void {
  // Disposables (host client included) are disposed by VS Code; the host stops its engine on shutdown.
}

function whenReady(host: HostClient, timeoutMs: number): Promise<ModelStatus> {
  return new Promise((resolve, reject) => {
    const check = (s?: ModelStatus) => {
      if (s?.state === "ready") finish(() => resolve(s));
      else if (s?.state === "error") finish(() => reject(new Error(s.error?.message ?? "model error")));
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`Hearth was not ready within ${timeoutMs} ms`))), timeoutMs);
    const sub = host.onStatus(check);
    function finish(then: () => void) {
      clearTimeout(timer);
      sub.dispose();
      then();
    }
    check(host.status);
  });
}

function skipReasonText(gate: CompletionGate, doc: vscode.TextDocument, text: Record<string, string>): string | undefined {
  const reason = gate.skipReason(doc);
  return reason ? text[reason] : undefined;
}

function downloadDetail(s: ModelStatus): string | undefined {
  const d = s.download;
  if (!d || !d.totalBytes) return undefined;
  return `Downloading ${d.file}: ${Math.floor((100 * d.downloadedBytes) / d.totalBytes)}%`;
}

async function statusMenu(host: HostClient): Promise<void> {
  const s = host.status;
  const remote = remoteEndpoint();
  const enabled = completionUiConfig().enabled;
  const lang = vscode.window.activeTextEditor?.document.languageId;
  const items: (vscode.QuickPickItem & { command: string })[] = [
    { label: enabled ? "$(circle-slash) Turn inline completions off" : "$(check) Turn inline completions on", command: Commands.toggleCompletions },
    ...(lang ? [{ label: `$(symbol-keyword) Toggle completions for ${lang}`, command: Commands.toggleCompletionsForLanguage }] : []),
    { label: "$(comment-discussion) Open chat", command: "hearth.chat.focus" },
    { label: "$(history) Chat history…", command: Commands.chatHistory },
    { label: "$(edit) Edit selection…", command: Commands.editSelection },
    { label: "$(device-camera) Explain screenshot…", command: Commands.explainScreenshot },
    { label: "$(record) Summarize meeting recording…", command: Commands.summarizeMeeting },
    { label: "$(server-environment) Select model…", description: currentModelDescription(s, remote), command: Commands.selectModel },
    ...(s?.state === "error" || s?.state === "idle" ? [{ label: "$(cloud-download) Download model", command: Commands.downloadModel }] : []),
    { label: "$(trash) Manage downloaded models…", command: Commands.manageModels },
    { label: "$(debug-restart) Restart model host", command: Commands.restartHost },
    { label: "$(output) Show logs", command: Commands.showLogs },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: statusMenuTitle(s, remote) });
  if (picked) await vscode.commands.executeCommand(picked.command);
}
