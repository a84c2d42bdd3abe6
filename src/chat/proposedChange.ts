/**
 * A change Hearth proposes to a file opens as a diff, file ↔ proposed, with Apply / Discard in the diff's
 * title bar and in a notification: **Apply** on a chat code block (placed by applyPlan.ts) and **Edit
 * Selection…** (the lines it rewrote). Nothing is written until the user applies it, and then as one edit that
 * Undo takes back. If the file changes meanwhile, the proposal moves with its lines (rebase.ts), or is dropped
 * when the change touches them, rather than written over the new text.
 */
import { promises as fsp, constants as fsConstants } from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { Commands } from "../ids";
import { planApply, type ApplyEdit } from "./applyPlan";
import { rebaseSpans } from "./rebase";

/** The scheme of the proposed side of the diff (read-only documents served from memory). */
export const PROPOSED_SCHEME = "hearth-proposed";

interface Proposal {
  target: vscode.Uri;
  /** the target's version the change was made against (moved along by changes that leave its lines alone) */
  version: number;
  /** the change as whole lines of the target, kept right while the file changes elsewhere (rebase.ts) */
  planned: ApplyEdit[];
  /** in document order, not overlapping */
  edits: { range: vscode.Range; newText: string }[];
  /** the whole file with the change, the diff's right side */
  proposed: string;
  /** where the new text is in `proposed` (offsets): selected once applied */
  spans: [number, number][];
  /** "orders.ts, lines 12–20" */
  label: string;
  /** How to get it again when the file changed before it was applied ("Press Apply in the chat again."). */
  again: string;
  /** Still being written (Edit Selection streams into its diff): Apply waits for it. */
  streaming?: boolean;
  title: string;
}

/** Where a proposal came from: it names the diff and says how to ask again. */
export interface ProposalSource {
  /** "Hearth's change", "Hearth's edit: add error handling" */
  title: string;
  again: string;
}

const CHAT_APPLY: ProposalSource = { title: "Hearth's change", again: "Press Apply in the chat again." };

