/**
 * **Edit Selection…**: the user selects lines (or puts the cursor on an empty line), says what to do, and the
 * host's model rewrites them (`hearth/editCode`: the prompt and the reading of the answer are the host's). The
 * result opens as a diff with Apply / Discard (proposedChange.ts), like Apply on a chat code block: nothing
 * is written until the user applies it.
 *
 * Which lines: a selection's whole lines; without one, the cursor's line, or on an empty line the place for
 * new code (the empty line is replaced by it).
 *
 * The command takes an optional `{ "instruction": "…" }` argument (a keybinding's `args`: one key for "add a
 * docstring"); without it, it asks in an input box. Fix with Hearth (fixCodeAction.ts) passes the document
 * and the lines too.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { EditCodeParams, EditCodeResult, StreamChunk } from "../../server/protocol";
import { selectionTooLarge } from "../../server/edit/limits";
import { leavesCodeOut, type ApplyEdit } from "../chat/applyPlan";
import { isSecretPath } from "../../server/secrets";
import { selectedLines, type ProposedChanges } from "../chat/proposedChange";
import { rebaseSpans, type LineSpan } from "../chat/rebase";
import { errorCode, errorMessage } from "../hostErrors";
import { isHostStopped } from "../hostStopped";
import { NOTEBOOK_CELL_SCHEME } from "../hostClient";

export interface EditBackend {
  editCode(params: Omit<EditCodeParams, "partialResultToken">, onChunk: (chunk: StreamChunk) => void, token: vscode.CancellationToken): Promise<EditCodeResult>;
}

/** The documents the host has (the language client syncs these schemes). */
const EDITABLE_SCHEMES = new Set(["file", "untitled", NOTEBOOK_CELL_SCHEME]);

const SOURCE = { title: "Hearth's edit", again: "Run Edit Selection again." };

/** The lines an edit covers: [startLine, endLine) of the document; `insert`: new code for an empty line. */
export interface EditTarget {
  startLine: number;
  endLine: number;
  insert: boolean;
}

export function editTarget(selection: vscode.Selection, lineText: (line: number) => string): EditTarget {
  const lines = selectedLines(selection);
  if (lines) return { ...lines, insert: false };
  const line = selection.active.line;
  return lineText(line).trim() ? { startLine: line, endLine: line + 1, insert: false } : { startLine: line, endLine: line, insert: true };
}

/**
 * What the command did: the diff it opened (its proposed side, and the file's text as proposed: the diff's
 * document may still show a version streamed before it), or the sentence it showed instead.
 */
export type EditOutcome = { proposed: vscode.Uri; text: string } | { problem: string } | undefined;

/** The command's argument: all optional (the active editor's selection, an input box). */
export interface EditArgs {
  instruction?: string;
  /** the document (default: the active editor's) */
  uri?: string;
  /** zero-based whole lines, end exclusive (default: from the selection); equal: new code there */
  startLine?: number;
  endLine?: number;
}

/** The command's argument as given (a keybinding's JSON, another extension): the fields of the right type. */
export function editArgs(value: unknown): EditArgs {
  const v = (value ?? {}) as Record<string, unknown>;
  const line = (n: unknown) => (typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : undefined);
  const [startLine, endLine] = [line(v.startLine), line(v.endLine)];
  const lines = startLine !== undefined && endLine !== undefined && endLine >= startLine ? { startLine, endLine } : {};
  return {
    ...(typeof v.instruction === "string" ? { instruction: v.instruction } : {}),
    ...(typeof v.uri === "string" ? { uri: v.uri } : {}),
    ...lines,
  };
}

