/// <reference types="mocha" />
// Inline completion as a person meets it: type in a TypeScript file, a suggestion from the model appears
// as ghost text, accepting it (what Tab does: editor.action.inlineSuggest.commit) puts it in the document.
// Tiny random-weight models write noise, so this checks structure: the text before the cursor and the rest
// of the file stay as they were and new text arrives at the cursor.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { editRevenueCell, hearth, note, sleep, SCALE, workspaceUri } from "./helpers";

describe("inline completion", () => {
  it("shows ghost text from the model and accepting it inserts it at the cursor", async () => {
    await hearth();
    const doc = await vscode.workspace.openTextDocument(workspaceUri("src/orders.ts"));
    assert.equal(doc.languageId, "typescript");
    const editor = await vscode.window.showTextDocument(doc, { preview: false });

    // The empty line in the loop body of largestLine().
    const loopLine = doc.getText().split("\n").findIndex((l) => l.includes("for (const line of order.lines)"));
    assert.ok(loopLine >= 0, "fixture src/orders.ts changed: no loop in largestLine()");
    const line = loopLine + 1;
    assert.equal(doc.lineAt(line).text.trim(), "", "fixture: the loop body should be an empty line");
    const tail = doc.getText(new vscode.Range(new vscode.Position(line + 1, 0), doc.lineAt(doc.lineCount - 1).range.end));

    editor.selection = new vscode.Selection(line, doc.lineAt(line).text.length, line, doc.lineAt(line).text.length);
    const accepted = await typeUntilAccepted(editor, ["if (", "line.quantity", " * line.unitPrice", " > ", "(best?.quantity ?? 0)"]);
    assert.ok(accepted.after.startsWith(accepted.beforeCursor), "accepting the suggestion changed text before the cursor");
    assert.ok(accepted.after.endsWith(tail), "accepting the suggestion changed the lines after the cursor's line");
    assert.ok(editor.selection.active.isAfterOrEqual(accepted.cursor), "the cursor did not move past the accepted text");
    note(`typed ${JSON.stringify(accepted.typed)}, accepted ${accepted.after.length - accepted.before.length} chars`);
    await vscode.commands.executeCommand("workbench.action.files.revert");
  });
});

describe("inline completion in a Jupyter notebook", () => {
  it("shows ghost text in a code cell and accepting it changes that cell only", async () => {
    await hearth();
    const { nb, index: cellIndex, cell, editor: cellEditor } = await editRevenueCell();
    // The empty line in the loop of revenue().
    const line = cell.getText().split("\n").findIndex((l) => l.trim() === "");
    assert.ok(line > 0, "fixture: the loop body should be an empty line");
    const others = () => nb.getCells().filter((c) => c.index !== cellIndex).map((c) => c.document.getText());
    const othersBefore = others();
    cellEditor.selection = new vscode.Selection(line, cell.lineAt(line).text.length, line, cell.lineAt(line).text.length);

    const accepted = await typeUntilAccepted(cellEditor, ["total += ", "line[", "\"quantity\"]", " * line[\"unitPrice\"]"]);
    assert.ok(accepted.after.startsWith(accepted.beforeCursor), "accepting the suggestion changed the cell before the cursor");
    assert.deepEqual(others(), othersBefore, "accepting the suggestion changed another cell");
    note(`notebook cell: typed ${JSON.stringify(accepted.typed)}, accepted ${accepted.after.length - accepted.before.length} chars`);
    await vscode.commands.executeCommand("workbench.action.files.revert");
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });
});

/**
 * Types `chunks` like a person (one `type` command each, auto-closing brackets included) and after each asks
 * for a suggestion and accepts whatever ghost text shows (what Tab does); a random-weight model may propose
 * nothing usable at one spot, so it types on and asks again. Fails when no suggestion was ever accepted.
 */
async function typeUntilAccepted(editor: vscode.TextEditor, chunks: string[]) {
  const doc = editor.document;
  let typed = "";
  for (const chunk of chunks) {
    await vscode.commands.executeCommand("type", { text: chunk });
    typed += chunk;
    const cursor = editor.selection.active;
    const before = doc.getText();
    const beforeCursor = doc.getText(new vscode.Range(new vscode.Position(0, 0), cursor));
    await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    // Poll: the document changes only when there was ghost text to accept.
    const deadline = Date.now() + 15_000 * SCALE;
    while (Date.now() < deadline) {
      await sleep(250);
      await vscode.commands.executeCommand("editor.action.inlineSuggest.commit");
      if (doc.getText() !== before) break;
    }
    if (doc.getText() !== before) return { typed, cursor, before, beforeCursor, after: doc.getText() };
  }
  return assert.fail(`no inline suggestion could be accepted after typing ${JSON.stringify(typed)} in ${doc.uri.toString()}`);
}
