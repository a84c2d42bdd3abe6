/**
 * The chat sidebar (`hearth.chat`, a WebviewView in the Hearth activity-bar container).
 *
 * The extension owns the transcript (./history, persisted per workspace) and the pending context chips;
 * the webview (media/src/chat.ts → media/chat.js) renders them and owns only the draft and pending
 * attachments. The webview is not retained while hidden: each time it loads it posts `ready` and gets the
 * whole state back (`history`, `context`, `modelState`), so streaming continues and is caught up on return.
 *
 * Messages (./viewProtocol): webview → `send` → a user turn and a streaming assistant turn (`turn`, `turn`),
 * then `delta`… and `done` (status done / stopped / error with the host's sentence, stats). `stop` cancels
 * the request (CancellationTokenSource → `$/cancelRequest` → the host aborts the engine).
 */
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { checkAttachment, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, SNIFF_BYTES, sniffMedia } from "../../media/src/attach";
import type { ChatResult, GenerationStats, HearthErrorData, MediaResult } from "../../server/protocol";
import { errorCode } from "../hostErrors";
import { isHostStopped } from "../hostStopped";
import type { ChatBackend } from "./backend";
import { ChatHistory } from "./history";
import { PastChats, wasCut, type PastChat } from "./pastChats";
import { cellTexts, chipPath, notebookOfCell, prepareCommand, selectionChip, symbolChip } from "./commandInput";
import { type ChatCommandName, parseChatCommand } from "./commands";
import { buildPrompt, MAX_CHIP_CHARS, languageIdForFence, parseWorkspaceMention, secretFileReason, SYSTEM_PROMPT, WORKSPACE_NOTE } from "./prompt";
import type { Attachment, ChatTurn, ContextChip } from "./types";
import { VIEW_COMMANDS, type FromView, type ToView } from "./viewProtocol";
import { notebookLanguage, notebookScript } from "../../server/completion/notebook";
import { containsSecret } from "../../server/workspace/files";
import { PROPOSED_SCHEME } from "./proposedChange";
import { WorkspaceFiles } from "./workspaceFiles";
import { terminalCommand } from "./terminalCommand";

/** Errors about the input itself (the file, its format or size): asking again cannot help, so no Retry. */
const BAD_INPUT_CODES = new Set(["unsupported-media", "unreadable-media", "media-too-large"]);
/** JSON-RPC "request cancelled" codes (LSP RequestCancelled, JSON-RPC RequestCancelled). */
const CANCELLED_CODES = new Set([-32800]);
const MAX_CHIPS = 12;
/** The `#` menu asks the languages for symbols once typing pauses this long. */
const SYMBOL_SEARCH_PAUSE_MS = 150;
/** All chips of one message together (each is at most MAX_CHIP_CHARS). */
const MAX_CONTEXT_CHARS = 2 * MAX_CHIP_CHARS;
/** Schemes of editors that are not the user's code (output channels, debug console, SCM input). */
// (hearth-proposed: the proposed side of an Apply diff; the file it changes stays the target)
const NON_CODE_SCHEMES = new Set(["output", "debug", "vscode-scm", "comment", "vscode-terminal", PROPOSED_SCHEME]);

interface ActiveRequest {
  turn: ChatTurn;
  cts: vscode.CancellationTokenSource;
  /** Settles when the turn has its final status. */
  settled: Promise<void>;
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = "hearth.chat";