export class ProposedChanges implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly proposals = new Map<string, Proposal>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly discarded = new vscode.EventEmitter<vscode.Uri>();
  /** A proposal was discarded (one being written: its request can stop). */
  readonly onDidDiscard = this.discarded.event;
  private readonly disposables: vscode.Disposable[] = [];
  private next = 1;

  constructor(private readonly log: (message: string) => void) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, this),
      vscode.commands.registerCommand(Commands.applyProposedChange, (uri?: vscode.Uri) => this.accept(uri)),
      vscode.commands.registerCommand(Commands.discardProposedChange, (uri?: vscode.Uri) => this.discard(uri)),
      this.changed,
      this.discarded,
      vscode.workspace.onDidChangeTextDocument((e) => this.targetChanged(e)),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.proposedText(uri) ?? "";
  }

  /** Why `doc` cannot be changed (a read-only file or file system), if it cannot: ask before any model runs. */
  readOnly(doc: vscode.TextDocument, source: ProposalSource): Promise<string | undefined> {
    return readOnlyReason(describeTarget(doc).file, source);
  }

  /** The file's text as a proposal would make it (undefined once it is applied or discarded). */
  proposedText(uri: vscode.Uri): string | undefined {
    return this.proposals.get(uri.toString())?.proposed;
  }

  /**
   * Shows what `code` changes in `editor`'s file. Returns the sentence to show when it cannot be placed
   * (undefined when the diff is open).
   */
  async propose(editor: vscode.TextEditor, code: string): Promise<string | undefined> {
    const doc = editor.document;
    const sel = editor.selection;
    const plan = planApply(code, { text: doc.getText(), selection: selectedLines(sel), cursorLine: sel.active.line });
    if (plan.kind === "refuse") return plan.reason;
    const shown = await this.show(doc, plan.edits, plan.how === "whole-file", CHAT_APPLY);
    return "problem" in shown ? shown.problem : undefined;
  }

  /**
   * Shows `edits` (whole lines of `doc`, as applyPlan.ts describes them) as a proposal: the diff's proposed
   * side, or the sentence to show when it cannot be.
   */
  async show(
    doc: vscode.TextDocument,
    planned: readonly ApplyEdit[],
    wholeFile: boolean,
    source: ProposalSource,
    opts: { streaming?: boolean } = {},
  ): Promise<{ proposed: vscode.Uri } | { problem: string }> {
    const where = describeTarget(doc);
    const readOnly = await readOnlyReason(where.file, source);
    if (readOnly) return { problem: readOnly };
    const label = wholeFile ? `${where.name}, ${where.cell ? "the whole cell" : "the whole file"}` : `${where.name}, ${lineSpans(planned)}`;
    const uri = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${this.next++}/${path.basename(doc.uri.path) || "untitled"}` });
    this.proposals.set(uri.toString(), {
      target: doc.uri,
      version: doc.version,
      planned: planned.map((e) => ({ ...e })),
      ...compose(doc, planned),
      label,
      again: source.again,
      title: source.title,
      streaming: opts.streaming,
    });
    // The proposed side reads as the file's language (its name alone may say otherwise: a notebook cell's
    // is the notebook's, `.ipynb`, which would be checked as JSON).
    const right = await vscode.workspace.openTextDocument(uri);
    if (right.languageId !== doc.languageId) await vscode.languages.setTextDocumentLanguage(right, doc.languageId).then(undefined, () => undefined);
    await this.streamingChanged();
    // (the label has the lines: two proposals for one file get two tab titles)
    await vscode.commands.executeCommand("vscode.diff", doc.uri, uri, `${label} \u2194 ${source.title}`, { preview: false } satisfies vscode.TextDocumentShowOptions);
    if (!opts.streaming) this.ask(uri);
    return { proposed: uri };
  }

  /** A proposal being written gets the next version of its edits' texts (same places; the diff follows). */
  update(uri: vscode.Uri, texts: readonly string[]): void {
    const p = this.proposals.get(uri.toString());
    if (!p?.streaming) return;
    p.planned = p.planned.map((e, i) => ({ ...e, text: texts[i] ?? e.text }));
    void this.recompose(uri, p);
  }

  /** A proposal being written is complete: its last texts, and Apply works. */
  finish(uri: vscode.Uri, texts: readonly string[]): void {
    const p = this.proposals.get(uri.toString());
    if (!p) return;
    this.update(uri, texts);
    p.streaming = false;
    void this.streamingChanged();
    this.ask(uri);
  }

  /** The diff's right side again, from the target's text now and the proposal's edits. */
  private async recompose(uri: vscode.Uri, p: Proposal): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === p.target.toString()) ?? (await vscode.workspace.openTextDocument(p.target));
    Object.assign(p, compose(doc, p.planned));
    this.changed.fire(uri);
  }

  /**
   * The target changed: a proposal whose lines the change left alone moves with it (its diff shows the file as
   * it is now, and Apply still works); one whose lines it touched is dropped, its diff closed.
   */
  private targetChanged(e: vscode.TextDocumentChangeEvent): void {
    if (!e.contentChanges.length) return;
    for (const [key, p] of this.proposals) {
      if (p.target.toString() !== e.document.uri.toString()) continue;
      const moved = rebaseSpans(p.planned, e.contentChanges);
      if (moved) {
        p.planned = moved;
        p.version = e.document.version;
        Object.assign(p, compose(e.document, moved));
        this.changed.fire(vscode.Uri.parse(key));
        continue;
      }
      this.proposals.delete(key);
      this.discarded.fire(vscode.Uri.parse(key));
      void this.streamingChanged();
      void this.closeDiff(key);
      void vscode.window.showWarningMessage(`${p.label.split(",")[0]} changed where ${p.title} goes, so it was dropped. ${p.again}`);
    }
  }

  /** A proposal that will not be completed (cancelled, failed, not worth showing): its diff closes. */
  async abandon(uri: vscode.Uri): Promise<void> {
    if (!this.proposals.delete(uri.toString())) return;
    await this.streamingChanged();
    await this.closeDiff(uri.toString());
  }

  /**
   * The diff's Apply title bar button hides while a proposal is being written (`hearth.proposalStreaming`, in
   * package.json's `when`): there is nothing complete to write yet. Discard stays: it stops the writing.
   */
  private streamingChanged(): Thenable<unknown> {
    const streaming = [...this.proposals.values()].some((p) => p.streaming);
    return vscode.commands.executeCommand("setContext", "hearth.proposalStreaming", streaming);
  }

  /** The notification: Apply / Discard beside the diff's title bar buttons. */
  private ask(uri: vscode.Uri): void {
    const p = this.proposals.get(uri.toString());
    if (!p) return;
    void vscode.window.showInformationMessage(`Apply ${p.title} to ${p.label}?`, "Apply", "Discard").then((choice) => {
      // (the notification outlives a proposal applied or discarded from the diff's title bar: then it does nothing)
      if (!this.proposals.has(uri.toString())) return;
      if (choice === "Apply") void this.accept(uri);
      else if (choice === "Discard") void this.discard(uri);
    });
  }

  /** Writes the proposal (the given one, else the active diff's, else the latest) as one undoable edit. */
  async accept(uri?: vscode.Uri): Promise<boolean> {
    const key = this.keyFor(uri);
    const p = key && this.proposals.get(key);
    if (!key || !p) {
      void vscode.window.showInformationMessage("There is no change from Hearth to apply.");
      return false;
    }
    if (p.streaming) {
      void vscode.window.showInformationMessage("Hearth is still writing this change: Apply once it is done (or Cancel it in its notification).");
      return false;
    }
    this.proposals.delete(key);
    const doc = await vscode.workspace.openTextDocument(p.target);
    if (doc.version !== p.version) {
      await this.closeDiff(key);
      void vscode.window.showWarningMessage(`${path.basename(p.target.path)} changed after the change was proposed, so it was not applied. ${p.again}`);
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    for (const e of p.edits) edit.replace(p.target, e.range, e.newText);
    const ok = await vscode.workspace.applyEdit(edit);
    await this.closeDiff(key);
    if (!ok) {
      void vscode.window.showErrorMessage(`Could not change ${path.basename(p.target.path)} (is it read-only?).`);
      return false;
    }
    this.log(`applied Hearth's change to ${p.label}`);
    const shown = await vscode.window.showTextDocument(doc, { preview: false });
    shown.selections = p.spans.map(([a, b]) => new vscode.Selection(doc.positionAt(a), doc.positionAt(b)));
    shown.revealRange(new vscode.Range(doc.positionAt(p.spans[0][0]), doc.positionAt(p.spans[0][1])), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  }

  async discard(uri?: vscode.Uri): Promise<void> {
    const key = this.keyFor(uri);
    if (!key || !this.proposals.delete(key)) return;
    this.discarded.fire(vscode.Uri.parse(key));
    await this.streamingChanged();
    await this.closeDiff(key);
  }

  private keyFor(uri?: vscode.Uri): string | undefined {
    if (uri?.scheme === PROPOSED_SCHEME) return uri.toString();
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === PROPOSED_SCHEME) return active.toString();
    return [...this.proposals.keys()].at(-1);
  }

  private async closeDiff(key: string): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === key);
    if (tabs.length) await vscode.window.tabGroups.close(tabs);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.proposals.clear();
  }
}

