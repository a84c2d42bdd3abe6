/**
 * **Apply** on a chat code block: the change it makes to the editor's file (placed by applyPlan.ts) opens as a
 * diff, file ↔ proposed, with Apply / Discard in the diff's title bar and in a notification. Nothing is
 * written until the user applies it, and then as one edit that Undo takes back. If the file changed
 * meanwhile, the proposal is dropped rather than written over the new text.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { Commands } from "../ids";
import { planApply } from "./applyPlan";

/** The scheme of the proposed side of the diff (read-only documents served from memory). */
export const PROPOSED_SCHEME = "hearth-proposed";

interface Proposal {
  target: vscode.Uri;
  /** the target's version the change was made against */
  version: number;
  range: vscode.Range;
  newText: string;
  /** the whole file with the change, the diff's right side */
  proposed: string;
  /** "orders.ts, lines 12–20" */
  label: string;
}

export class ProposedChanges implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly proposals = new Map<string, Proposal>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private next = 1;

  constructor(private readonly log: (message: string) => void) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, this),
      vscode.commands.registerCommand(Commands.applyProposedChange, (uri?: vscode.Uri) => this.accept(uri)),
      vscode.commands.registerCommand(Commands.discardProposedChange, (uri?: vscode.Uri) => this.discard(uri)),
      this.changed,
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.proposals.get(uri.toString())?.proposed ?? "";
  }

  /**
   * Shows what `code` changes in `editor`'s file. Returns the sentence to show when it cannot be placed
   * (undefined when the diff is open).
   */
  async propose(editor: vscode.TextEditor, code: string): Promise<string | undefined> {
    const doc = editor.document;
    const sel = editor.selection;
    // A selection counts by whole lines (a selection that ends at a line start leaves that line out).
    const selection = sel.isEmpty ? undefined : { startLine: sel.start.line, endLine: sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line : sel.end.line + 1 };
    const plan = planApply(code, { text: doc.getText(), selection, cursorLine: sel.active.line });
    if (plan.kind === "refuse") return plan.reason;

    const eol = doc.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n";
    // Whole lines [startLine, endLine): up to the next line's start, or to the end of a last line without one.
    const toEnd = plan.endLine >= doc.lineCount;
    const range = new vscode.Range(plan.startLine, 0, toEnd ? doc.lineCount - 1 : plan.endLine, toEnd ? doc.lineAt(doc.lineCount - 1).text.length : 0);
    const newText = plan.text.replace(/\n/g, eol) + (toEnd ? "" : eol);
    const text = doc.getText();
    const proposed = text.slice(0, doc.offsetAt(range.start)) + newText + text.slice(doc.offsetAt(range.end));
    const name = path.basename(doc.uri.path) || "untitled";
    const label = plan.how === "whole-file" ? `${name}, the whole file` : `${name}, ${lineSpan(plan.startLine, plan.endLine)}`;
    const uri = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${this.next++}/${name}` });
    this.proposals.set(uri.toString(), { target: doc.uri, version: doc.version, range, newText, proposed, label });
    await vscode.commands.executeCommand("vscode.diff", doc.uri, uri, `${name} \u2194 Hearth's change`, { preview: false } satisfies vscode.TextDocumentShowOptions);
    void vscode.window.showInformationMessage(`Apply Hearth's change to ${label}?`, "Apply", "Discard").then((choice) => {
      if (choice === "Apply") void this.accept(uri);
      else if (choice === "Discard") void this.discard(uri);
    });
    return undefined;
  }

  /** Writes the proposal (the given one, else the active diff's, else the latest) as one undoable edit. */
  async accept(uri?: vscode.Uri): Promise<boolean> {
    const key = this.keyFor(uri);
    const p = key && this.proposals.get(key);
    if (!key || !p) {
      void vscode.window.showInformationMessage("There is no change from Hearth's chat to apply.");
      return false;
    }
    this.proposals.delete(key);
    const doc = await vscode.workspace.openTextDocument(p.target);
    if (doc.version !== p.version) {
      await this.closeDiff(key);
      void vscode.window.showWarningMessage(`${path.basename(p.target.path)} changed after the change was proposed, so it was not applied. Press Apply in the chat again.`);
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(p.target, p.range, p.newText);
    const ok = await vscode.workspace.applyEdit(edit);
    await this.closeDiff(key);
    if (!ok) {
      void vscode.window.showErrorMessage(`Could not change ${path.basename(p.target.path)} (is it read-only?).`);
      return false;
    }
    this.log(`chat: applied a code block to ${p.label}`);
    const end = doc.positionAt(doc.offsetAt(p.range.start) + p.newText.length);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(p.range.start, end), preview: false });
    return true;
  }

  async discard(uri?: vscode.Uri): Promise<void> {
    const key = this.keyFor(uri);
    if (!key || !this.proposals.delete(key)) return;
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

function lineSpan(start: number, end: number): string {
  return end - start <= 1 ? `line ${start + 1}` : `lines ${start + 1}\u2013${end}`;
}