  private view: vscode.WebviewView | undefined;
  private viewDisposables: vscode.Disposable[] = [];
  private readonly store: ChatHistory;
  private readonly past: PastChats;
  private chips: ContextChip[] = [];
  /** The composer's chips before Edit on an earlier message gave it that message's: Cancel gives them back. */
  private chipsBeforeEdit: ContextChip[] | undefined;
  private modelState: { state: string; detail?: string; remote?: string } | undefined;
  private active: ActiveRequest | undefined;
  /** A message is being prepared (a command gathering its code and context): a second one waits. */
  private preparing = false;
  /** A past chat is being opened: messages wait. */
  private switching = false;
  /** Which conversation is open: a message prepared while it changed is not added to the new one. */
  private conversation = 0;
  private lastEditor: vscode.TextEditor | undefined;
  /** What the `#` menu offers, and the number of the last query for it. */
  private readonly files: WorkspaceFiles;
  private fileQuery = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly backend: ChatBackend,
    private readonly log: (msg: string) => void,
    /** Apply on a code block: shows the change as a diff (ProposedChanges); without it, Apply says so. */
    private readonly changes?: { propose(editor: vscode.TextEditor, code: string): Promise<string | undefined> },
  ) {
    this.store = new ChatHistory(context.workspaceState, (err) => this.log(`chat: could not save the history: ${describe(err)}`));
    this.past = new PastChats(context.workspaceState);
    this.files = new WorkspaceFiles(log);
    this.disposables.push(this.files);
    this.trackEditor(vscode.window.activeTextEditor);
    this.disposables.push(vscode.window.onDidChangeActiveTextEditor((e) => this.trackEditor(e)));
    context.subscriptions.push(this);
  }

  // -------------------------------------------------------------------------------------------------
  // Public API (commands, the extension's API, Explain Screenshot)

  resolveWebviewView(view: vscode.WebviewView): void {
    for (const d of this.viewDisposables) d.dispose();
    this.view = view;
    const media = vscode.Uri.joinPath(this.context.extensionUri, "media");
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview);
    this.viewDisposables = [
      view.webview.onDidReceiveMessage((m: unknown) => {
        this.onMessage(m).catch((err) => {
          this.log(`chat: ${describe(err)}`);
          this.notice("error", describe(err));
        });
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
        for (const d of this.viewDisposables) d.dispose();
        this.viewDisposables = [];
      }),
    ];
  }

  /**
   * Starts a new conversation (stops an answer in progress); the one it ends is kept in the past chats.
   * Pending context chips stay.
   */
  newChat(): void {
    this.active?.cts.cancel();
    this.conversation++;
    const ended = structuredClone(this.store.turns);
    if (ended.length) void this.past.keep(ended).then(undefined, (err) => this.log(`chat: could not keep the conversation: ${describe(err)}`));
    this.store.clear();
    void this.store.save();
    this.post({ type: "history", turns: [], busy: false });
  }

  /** The conversations *New Chat* ended, newest first. */
  pastChats(): PastChat[] {
    return this.past.list();
  }

  /** Reopens a past conversation; the one open now is kept in its place. False when there is no such chat. */
  async openPastChat(id: string): Promise<boolean> {
    if (this.switching || !this.past.list().some((c) => c.id === id)) return false;
    this.switching = true;
    this.conversation++;
    try {
      await this.stopAndWait();
      const current = structuredClone(this.store.turns);
      const turns = await this.past.take(id);
      if (!turns) return false;
      if (current.length) await this.past.keep(current);
      this.store.replace(turns);
      await this.store.save();
    } finally {
      this.switching = false;
    }
    await this.reveal(false);
    this.post({ type: "history", turns: this.store.turns, busy: false });
    return true;
  }

  async deletePastChat(id: string): Promise<void> {
    await this.past.remove(id);
  }

  /** The transcript (a copy). */
  history(): ChatTurn[] {
    return structuredClone(this.store.turns);
  }

  /** Shows the view; with `preserveFocus`, keeps the keyboard where it is. */
  async reveal(preserveFocus = false): Promise<void> {
    if (this.view) this.view.show(preserveFocus);
    else await vscode.commands.executeCommand(`${ChatViewProvider.viewType}.focus`);
  }

  /** Add Selection to Chat: the editor's selection as context for the next message, the chat focused to ask. */
  async addSelection(): Promise<void> {
    await this.reveal(false);
    await this.addFromEditor("selection");
  }

  /**
   * A slash command from the editor (Explain, Write Tests in the context menu): on the editor's selection or
   * the code around its cursor, as if `/command` were sent from the chat. Pending context chips stay.
   */
  async runCommand(command: Exclude<ChatCommandName, "clear">, editor = this.targetEditor()): Promise<void> {
    await this.reveal(true);
    await this.ask(`/${command}`, [], [], false, editor);
  }

  /**
   * Review Changes: `/review` of a diff (src/reviewChanges.ts), asked in a new conversation (the one open is
   * kept in Chat History) whose standing instructions are the repository's (`focus`: a name in its folder).
   * False when Hearth is busy answering (a notice says so).
   */
  async reviewDiff(chip: ContextChip, repository: vscode.Uri): Promise<boolean> {
    await this.reveal(true);
    if (this.busy) {
      this.notice("info", "Hearth is still answering: stop it (Escape) or wait for it to finish, then review the changes.");
      return false;
    }
    if (this.store.turns.length) this.newChat();
    await this.ask("/review", [], [chip], false, undefined, false, undefined, vscode.Uri.joinPath(repository, "*").toString());
    return true;
  }

  /** Adds a context chip for the next message (and shows the view without taking focus). */
  addContext(chip: ContextChip): void {
    const reason = secretFileReason(chip.path) ?? (containsSecret(chip.text) ? `${path.basename(chip.path)} contains what looks like a key or token, so Hearth does not add it to the chat.` : undefined);
    if (reason) {
      this.notice("error", reason);
      return;
    }
    const same = this.chips.findIndex((c) => c.path === chip.path && c.kind === chip.kind && c.range?.[0] === chip.range?.[0] && c.range?.[1] === chip.range?.[1]);
    const others = this.chips.filter((_, i) => i !== same);
    if (others.length >= MAX_CHIPS) {
      this.notice("error", `At most ${MAX_CHIPS} context items per message: remove one first.`);
      return;
    }
    if (others.reduce((n, c) => n + c.text.length, chip.text.length) > MAX_CONTEXT_CHARS) {
      this.notice("error", `The context would exceed ${MAX_CONTEXT_CHARS / 1000}K characters: remove an item or add a smaller selection.`);
      return;
    }
    if (same >= 0) this.chips[same] = chip;
    else this.chips.push(chip);
    this.post({ type: "context", chips: this.chips });
    void this.reveal(true);
  }

  /**
   * The model's state, shown as a quiet banner unless it is "ready"; with `remote` (the endpoint in use) the
   * banner stays and says that messages go there.
   */
  setModelState(state: string, detail?: string, remote?: string): void {
    this.modelState = { state, detail, ...(remote ? { remote } : {}) };
    this.post({ type: "modelState", ...this.modelState });
  }

  /** Explain Screenshot: shows the image as a user turn and streams the model's explanation under it. */
  async explainImage(image: { name: string; mimeType: string; data: string }, question?: string): Promise<void> {
    await this.reveal(false);
    await this.stopAndWait();
    const q = question?.trim();
    const user: ChatTurn = {
      id: randomUUID(),
      role: "user",
      text: q || "Explain this screenshot.",
      attachments: [{ kind: "image", name: image.name, mimeType: image.mimeType, data: image.data }],
      createdAt: Date.now(),
    };
    this.store.add(user);
    this.post({ type: "turn", turn: user });
    await this.answer((onText, token) =>
      this.backend.explainImage({ data: image.data, mimeType: image.mimeType }, q || undefined, onText, token).catch((err) => {
        throw nameTheImage(err, image.name);
      }),
    );
  }

  dispose(): void {
    this.active?.cts.cancel();
    void this.store.dispose();
    for (const d of [...this.viewDisposables, ...this.disposables]) d.dispose();
  }

  // -------------------------------------------------------------------------------------------------
  // Messages from the webview

  private async onMessage(raw: unknown): Promise<void> {
    if (typeof raw !== "object" || raw === null || typeof (raw as { type?: unknown }).type !== "string") return;
    const m = raw as FromView;
    switch (m.type) {
      case "ready":
        this.post({ type: "history", turns: this.store.turns, busy: !!this.active });
        this.post({ type: "context", chips: this.chips });
        if (this.modelState) this.post({ type: "modelState", ...this.modelState });
        return;
      case "send":
        return this.send(m.text, m.attachments, m.context, m.workspace === true, typeof m.replaces === "string" ? m.replaces : undefined);
      case "editTurn":
        return this.editTurn(m.id);
      case "cancelEdit":
        if (this.chipsBeforeEdit) {
          this.chips = this.chipsBeforeEdit;
          this.chipsBeforeEdit = undefined;
          this.post({ type: "context", chips: this.chips });
        }
        return;
      case "stop":
        this.active?.cts.cancel();
        return;
      case "retry":
        return this.retry();
      case "continue":
        return this.continueAnswer(m.id);
      case "newChat":
        this.newChat();
        return;
      case "addSelection":
      case "addFile":
        return this.addFromEditor(m.type === "addSelection" ? "selection" : "file");
      case "removeContext":
        if (Number.isInteger(m.index) && m.index >= 0 && m.index < this.chips.length) this.chips.splice(m.index, 1);
        this.post({ type: "context", chips: this.chips });
        return;
      case "copy":
        await vscode.env.clipboard.writeText(String(m.code ?? ""));
        return;
      case "insert":
        return this.insertAtCursor(String(m.code ?? ""));
      case "runInTerminal":
        return this.typeInTerminal(String(m.code ?? ""), typeof m.language === "string" ? m.language : undefined);
      case "apply":
        return this.applyCode(String(m.code ?? ""), typeof m.turnId === "string" ? m.turnId : undefined);
      case "newFile":
        return this.openInNewFile(String(m.code ?? ""), typeof m.language === "string" ? m.language : undefined, typeof m.turnId === "string" ? m.turnId : undefined);
      case "attachError":
        this.log(`chat: attachment refused: ${String(m.message)}`);
        return;
      case "openLink":
        return this.openLink(String(m.url ?? ""));
      case "openInstructions":
        return this.openInstructions(String(m.turnId ?? ""), Number(m.index));
      case "dropUris":
        return this.dropUris(Array.isArray(m.uris) ? m.uris.filter((u): u is string => typeof u === "string") : []);
      case "findFiles": {
        if (typeof m.query !== "string" || !Number.isInteger(m.seq)) return;
        this.fileQuery = m.seq;
        // (keystrokes while the files are first listed: only the last query is ranked)
        await this.files.list();
        if (m.seq !== this.fileQuery) return;
        const files = await this.files.search(m.query);
        this.post({ type: "fileMatches", seq: m.seq, files });
        if (!WorkspaceFiles.looksForSymbols(m.query)) return;
        // Then the symbols of that name, once typing pauses: the languages' search is slower, and one at a time.
        await new Promise((r) => setTimeout(r, SYMBOL_SEARCH_PAUSE_MS));
        if (m.seq !== this.fileQuery) return;
        const all = await this.files.withSymbols(m.query, files);
        if (m.seq === this.fileQuery && all.some((f) => f.symbol)) this.post({ type: "fileMatches", seq: m.seq, files: all });
        return;
      }
      case "addFileByUri":
        // (as if dropped from the Explorer: text files become chips, images and recordings attachments; only a
        // file the menu offers, so ignored files stay out whatever the view sends)
        if (typeof m.uri === "string" && (await this.files.offers(m.uri))) await this.dropUris([m.uri]);
        return;
      case "addSymbol":
        if (typeof m.uri === "string" && Number.isInteger(m.line) && (await this.files.offers(m.uri))) {
          await this.addSymbol(vscode.Uri.parse(m.uri, true), m.line, typeof m.name === "string" ? m.name : undefined);
        }
        return;
      case "command":
        if ((VIEW_COMMANDS as readonly string[]).includes(m.command)) await vscode.commands.executeCommand(m.command);
        return;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Conversation

  private async send(text: unknown, attachments: unknown, context: unknown, workspaceToggle = false, replaces?: string): Promise<void> {
    const atts = validAttachments(attachments);
    if (typeof atts === "string") {
      this.notice("error", atts);
      return;
    }
    const chips = Array.isArray(context) ? context.filter(isChip) : this.chips;
    await this.ask(typeof text === "string" ? text.trim() : "", atts, chips, workspaceToggle, this.targetEditor(), true, replaces);
  }

  /**
   * Edit on an earlier user turn: its message goes back into the composer as it was sent (with its command
   * and `@workspace`), its attachments and its context chips too; sending it replaces that turn and the
   * conversation after it (`send` with `replaces`).
   */
  private editTurn(id: unknown): void {
    const turn = this.store.turns.find((t) => t.id === id && t.role === "user");
    if (!turn) return;
    if (this.busy) {
      this.notice("info", "Hearth is still answering: stop it (Escape) before editing a message.");
      return;
    }
    this.chipsBeforeEdit ??= this.chips;
    this.chips = structuredClone(turn.context ?? []);
    this.post({ type: "context", chips: this.chips });
    const attachments = (turn.attachments ?? []).filter((a) => a.data);
    // (a past chat keeps neither its media nor more than the start of a long chip)
    const dropped = (turn.attachments ?? []).filter((a) => !a.data).map((a) => a.name);
    const cut = (turn.context ?? []).filter(wasCut).map((c) => path.basename(c.path));
    const lost = [
      ...(dropped.length ? [`${dropped.join(", ")} ${dropped.length > 1 ? "were" : "was"} not kept in the history: attach ${dropped.length > 1 ? "them" : "it"} again.`] : []),
      ...(cut.length ? [`Only the start of ${cut.join(", ")} was kept in the history: remove ${cut.length > 1 ? "them" : "it"} and add ${cut.length > 1 ? "them" : "it"} again for all of it.`] : []),
    ];
    if (lost.length) this.notice("info", lost.join(" "));
    const text = `${turn.command ? `/${turn.command} ` : ""}${turn.workspace ? "@workspace " : ""}${turn.text}`;
    this.post({ type: "edit", id: turn.id, text, attachments: structuredClone(attachments) });
  }

  /**
   * Adds the user turn for a message and answers it (a notice says why when nothing is sent). A slash command
   * (./commands) gathers its code (`chips`, else from `editor`) and its instruction first; when it cannot,
   * the draft goes back into the input. `fromComposer`: the pending chips went with the message (cleared).
   */
  private async ask(
    text: string,
    atts: Attachment[],
    chips: ContextChip[],
    workspaceToggle: boolean,
    editor: vscode.TextEditor | undefined,
    fromComposer = false,
    /** An earlier user turn this message replaces, with the turns after it (Edit). */
    replaces?: string,
    /** The file the conversation is about (`ChatTurn.focus`), when it is not the editor's. */
    focusOn = focusedFile(),
  ): Promise<void> {
    // A message not sent goes back into the composer, attachments too (the view cleared them when it sent).
    const giveBack = () => {
      if (!fromComposer) return;
      if (text) this.post({ type: "draft", text, ...(replaces ? { replaces } : {}) });
      if (atts.length) this.post({ type: "attachments", attachments: atts });
    };
    if (this.busy) {
      this.notice(
        "info",
        this.active ? "Hearth is still answering: stop it (Escape) or wait for it to finish." : this.preparing ? "Hearth is still gathering the code for the last command." : "Hearth is opening a past chat: send it again in a moment.",
      );
      giveBack();
      return;
    }
    const parsed = parseChatCommand(text);
    if (parsed?.command.name === "clear") {
      this.newChat();
      return;
    }
    const mention = parseWorkspaceMention(parsed ? parsed.rest : text);
    const body = mention.text;
    const workspace = workspaceToggle || mention.workspace;
    let context = chips;
    let prompt: string | undefined;
    let codeFile: vscode.Uri | undefined;
    if (parsed) {
      this.preparing = true;
      const conversation = this.conversation;
      try {
        const prepared = await prepareCommand(parsed.command.name, body, chips, editor);
        if (conversation !== this.conversation || this.active) {
          // (New Chat or a past chat opened meanwhile: the question belongs to neither; an answer started
          // meanwhile, Explain Screenshot say: it is not cut out from under its stream)
          if (this.active) this.notice("info", "Hearth is still answering: stop it (Escape) or wait for it to finish.");
          giveBack();
          return;
        }
        if ("problem" in prepared) {
          this.notice("info", prepared.problem);
          giveBack();
          return;
        }
        ({ chips: context, prompt, codeFile } = prepared);
      } finally {
        this.preparing = false;
      }
    } else if (!body && !atts.length && !chips.length) {
      if (mention.workspace) this.notice("info", "Ask a question after @workspace.");
      return;
    }
    const focus = focusOn;
    const user: ChatTurn = {
      id: randomUUID(),
      role: "user",
      text: body,
      ...(atts.length ? { attachments: atts } : {}),
      ...(context.length ? { context } : {}),
      ...(workspace ? { workspace: true } : {}),
      ...(parsed ? { command: parsed.command.name } : {}),
      ...(prompt ? { prompt } : {}),
      ...(codeFile ? { codeFile: codeFile.toString() } : {}),
      ...(focus ? { focus } : {}),
      createdAt: Date.now(),
    };
    if (replaces) {
      // (the composer's chips from before the edit are not wanted back once the edit is sent)
      this.chipsBeforeEdit = undefined;
      if (this.store.turns.some((t) => t.id === replaces)) {
        this.store.truncateFrom(replaces);
        this.post({ type: "history", turns: this.store.turns, busy: false });
      }
    }
    this.store.add(user);
    this.post({ type: "turn", turn: user });
    if (fromComposer) {
      this.chips = [];
      this.post({ type: "context", chips: [] });
    }
    await this.answerChat();
  }

  /**
   * Answers the transcript's last user turn through `hearth/chat`, with the workspace when that turn asked
   * for it (images and audio included: the host puts them after the workspace).
   */
  private answerChat(continued?: ChatTurn): Promise<void> {
    const turns = this.store.turns;
    const lastUser = [...turns].reverse().find((t) => t.role === "user");
    const workspace = lastUser?.workspace === true;
    const system = workspace ? { systemPrompt: `${SYSTEM_PROMPT} ${WORKSPACE_NOTE}` } : {};
    // (a Continue: the conversation up to the answer, which goes last for the model to go on from)
    const messages = continued ? buildPrompt(turns.slice(0, -1), { continuing: continued.text, ...system }) : buildPrompt(turns, system);
    // (the first question's file for the whole conversation: the same standing instructions, a cache hit)
    const focus = turns.find((t) => t.role === "user")?.focus;
    return this.answer((onText, token) => this.backend.chat(messages, onText, token, { workspace, ...(focus ? { focus } : {}) }), continued);
  }

  /** A message is being answered, prepared, or a past chat opened: another has to wait. */
  private get busy(): boolean {
    return !!this.active || this.preparing || this.switching;
  }

  /** Drops the last answer and generates it again. */
  private async retry(): Promise<void> {
    // (not while a message is prepared or a chat opens: its answer would be the one cut out)
    if (this.busy) return;
    const turns = this.store.turns;
    const last = turns[turns.length - 1];
    if (!last) return;
    if (last.role === "assistant") {
      this.store.truncateFrom(last.id);
      this.post({ type: "history", turns: this.store.turns, busy: false });
    }
    if (!this.store.turns.length || this.store.turns[this.store.turns.length - 1].role !== "user") return;
    await this.answerChat();
  }

  /**
   * Continue on the last answer, cut at its length limit: the model goes on from its last character (the
   * conversation is sent ending with that answer), the text streaming onto the same turn.
   */
  private async continueAnswer(id: unknown): Promise<void> {
    const turns = this.store.turns;
    const turn = turns[turns.length - 1];
    if (!turn || turn.id !== id || turn.role !== "assistant" || !turn.cut) return;
    if (this.busy) {
      this.notice("info", "Hearth is still answering: stop it (Escape) or wait for it to finish.");
      return;
    }
    await this.answerChat(turn);
  }

  /**
   * Adds a streaming assistant turn and fills it from `run` (or, with `continued`, streams more onto that
   * answer). Stop takes effect at once in the view (the request's late result, if any, is ignored); the host
   * aborts the engine when it sees the cancellation.
   */
  private async answer(
    run: (onText: (text: string) => void, token: vscode.CancellationToken) => Promise<ChatResult | MediaResult>,
    continued?: ChatTurn,
  ): Promise<void> {
    const turn: ChatTurn = continued ?? { id: randomUUID(), role: "assistant", text: "", status: "streaming", createdAt: Date.now() };
    const before = { text: turn.text, stats: turn.stats, status: turn.status };
    if (continued) {
      turn.status = "streaming";
      delete turn.cut;
      delete turn.stopReason;
    } else {
      this.store.add(turn);
    }
    this.post({ type: "turn", turn });
    void this.store.save();

    const cts = new vscode.CancellationTokenSource();
    let resolveSettled!: () => void;
    const settled = new Promise<void>((r) => (resolveSettled = r));
    this.active = { turn, cts, settled };
    const cancelled = new Promise<"cancelled">((resolve) => cts.token.onCancellationRequested(() => resolve("cancelled")));
    let contextFull = false;

    const onText = (text: string) => {
      if (cts.token.isCancellationRequested || !text) return;
      turn.text += text;
      this.post({ type: "delta", id: turn.id, text });
      this.store.saveSoon();
    };

    try {
      const request = run(onText, cts.token);
      request.catch(() => {}); // a result after Stop is ignored
      const result = await Promise.race([request, cancelled]);
      if (result === "cancelled") {
        turn.status = "stopped";
      } else {
        if (result.text && before.text + result.text !== turn.text) {
          // The streamed pieces and the final text disagree (a lost notification): the final text wins.
          turn.text = before.text + result.text;
          this.post({ type: "turn", turn });
        }
        contextFull = result.stats?.stoppedBy === "context";
        turn.status = result.stats?.stoppedBy === "cancelled" || contextFull ? "stopped" : "done";
        if (result.stats?.stoppedBy === "limit") turn.cut = true;
        if (contextFull) turn.stopReason = "the conversation filled the model's context: start a new chat";
        // (a continued answer counts its tokens and time from its start)
        turn.stats = addStats(before.stats, footerStats(result.stats));
        const instructions = "instructions" in result ? result.instructions : undefined;
        if (instructions?.length) turn.instructions = instructions;
        else delete turn.instructions;
      }
    } catch (err) {
      if (cts.token.isCancellationRequested || isCancellation(err)) {
        turn.status = "stopped";
      } else if (isHostStopped(err)) {
        // Restart Model Host (or a host crash) ended the request: the answer stopped, nothing failed.
        turn.status = "stopped";
        turn.stopReason = "the model host was restarted";
        this.log("chat: the answer stopped: the model host was restarted");
      } else if (continued) {
        // (the answer so far stays as it was, and can still be continued: the error goes beside it)
        turn.status = before.status;
        const sentence = errorSentence(err);
        this.notice("error", `Could not continue the answer: ${sentence}`);
        this.log(`chat: could not continue the answer: ${sentence}`);
      } else {
        turn.status = "error";
        turn.error = errorSentence(err);
        if (BAD_INPUT_CODES.has(errorCode(err) ?? "")) turn.noRetry = true;
        this.log(`chat: ${turn.error}`);
      }
    } finally {
      // An answer stopped part-way (Stop, a restart, a failed Continue) can go on from where it stopped; one
      // that filled the context cannot.
      if (turn.status === "stopped" && turn.text.trim() && !contextFull) turn.cut = true;
      if (this.active?.turn === turn) this.active = undefined;
      cts.dispose();
      this.post({
        type: "done",
        id: turn.id,
        status: turn.status,
        error: turn.error,
        stats: turn.stats,
        ...(turn.stopReason ? { stopReason: turn.stopReason } : {}),
        ...(turn.noRetry ? { noRetry: true } : {}),
        ...(turn.cut ? { cut: true } : {}),
        ...(turn.instructions ? { instructions: turn.instructions } : {}),
      });
      await this.store.save();
      resolveSettled();
    }
  }

  private async stopAndWait(): Promise<void> {
    const active = this.active;
    if (!active) return;
    active.cts.cancel();
    await active.settled;
  }

  // -------------------------------------------------------------------------------------------------
  // Context from the editor

  private trackEditor(editor: vscode.TextEditor | undefined): void {
    if (editor && !NON_CODE_SCHEMES.has(editor.document.uri.scheme)) this.lastEditor = editor;
  }

  /** The editor the user was last working in (the chat view has focus while they click its buttons). */
  private targetEditor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active && !NON_CODE_SCHEMES.has(active.document.uri.scheme)) return active;
    const last = this.lastEditor;
    if (last && !last.document.isClosed) return last;
    return undefined;
  }

  private async addFromEditor(kind: "selection" | "file"): Promise<void> {
    const editor = this.targetEditor();
    if (!editor) {
      this.notice("info", kind === "selection" ? "Select some code in an editor first." : "Open a file in the editor first, or type # in the message to pick one.");
      return;
    }
    const doc = editor.document;
    const reason = secretFileReason(doc.uri.path);
    if (reason) {
      this.notice("error", reason);
      return;
    }
    if (kind === "selection") {
      const chip = selectionChip(editor);
      if (typeof chip === "string") this.notice(editor.selection.isEmpty ? "info" : "error", chip);
      else this.addContext(chip);
    } else {
      await this.addTextFile(notebookAsFile(doc) ?? doc);
    }
  }

  /** Files dropped from the Explorer: images/audio become attachments, text files context chips. */
  private async dropUris(uris: string[]): Promise<void> {
    const attachments: Attachment[] = [];
    for (const u of uris.slice(0, MAX_ATTACHMENTS)) {
      let uri: vscode.Uri;
      try {
        uri = vscode.Uri.parse(u, true);
      } catch {
        continue;
      }
      const name = path.basename(uri.path);
      try {
        const stat = await vscode.workspace.fs.stat(uri);
        if (stat.type & vscode.FileType.Directory) {
          this.notice("info", `${name} is a folder: drop files.`);
          continue;
        }
        const reason = secretFileReason(uri.path);
        if (reason) {
          this.notice("error", reason);
          continue;
        }
        if (uri.path.endsWith(".ipynb")) {
          // (its cells as a script, as + File adds it, not the JSON with its outputs)
          await this.addTextFile(notebookFile(await vscode.workspace.openNotebookDocument(uri)));
          continue;
        }
        const bytes = stat.size <= MAX_ATTACHMENT_BYTES ? await vscode.workspace.fs.readFile(uri) : undefined;
        const head = bytes ? bytes.subarray(0, SNIFF_BYTES) : await readHead(uri);
        const check = checkAttachment(name, stat.size, "", head);
        if (check.ok && bytes) {
          attachments.push({ kind: check.kind, name, mimeType: check.mimeType, data: Buffer.from(bytes).toString("base64") });
        } else if (!check.ok && (sniffMedia(head) || head.includes(0))) {
          this.notice("error", check.message); // media too large, or a binary file
        } else if (!bytes || stat.size > MAX_CHIP_CHARS * 4) {
          this.notice("error", `${name} is more than fits in a message (${MAX_CHIP_CHARS / 1000}K characters): open it and add a selection.`);
        } else {
          await this.addTextFile(await vscode.workspace.openTextDocument(uri));
        }
      } catch (err) {
        this.notice("error", `Cannot read ${name}: ${describe(err)}`);
      }
    }
    if (attachments.length) this.post({ type: "attachments", attachments });
  }

  /** A symbol picked in the `#` menu: its code with its doc comment (found by its name near its line). */
  private async addSymbol(uri: vscode.Uri, line: number, name = "the symbol"): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const chip = await symbolChip(doc, line - 1, name);
    if (chip) this.addContext(chip);
    else this.notice("info", `Could not take ${name}'s code from ${path.basename(uri.path)} (the language gave no range for it, or it is more than fits in a message): select it and use + Selection.`);
  }

  private async addTextFile(doc: Pick<vscode.TextDocument, "uri" | "isUntitled" | "languageId" | "getText">): Promise<void> {
    const name = path.basename(doc.uri.path);
    const text = doc.getText();
    if (text.length > MAX_CHIP_CHARS) {
      this.notice(
        "error",
        `${name} is ${Math.round(text.length / 1000)}K characters, more than fits in a message (${MAX_CHIP_CHARS / 1000}K): select the part you need and use + Selection.`,
      );
      return;
    }
    if (!text.trim()) {
      this.notice("info", `${name} is empty.`);
      return;
    }
    this.addContext({ kind: "file", path: chipPath(doc), languageId: doc.languageId, text });
  }

  // -------------------------------------------------------------------------------------------------
  // Code block actions

  /**
   * *Terminal* on a shell block: the command at the prompt of the active terminal (a new one when there is
   * none), focused, for the developer to read and run with Enter; never run by Hearth.
   */
  private typeInTerminal(code: string, language: string | undefined): void {
    const line = terminalCommand(code, language);
    if (!line) {
      this.notice("info", "Nothing in this block is a command to run.");
      return;
    }
    const terminal = vscode.window.activeTerminal ?? vscode.window.createTerminal({ name: "Hearth" });
    terminal.show(false);
    terminal.sendText(line, false);
  }

  private async insertAtCursor(code: string): Promise<void> {
    let editor = this.targetEditor();
    if (!editor) {
      this.notice("info", "Open a file in the editor to insert the code into.");
      return;
    }
    const text = code.replace(/\r?\n$/, "");
    if (!vscode.window.visibleTextEditors.includes(editor)) {
      editor = await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, selection: editor.selection, preserveFocus: false });
    }
    const target = editor;
    const ok = await target.edit((b) => {
      for (const sel of target.selections) b.replace(sel, text);
    });
    if (!ok) {
      this.notice("error", `Could not insert into ${path.basename(target.document.uri.path)} (is it read-only?).`);
      return;
    }
    await vscode.window.showTextDocument(target.document, { viewColumn: target.viewColumn, preserveFocus: false });
  }

  /**
   * Apply: the change the code block makes to the file in the editor, shown as a diff to accept or discard; to
   * the file the question named for its code instead, when that file exists (`/tests`: the file's tests).
   */
  async applyCode(code: string, turnId?: string): Promise<void> {
    const file = await this.codeFileFor(turnId, true);
    const editor = file ? await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file), { preview: false }) : this.targetEditor();
    if (!editor) {
      this.notice("info", "Open the file the code belongs in, then press Apply.");
      return;
    }
    if (!this.changes) return;
    const problem = await this.changes.propose(editor, code);
    if (problem) this.notice("error", problem);
  }

  /**
   * *New file* on a code block: an unsaved editor with the code. When the question named the file the code is
   * meant for (`/tests`: the test file) and that file does not exist yet, the editor is that file, unsaved: Save
   * writes it there.
   */
  private async openInNewFile(code: string, fence: string | undefined, turnId?: string): Promise<void> {
    const target = await this.codeFileFor(turnId, false);
    if (target) {
      const doc = await vscode.workspace.openTextDocument(target.with({ scheme: "untitled" }));
      const editor = await vscode.window.showTextDocument(doc, { preview: false });
      await editor.edit((b) => b.replace(new vscode.Range(0, 0, doc.lineCount, 0), code));
      return;
    }
    const language = languageIdForFence(fence, await vscode.languages.getLanguages());
    const doc = await vscode.workspace.openTextDocument({ language, content: code });
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  /**
   * The local file the answer `turnId`'s question named for its code, when it exists (`existing`: to Apply to)
   * or does not yet (to open as a new file there).
   */
  private async codeFileFor(turnId: string | undefined, existing: boolean): Promise<vscode.Uri | undefined> {
    const turns = this.store.turns;
    const at = turnId ? turns.findIndex((t) => t.id === turnId) : -1;
    const question = at > 0 ? turns.slice(0, at).reverse().find((t) => t.role === "user") : undefined;
    if (!question?.codeFile) return undefined;
    const uri = vscode.Uri.parse(question.codeFile);
    if (uri.scheme !== "file") return undefined;
    const exists = await vscode.workspace.fs.stat(uri).then(
      () => true,
      () => false,
    );
    return exists === existing ? uri : undefined;
  }

  private async openLink(url: string): Promise<void> {
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(url, true);
    } catch {
      return;
    }
    if (uri.scheme !== "http" && uri.scheme !== "https") {
      this.log(`chat: refused to open a ${uri.scheme}: link`);
      return;
    }
    await vscode.env.openExternal(uri);
  }

  /** Opens the standing instructions an answer followed: the file, or the setting for the user's own text. */
  private async openInstructions(turnId: string, index: number): Promise<void> {
    const used = this.store.turns.find((t) => t.id === turnId)?.instructions?.[index];
    if (!used) return;
    if (used.kind === "settings") return void vscode.commands.executeCommand("workbench.action.openSettings", "hearth.instructions");
    try {
      await vscode.window.showTextDocument(vscode.Uri.parse(used.uri, true), { preview: true });
    } catch (err) {
      this.notice("error", `Cannot open ${used.path}: ${(err as Error).message}`);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Webview plumbing

  private post(message: ToView): void {
    // A hidden (not retained) view drops messages; it gets the whole state again on `ready`.
    void this.view?.webview.postMessage(message).then(undefined, () => {});
  }

  private notice(level: "info" | "error", message: string): void {
    if (this.view?.visible) this.post({ type: "notice", level, message });
    else if (level === "error") void vscode.window.showWarningMessage(`Hearth: ${message}`);
    else void vscode.window.showInformationMessage(`Hearth: ${message}`);
  }

  private html(webview: vscode.Webview): string {
    const media = vscode.Uri.joinPath(this.context.extensionUri, "media");
    const script = vscode.Uri.joinPath(media, "chat.js");
    const style = vscode.Uri.joinPath(media, "chat.css");
    const nonce = randomBytes(18).toString("base64");
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data: blob:`,
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
    ].join("; ");
    const built = fs.existsSync(script.fsPath);
    if (!built) this.log(`chat: ${script.fsPath} is missing: run "npm run build"`);
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${webview.asWebviewUri(style)}">
<title>Hearth Chat</title>
</head>
<body>
<div id="root">${built ? "" : '<p class="fatal">The chat view is not built: run <code>npm run build</code> and reload the window.</p>'}</div>
<script nonce="${nonce}" src="${webview.asWebviewUri(script)}"></script>
</body>
</html>`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers

/** The footer's figures for an answer made in two requests (a Continue): tokens and time summed. */
function addStats(a: ChatTurn["stats"], b: ChatTurn["stats"]): ChatTurn["stats"] {
  if (!a || !b) return b ?? a;
  const generatedTokens = a.generatedTokens + b.generatedTokens;
  const decodeSeconds = (a.tokensPerSecond > 0 ? a.generatedTokens / a.tokensPerSecond : 0) + (b.tokensPerSecond > 0 ? b.generatedTokens / b.tokensPerSecond : 0);
  // (the context the last request took holds the first part's answer too)
  const context = b.contextTokens !== undefined ? { contextTokens: b.contextTokens, contextSize: b.contextSize } : {};
  return { generatedTokens, totalMs: a.totalMs + b.totalMs, tokensPerSecond: decodeSeconds > 0 ? generatedTokens / decodeSeconds : b.tokensPerSecond, ...context };
}

function footerStats(stats: GenerationStats | undefined): ChatTurn["stats"] {
  if (!stats) return undefined;
  return {
    tokensPerSecond: stats.tokensPerSecond,
    totalMs: stats.totalMs,
    generatedTokens: stats.generatedTokens,
    ...(stats.contextSize && stats.promptTokens > 0 ? { contextTokens: stats.promptTokens + stats.generatedTokens, contextSize: stats.contextSize } : {}),
  };
}

/** The sentence to show for a failed request: the host's own (`data.hearth.message`), else the error's message. */
function errorSentence(err: unknown): string {
  const data = (err as { data?: HearthErrorData } | undefined)?.data;
  return data?.hearth?.message ?? describe(err);
}

/**
 * The host checks an image sent as data without its name ("the image is not a PNG…", "The attached image
 * …", "the attached image or audio"): put the file's name in the sentence.
 */
function nameTheImage(err: unknown, name: string): unknown {
  const data = (err as { data?: HearthErrorData } | undefined)?.data;
  if (!data?.hearth || !BAD_INPUT_CODES.has(data.hearth.code)) return err;
  const quoted = `“${name}”`;
  let message = data.hearth.message.replace(/^(the image|the attached image(?: or audio)?)\b/i, quoted).replace(/\b(the attached image or audio|the attached image)\b/i, quoted);
  if (!message.includes(name)) message = `${quoted}: ${message}`;
  return Object.assign(new Error(message), { data: { ...data, hearth: { ...data.hearth, message } } });
}

function isCancellation(err: unknown): boolean {
  const e = err as { code?: unknown; data?: HearthErrorData; name?: string } | undefined;
  return e?.data?.hearth?.code === "cancelled" || (typeof e?.code === "number" && CANCELLED_CODES.has(e.code)) || e?.name === "Canceled";
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isChip(v: unknown): v is ContextChip {
  const c = v as ContextChip;
  return (
    typeof c === "object" && c !== null &&
    (c.kind === "selection" || c.kind === "file") &&
    typeof c.path === "string" && typeof c.text === "string" && typeof c.languageId === "string" &&
    (c.range === undefined || (Array.isArray(c.range) && c.range.length === 2 && c.range.every((n) => Number.isInteger(n))))
  );
}

/** Attachments from the webview, checked again here (type from the bytes, size); a string is the refusal. */
function validAttachments(v: unknown): Attachment[] | string {
  if (!Array.isArray(v)) return [];
  if (v.length > MAX_ATTACHMENTS) return `At most ${MAX_ATTACHMENTS} attachments per message.`;
  const out: Attachment[] = [];
  for (const a of v as Partial<Attachment>[]) {
    if (typeof a?.data !== "string" || typeof a.name !== "string") continue;
    const bytes = Buffer.from(a.data.slice(0, 4 * Math.ceil(SNIFF_BYTES / 3) + 4), "base64");
    const size = Math.floor((a.data.length * 3) / 4);
    const check = checkAttachment(a.name, size, typeof a.mimeType === "string" ? a.mimeType : "", bytes);
    if (!check.ok) return check.message;
    out.push({ kind: check.kind, name: a.name, mimeType: check.mimeType, data: a.data });
  }
  return out;
}

/** The first bytes of a file too large to read whole (local files only; elsewhere the size decides). */
async function readHead(uri: vscode.Uri): Promise<Uint8Array> {
  if (uri.scheme !== "file") return new Uint8Array();
  const fh = await fs.promises.open(uri.fsPath, "r");
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * + File in a notebook cell: the whole notebook (cells above and below), as the percent-format script inline
 * completion shows the model, under the notebook's path. Undefined outside a notebook.
 */
function notebookAsFile(cell: vscode.TextDocument): Pick<vscode.TextDocument, "uri" | "isUntitled" | "languageId" | "getText"> | undefined {
  const nb = notebookOfCell(cell);
  return nb && notebookFile(nb, cell.languageId === "markdown" ? "python" : cell.languageId);
}

/** A notebook as one file: its cells in percent format, without outputs (the workspace context's form). */
function notebookFile(nb: vscode.NotebookDocument, fallbackLanguage = "python"): Pick<vscode.TextDocument, "uri" | "isUntitled" | "languageId" | "getText"> {
  const cells = cellTexts(nb);
  const languageId = notebookLanguage(cells, fallbackLanguage);
  const text = notebookScript(cells, languageId);
  return { uri: nb.uri, isUntitled: nb.isUntitled, languageId, getText: () => text };
}

/** The file in the editor (a notebook cell's: its notebook), as a URI string; undefined for none or an unsaved one. */
function focusedFile(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  const uri = doc && (notebookOfCell(doc)?.uri ?? doc.uri);
  return uri?.scheme === "file" ? uri.toString() : undefined;
}