/** The document's text with the edits made (the diff's right side), the edits as ranges, and where the new text is. */
function compose(doc: vscode.TextDocument, planned: readonly ApplyEdit[]): Pick<Proposal, "edits" | "proposed" | "spans"> {
  const eol = doc.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n";
  const edits = planned.map((e) => toDocumentEdit(doc, e, eol));
  const text = doc.getText();
  let proposed = "";
  let from = 0;
  const spans: [number, number][] = [];
  for (const e of edits) {
    proposed += text.slice(from, doc.offsetAt(e.range.start));
    // (selected once applied: the new lines, without the line breaks around them)
    const lead = /^[\r\n]*/.exec(e.newText)![0].length;
    const trail = /[\r\n]*$/.exec(e.newText)![0].length;
    spans.push([proposed.length + lead, proposed.length + Math.max(lead, e.newText.length - trail)]);
    proposed += e.newText;
    from = doc.offsetAt(e.range.end);
  }
  proposed += text.slice(from);
  return { edits, proposed, spans };
}

/** A non-empty selection by whole lines (one that ends at a line start leaves that line out). */
export function selectedLines(sel: vscode.Selection): { startLine: number; endLine: number } | undefined {
  if (sel.isEmpty) return undefined;
  return { startLine: sel.start.line, endLine: sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line : sel.end.line + 1 };
}