export async function editSelection(host: EditBackend, changes: ProposedChanges, log: (message: string) => void, args: EditArgs = {}): Promise<EditOutcome> {
  const active = vscode.window.activeTextEditor;
  const doc = args.uri ? (vscode.workspace.textDocuments.find((d) => d.uri.toString() === args.uri) ?? (await vscode.workspace.openTextDocument(vscode.Uri.parse(args.uri)))) : active?.document;
  if (!doc || !EDITABLE_SCHEMES.has(doc.uri.scheme)) {
    return tell("info", "open a file and select the code to change (or put the cursor on an empty line to write new code).");
  }
  const name = path.basename(doc.uri.path) || "untitled";
  // (the host refuses it too: this says so before asking for an instruction)
  if (isSecretPath(doc.uri.path)) {
    return tell("warning", `${name} looks like a secrets file (keys, credentials or environment variables): Hearth keeps it out of every prompt, so it cannot edit it.`);
  }
  const readOnly = await changes.readOnly(doc, SOURCE);
  if (readOnly) return tell("warning", readOnly);
  const target: EditTarget | undefined =
    args.startLine !== undefined && args.endLine !== undefined
      ? { startLine: args.startLine, endLine: Math.min(args.endLine, doc.lineCount), insert: args.startLine === args.endLine }
      : active?.document === doc
        ? editTarget(active.selection, (l) => doc.lineAt(l).text)
        : undefined;
  if (!target || target.startLine > target.endLine || target.startLine >= doc.lineCount) return tell("info", "select the lines to change.");
  // (the host refuses more too, but only after the instruction has been typed)
  const tooLarge = selectionTooLarge(doc.getText(new vscode.Range(target.startLine, 0, Math.min(target.endLine, doc.lineCount), 0)).length);
  if (tooLarge) return tell("warning", tooLarge);
  const where = target.insert ? `line ${target.startLine + 1}` : target.endLine - target.startLine === 1 ? `line ${target.startLine + 1}` : `lines ${target.startLine + 1}\u2013${target.endLine}`;
  const instruction = args.instruction ?? await vscode.window.showInputBox({
    title: target.insert ? `Hearth: Write Code at ${name}, ${where}` : `Hearth: Edit ${name}, ${where}`,
    prompt: target.insert ? "What should the new code do?" : "What should change?",
    placeHolder: target.insert ? "e.g. a function that parses an ISO date" : "e.g. add error handling; use async/await; add a docstring",
    ignoreFocusOut: true,
  });
  if (!instruction?.trim()) return undefined;

  // New code takes an empty line's place; before a line with text, it goes in above it.
  const blank = target.insert && target.startLine < doc.lineCount && !doc.lineAt(target.startLine).text.trim();
  // Where the code goes, followed while the file changes elsewhere (typing, a formatter); a change there stops it.
  const stop = new vscode.CancellationTokenSource();
  const place = new Placement(doc, { startLine: target.startLine, endLine: blank ? target.startLine + 1 : target.endLine }, () => stop.cancel());
  const editFor = (code: string): ApplyEdit => ({ ...place.span, text: code });
  const params = { textDocument: { uri: doc.uri.toString() }, startLine: target.startLine, endLine: target.endLine, instruction: instruction.trim() };
  const title = `Hearth: ${target.insert ? "writing code for" : "editing"} ${name}, ${where}`;
  let run: Awaited<ReturnType<typeof requestEdit>>;
  try {
    run = await requestEdit(host, changes, params, title, stop.token, (code) => (place.touched ? undefined : { doc, edits: [editFor(code)] }));
  } finally {
    place.dispose();
    stop.dispose();
  }
  const { outcome, preview: previewed } = run;
  if (place.touched) {
    const problem = `${name} changed where the edit goes while it was being written, so it was dropped. ${SOURCE.again}`;
    // (a diff already open was dropped by ProposedChanges, which said so)
    return previewed ? { problem } : tell("warning", problem);
  }
  // (discarded from the diff while it was being written)
  if (previewed && changes.proposedText(previewed) === undefined) return undefined;
  if (previewed && (!outcome || !("result" in outcome))) await changes.abandon(previewed);
  if (!outcome) return undefined;
  if ("stopped" in outcome) return tell("info", `the edit stopped: the model host was restarted. ${SOURCE.again}`);
  if ("error" in outcome) {
    const problem = errorMessage(outcome.error);
    void vscode.window.showErrorMessage(`Hearth: ${problem}`, "Show Logs").then((a) => a && vscode.commands.executeCommand("hearth.showLogs"));
    return { problem };
  }
  const { code, text, stats } = outcome.result;
  log(`edit: ${name} ${where}: ${stats.generatedTokens} tokens in ${Math.round(stats.totalMs)} ms${outcome.result.workspace ? " (with the workspace)" : ""}`);
  const problem = proposalProblem(doc, place.span, target.insert, code, text);
  if (problem) {
    if (previewed) await changes.abandon(previewed);
    return tell("warning", problem);
  }
  if (previewed) {
    changes.finish(previewed, [code]);
    return { proposed: previewed, text: changes.proposedText(previewed) ?? "" };
  }
  const shown = await changes.show(doc, [editFor(code)], false, SOURCE);
  return "problem" in shown ? tell("warning", shown.problem) : { ...shown, text: changes.proposedText(shown.proposed) ?? "" };
}

