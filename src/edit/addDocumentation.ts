/**
 * **Add Documentation** (the editor's context menu, Hearth submenu): Edit Selection on the selected lines, or
 * on the function, method or class around the cursor, with the language's documentation-comment style as
 * the instruction. The comments come back as a diff to apply or discard like any edit.
 */
import * as vscode from "vscode";
import { symbolAround } from "../chat/commandInput";
import { docInstruction } from "../chat/commandPrompt";
import { commentStart } from "../chat/symbols";
import { selectedLines } from "../chat/proposedChange";
import { Commands } from "../ids";
import type { EditArgs, EditOutcome } from "./editSelection";

/** What Edit Selection did (the diff it opened, or why not); undefined when there was no code to document. */
export async function addDocumentation(editor = vscode.window.activeTextEditor): Promise<EditOutcome> {
  if (!editor) {
    void vscode.window.showInformationMessage("Hearth: open a file and put the cursor in the function to document (or select the code).");
    return undefined;
  }
  const doc = editor.document;
  let lines = selectedLines(editor.selection);
  if (!lines) {
    const symbol = await symbolAround(doc, editor.selection.active.line);
    if (symbol) lines = { startLine: commentStart((n) => doc.lineAt(n).text, symbol.range.start.line), endLine: symbol.range.end.line + 1 };
  }
  if (!lines) {
    void vscode.window.showInformationMessage("Hearth: select the code to document (the cursor is not in a function or class this language reports).");
    return undefined;
  }
  const args: EditArgs = { uri: doc.uri.toString(), ...lines, instruction: docInstruction(doc.languageId) };
  return vscode.commands.executeCommand<EditOutcome>(Commands.editSelection, args);
}
