/**
 * **Fix with Hearth**: a quick fix (the light bulb, Ctrl+.) on errors and warnings from any language server or
 * linter. It runs Edit Selection on the problem's lines with the problem as the instruction, so the fix comes
 * back as a diff to apply or discard like any edit.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { isSecretPath } from "../../server/secrets";
import { isProblem } from "../chat/commandInput";
import { Commands } from "../ids";
import type { EditArgs } from "./editSelection";

/** At most this many problems go into one instruction (the light bulb can cover a whole selection). */
const MAX_PROBLEMS = 5;

export class FixWithHearth implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (isSecretPath(doc.uri.path)) return [];
    if (context.only && !context.only.contains(vscode.CodeActionKind.QuickFix)) return [];
    const picked = context.diagnostics.filter(isProblem);
    if (!picked.length) return [];
    const problems = withSameLineProblems(picked, vscode.languages.getDiagnostics(doc.uri));
    const args = fixArgs(doc, problems);
    const action = new vscode.CodeAction(problems.length === 1 ? "Fix with Hearth" : `Fix ${problems.length} problems with Hearth`, vscode.CodeActionKind.QuickFix);
    action.diagnostics = problems;
    action.command = { command: Commands.editSelection, title: action.title, arguments: [args] };
    return [action];
  }
}


/**
 * The problems under the cursor and the file's other problems within their lines (the light bulb is
 * given only those under the cursor, but a fix of the line should not leave the line's other error, nor
 * rewrite it without knowing), in the order they come in the file: at most MAX_PROBLEMS, those under the cursor
 * kept first, then errors before warnings.
 */
export function withSameLineProblems(picked: readonly vscode.Diagnostic[], all: readonly vscode.Diagnostic[]): vscode.Diagnostic[] {
  const first = Math.min(...picked.map((d) => d.range.start.line));
  const last = Math.max(...picked.map((d) => d.range.end.line));
  const key = (d: vscode.Diagnostic) => `${d.range.start.line}:${d.range.start.character}:${d.source ?? ""}:${d.message}`;
  const seen = new Set(picked.map(key));
  // (within those lines: a problem that covers a whole function from its first line would make the fix a rewrite of it)
  const more = all.filter((d) => isProblem(d) && d.range.start.line >= first && d.range.end.line <= last && !seen.has(key(d)) && seen.add(key(d)));
  more.sort((a, b) => a.severity - b.severity || a.range.start.line - b.range.start.line);
  return [...picked, ...more].slice(0, MAX_PROBLEMS).sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

/** The problems' lines (whole lines, all of them) and an instruction that quotes each problem. */
export function fixArgs(doc: vscode.TextDocument, problems: readonly vscode.Diagnostic[]): EditArgs {
  const startLine = Math.min(...problems.map((d) => d.range.start.line));
  // A range that ends at a line's start does not take that line.
  const endLine = Math.max(...problems.map((d) => (d.range.end.character === 0 && d.range.end.line > d.range.start.line ? d.range.end.line : d.range.end.line + 1)));
  const name = path.basename(doc.uri.path) || "untitled";
  const quoted = problems.map((d) => `- line ${d.range.start.line + 1}${d.source ? ` (${d.source}${d.code !== undefined ? ` ${codeOf(d.code)}` : ""})` : ""}: ${d.message.replace(/\s+/g, " ").trim()}`);
  const instruction = [`Fix ${problems.length === 1 ? "this problem" : "these problems"} reported in ${name}, changing only what the fix needs:`, ...quoted].join("\n");
  return { uri: doc.uri.toString(), startLine, endLine: Math.min(endLine, doc.lineCount), instruction };
}

function codeOf(code: NonNullable<vscode.Diagnostic["code"]>): string {
  return typeof code === "object" ? String(code.value) : String(code);
}