/**
 * Runs the request under a cancellable progress notification. The diff opens with the first code and follows
 * the answer as it is written (a 12B on a laptop CPU writes a function in a minute or two); Apply waits until
 * it is complete. Cancel, Discard on the diff meanwhile, or `stopped` stops the request. `planned` says where
 * code goes (undefined once it cannot).
 */
async function requestEdit(
  host: EditBackend,
  changes: ProposedChanges,
  params: Omit<EditCodeParams, "partialResultToken">,
  title: string,
  stopped: vscode.CancellationToken,
  planned: (code: string) => { doc: vscode.TextDocument; edits: ApplyEdit[] } | undefined,
): Promise<{ outcome: { result: EditCodeResult } | { error: unknown } | { stopped: true } | undefined; preview: vscode.Uri | undefined }> {
  let preview: Promise<vscode.Uri | undefined> | undefined;
  const showSoFar = (code: string) => {
    const p = planned(code);
    if (!p) return;
    if (!preview) preview = changes.show(p.doc, p.edits, false, SOURCE, { streaming: true }).then((r) => ("proposed" in r ? r.proposed : undefined));
    else void preview.then((uri) => uri && changes.update(uri, p.edits.map((e) => e.text)));
  };
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, cancelled): Promise<{ result: EditCodeResult } | { error: unknown } | { stopped: true } | undefined> => {
      progress.report({ message: "reading the code…" });
      let chars = 0;
      const stop = new vscode.CancellationTokenSource();
      const subs = [
        cancelled.onCancellationRequested(() => stop.cancel()),
        stopped.onCancellationRequested(() => stop.cancel()),
        changes.onDidDiscard((uri) => void preview?.then((mine) => mine?.toString() === uri.toString() && stop.cancel())),
      ];
      try {
        const onChunk = (chunk: StreamChunk) => {
          chars += chunk.text.length;
          progress.report({ message: `writing… (${chars} characters)` });
          if (chunk.code?.trim()) showSoFar(chunk.code);
        };
        return { result: await host.editCode(params, onChunk, stop.token) };
      } catch (error) {
        if (isHostStopped(error)) return { stopped: true as const };
        if (stop.token.isCancellationRequested || errorCode(error) === "cancelled") return undefined;
        return { error }; // shown once the progress notification is gone
      } finally {
        for (const s of subs) s.dispose();
        stop.dispose();
      }
    },
  );
  return { outcome, preview: await preview };
}

function tell(level: "info" | "warning", problem: string): { problem: string } {
  void (level === "info" ? vscode.window.showInformationMessage : vscode.window.showWarningMessage)(`Hearth: ${problem}`);
  return { problem };
}

/** Why the model's code is not worth a diff, if it is not. */
function proposalProblem(doc: vscode.TextDocument, span: LineSpan, insert: boolean, code: string, answer: string): string | undefined {
  // (an empty code block in an answer is a deletion of the lines; an answer with nothing in it is not)
  if ((insert || !answer.trim()) && !code.trim()) return "The model wrote no code. Say more about what the code should do, and run Edit Selection again.";
  if (leavesCodeOut(code)) return "The edit leaves parts of the code out (\u201c...\u201d), so applying it would delete them. Run Edit Selection again, or select less.";
  const before = Array.from({ length: span.endLine - span.startLine }, (_, i) => doc.lineAt(span.startLine + i).text).join("\n");
  if (!insert && before === code) return "The model left the lines as they are: say more precisely what should change.";
  return undefined;
}

/** The lines an edit goes to, followed through changes to the document elsewhere; `touched` once one hits them. */
class Placement implements vscode.Disposable {
  touched = false;
  private readonly sub: vscode.Disposable;
  constructor(
    doc: vscode.TextDocument,
    public span: LineSpan,
    onTouched: () => void,
  ) {
    this.sub = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document !== doc || this.touched || !e.contentChanges.length) return;
      const moved = rebaseSpans([this.span], e.contentChanges);
      if (moved) this.span = moved[0];
      else {
        this.touched = true;
        onTouched();
      }
    });
  }
  dispose(): void {
    this.sub.dispose();
  }
}