/** A plan's edit as a range of the document and its text (whole lines, with the document's line ends). */
function toDocumentEdit(doc: vscode.TextDocument, e: ApplyEdit, eol: string): { range: vscode.Range; newText: string } {
  const text = e.text.replace(/\n/g, eol);
  const last = doc.lineCount - 1;
  const endOfDoc = doc.lineAt(last).range.end;
  if (e.startLine === e.endLine) {
    // An insertion before a line, or after the last one.
    if (e.startLine <= last) return { range: new vscode.Range(e.startLine, 0, e.startLine, 0), newText: text + eol };
    return { range: new vscode.Range(endOfDoc, endOfDoc), newText: (doc.lineAt(last).text ? eol : "") + text };
  }
  // Whole lines [startLine, endLine): up to the next line's start, or to the end of a last line without one.
  const toEnd = e.endLine > last;
  // No new text: the lines go, line ends included (the last line's: the one before it).
  if (!e.text) return toEnd && e.startLine > 0 ? { range: new vscode.Range(doc.lineAt(e.startLine - 1).range.end, endOfDoc), newText: "" } : { range: new vscode.Range(e.startLine, 0, toEnd ? last : e.endLine, toEnd ? endOfDoc.character : 0), newText: "" };
  return { range: new vscode.Range(e.startLine, 0, toEnd ? last : e.endLine, toEnd ? endOfDoc.character : 0), newText: text + (toEnd ? "" : eol) };
}

/** "lines 19–23", "line 3 and lines 17–20" (in the file as it is; an insertion is "after line n"). */
function lineSpans(edits: readonly ApplyEdit[]): string {
  const one = (e: ApplyEdit) =>
    e.startLine === e.endLine ? (e.startLine === 0 ? "the top" : `after line ${e.startLine}`) : e.endLine - e.startLine <= 1 ? `line ${e.startLine + 1}` : `lines ${e.startLine + 1}\u2013${e.endLine}`;
  const parts = edits.map(one);
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** How the target is named: the file's name, or for a notebook cell the notebook's and the cell's number. */
function describeTarget(doc: vscode.TextDocument): { name: string; file: vscode.Uri; cell?: number } {
  const notebook = vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document.uri.toString() === doc.uri.toString()));
  if (notebook) {
    const cell = notebook.getCells().findIndex((c) => c.document.uri.toString() === doc.uri.toString()) + 1;
    return { name: `${path.basename(notebook.uri.path)}, cell ${cell}`, file: notebook.uri, cell };
  }
  return { name: path.basename(doc.uri.path) || "untitled", file: doc.uri };
}

/**
 * Why `file` cannot be changed, when VS Code keeps it read-only: a read-only file system, `files.readonlyInclude`
 * (minus `files.readonlyExclude`), or no write permission with `files.readonlyFromPermissions`. An edit through
 * the API would still change its editor, but the change could never be saved: it is refused before the diff.
 */
async function readOnlyReason(file: vscode.Uri, source: ProposalSource): Promise<string | undefined> {
  if (file.scheme === "untitled") return undefined;
  const reason = `${path.basename(file.path)} is read-only, so Hearth cannot change it. Make the file writable, then ${source.again.charAt(0).toLowerCase()}${source.again.slice(1)}`;
  if (vscode.workspace.fs.isWritableFileSystem(file.scheme) === false) return reason;
  const stat = await Promise.resolve(vscode.workspace.fs.stat(file)).catch(() => undefined);
  if (stat?.permissions !== undefined && (stat.permissions & vscode.FilePermission.Readonly) !== 0) return reason;
  const files = vscode.workspace.getConfiguration("files", file);
  // (languages.match evaluates VS Code's globs; it reads only the document's uri and language)
  const probe = { uri: file, languageId: "plaintext" } as vscode.TextDocument;
  const matches = (globs: Record<string, boolean> | undefined) =>
    Object.entries(globs ?? {}).some(
      ([glob, on]) =>
        on &&
        (path.isAbsolute(glob)
          ? vscode.languages.match({ pattern: glob }, probe) > 0
          : (vscode.workspace.workspaceFolders ?? []).some((f) => vscode.languages.match({ pattern: new vscode.RelativePattern(f, glob) }, probe) > 0)),
    );
  if (matches(files.get<Record<string, boolean>>("readonlyInclude")) && !matches(files.get<Record<string, boolean>>("readonlyExclude"))) return reason;
  if (file.scheme === "file" && files.get<boolean>("readonlyFromPermissions")) {
    const writable = await fsp.access(file.fsPath, fsConstants.W_OK).then(() => true, () => false);
    if (!writable) return reason;
  }
  return undefined;
}
