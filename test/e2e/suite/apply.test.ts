/// <reference types="mocha" />
// Apply on a chat code block (the webview's button runs the same path as the hearth.applyCodeBlock command):
// the change opens as a diff of the editor's file against the proposed text; Apply Change (the diff's title
// bar) writes it as one edit that Undo takes back; Discard Change leaves the file alone.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { Commands } from "../../../src/ids";
import { editRevenueCell, hearth, note, sleep, SCALE, waitFor, workspaceUri } from "./helpers";

const NEW_TOTAL = `/** The amount the customer pays, rounded to cents, never below zero. */
export function total(order: Order): number {
  const discount = Math.min(order.discountPercent ?? 0, 100);
  return Math.round(subtotal(order) * (100 - discount)) / 100;
}`;

function proposedDiff(): vscode.Tab | undefined {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === "hearth-proposed");
}

/** The document's text set back to `text` and saved (the file as it was, whatever the editor's focus). */
async function restore(doc: vscode.TextDocument, text: string): Promise<void> {
  const all = new vscode.WorkspaceEdit();
  all.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text);
  assert.ok(await vscode.workspace.applyEdit(all));
  assert.ok(await doc.save());
  assert.equal(doc.getText(), text);
}

describe("Apply on a chat code block", () => {
  it("shows the change as a diff, and Apply Change replaces only the function, undoably", async () => {
    await hearth();
    const doc = await vscode.workspace.openTextDocument(workspaceUri("src/orders.ts"));
    await vscode.window.showTextDocument(doc, { preview: false });
    const original = doc.getText();
    const start = original.indexOf("/** The amount the customer pays");
    const end = original.indexOf("}\n", original.indexOf("export function total(")) + 1;
    const expected = original.slice(0, start) + NEW_TOTAL + original.slice(end);

    await vscode.commands.executeCommand(Commands.applyCodeBlock, NEW_TOTAL + "\n");
    const tab = await waitFor("the diff of the proposed change", proposedDiff, 10_000);
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal(input.original.toString(), doc.uri.toString(), "the diff's left side should be the file");
    assert.equal((await vscode.workspace.openTextDocument(input.modified)).getText(), expected, "the proposed side should be the file with the function replaced");
    assert.equal(doc.getText(), original, "nothing is written before Apply");

    await vscode.commands.executeCommand(Commands.applyProposedChange, input.modified);
    await waitFor("the change in the file", () => doc.getText() === expected, 10_000);
    await waitFor("the diff to close", () => !proposedDiff(), 10_000);
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand("undo");
    await waitFor("Undo to take the change back", () => doc.getText() === original, 10_000);
    note(`applied ${NEW_TOTAL.split("\n").length} lines over total() and undid them`);
    // (the dirty flag after an undo back to the saved text is VS Code's business, and not always false at once)
    await vscode.commands.executeCommand("workbench.action.files.revert");
  });

  it("Discard Change closes the diff and leaves the file as it was", async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri("src/orders.ts"));
    await vscode.window.showTextDocument(doc, { preview: false });
    const original = doc.getText();
    const dirty = doc.isDirty;
    const version = doc.version;
    await vscode.commands.executeCommand(Commands.applyCodeBlock, NEW_TOTAL);
    const tab = await waitFor("the diff of the proposed change", proposedDiff, 10_000);
    await vscode.commands.executeCommand(Commands.discardProposedChange, (tab.input as vscode.TabInputTextDiff).modified);
    await waitFor("the diff to close", () => !proposedDiff(), 10_000);
    assert.equal(doc.getText(), original);
    assert.equal(doc.version, version, "Discard must not edit the file");
    assert.equal(doc.isDirty, dirty);
  });

  it("a block that repeats the imports and changes one of them and a function is one edit in two places, one Undo", async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri("src/format.ts"));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    const original = doc.getText();
    assert.ok(original.startsWith('import { total, type Order } from "./orders";'), "fixture src/format.ts changed");
    const code = 'import { subtotal, total, type Order } from "./orders";\n\nexport function describeOrder(order: Order): string {\n  const items = order.lines.map((l) => `${l.quantity} \u00d7 ${l.sku}`).join(", ");\n  return `${order.customer}: ${items} \u2014 ${formatMoney(total(order))} (${formatMoney(subtotal(order))} before discount)`;\n}\n';
    const expected = original
      .replace('import { total, type Order } from "./orders";', 'import { subtotal, total, type Order } from "./orders";')
      .replace("${formatMoney(total(order))}`;", "${formatMoney(total(order))} (${formatMoney(subtotal(order))} before discount)`;");
    assert.notEqual(expected, original);
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand(Commands.applyCodeBlock, code);
    const tab = await waitFor("the diff of the proposed change", proposedDiff, 10_000);
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal((await vscode.workspace.openTextDocument(input.modified)).getText(), expected, "the import line is changed in place (not added a second time), formatMoney() is left alone");
    await vscode.commands.executeCommand(Commands.applyProposedChange, input.modified);
    await waitFor("the change in the file", () => doc.getText() === expected, 10_000);
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand("undo");
    await waitFor("one Undo to take both places back", () => doc.getText() === original, 10_000);
  });

  it("follows the file: a change above the proposal moves it (Apply still writes it), a change in its lines drops it", async () => {
    const doc = await vscode.workspace.openTextDocument(workspaceUri("src/orders.ts"));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand("workbench.action.files.revert");
    await waitFor("the file as saved", () => !doc.isDirty, 10_000);
    const original = doc.getText();
    const start = original.indexOf("/** The amount the customer pays");
    const end = original.indexOf("}\n", original.indexOf("export function total(")) + 1;
    // total() selected: the block replaces those lines
    const selectTotal = (e: vscode.TextEditor) => (e.selection = new vscode.Selection(doc.positionAt(doc.getText().indexOf("/** The amount the customer pays")), doc.positionAt(doc.getText().indexOf("}\n", doc.getText().indexOf("export function total(")) + 2)));
    selectTotal(editor);
    await vscode.commands.executeCommand(Commands.applyCodeBlock, NEW_TOTAL);
    const tab = await waitFor("the diff of the proposed change", proposedDiff, 10_000);
    const right = await vscode.workspace.openTextDocument((tab.input as vscode.TabInputTextDiff).modified);
    // Two lines typed at the top of the file, outside the proposal's lines.
    const top = new vscode.WorkspaceEdit();
    top.insert(doc.uri, new vscode.Position(0, 0), "// one\n// two\n");
    assert.ok(await vscode.workspace.applyEdit(top));
    const expected = "// one\n// two\n" + original.slice(0, start) + NEW_TOTAL + original.slice(end);
    await waitFor("the diff to show the file as it is now", () => right.getText() === expected, 10_000).catch(() => {
      const [got, want] = [right.getText().split("\n"), expected.split("\n")];
      const i = want.findIndex((l, k) => got[k] !== l);
      assert.fail(`the diff's right side after two lines were added at the top differs at line ${i + 1}: got ${JSON.stringify(got.slice(Math.max(0, i - 2), i + 4))}, want ${JSON.stringify(want.slice(Math.max(0, i - 2), i + 4))}`);
    });
    await vscode.commands.executeCommand(Commands.applyProposedChange, (tab.input as vscode.TabInputTextDiff).modified);
    await waitFor("the change at its moved place", () => doc.getText() === expected, 10_000);
    await waitFor("the diff to close", () => !proposedDiff(), 10_000);
    const again = await vscode.window.showTextDocument(doc, { preview: false });
    await restore(doc, original);

    // A change inside the lines the proposal replaces: it is dropped and its diff closes.
    selectTotal(again);
    await vscode.commands.executeCommand(Commands.applyCodeBlock, NEW_TOTAL);
    await waitFor("the diff of the second proposal", proposedDiff, 10_000);
    const inside = new vscode.WorkspaceEdit();
    const line = doc.positionAt(doc.getText().indexOf("const discount"));
    inside.insert(doc.uri, line, "// touched\n  ");
    assert.ok(await vscode.workspace.applyEdit(inside));
    await waitFor("the stale diff to close", () => !proposedDiff(), 10_000);
    await restore(doc, original);
  });

  it("a read-only file is refused before any diff (an edit could never be saved)", async () => {
    const files = vscode.workspace.getConfiguration("files");
    await files.update("readonlyInclude", { "src/format.ts": true }, vscode.ConfigurationTarget.Workspace);
    try {
      const doc = await vscode.workspace.openTextDocument(workspaceUri("src/format.ts"));
      await vscode.window.showTextDocument(doc, { preview: false });
      const original = doc.getText();
      await vscode.commands.executeCommand(Commands.applyCodeBlock, 'export function formatMoney(cents: number, currency = "EUR"): string {\n  return String(cents / 100) + " " + currency;\n}');
      await sleep(3000 * SCALE);
      assert.equal(proposedDiff(), undefined, "no diff should open for a read-only file");
      assert.equal(doc.getText(), original);
    } finally {
      await files.update("readonlyInclude", undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it("in a notebook cell: the diff is the cell's (as Python, named by its cell) and Apply changes that cell only", async () => {
    const { nb, index, cell } = await editRevenueCell();
    const others = nb.getCells().filter((c) => c.index !== index).map((c) => c.document.getText());
    const code = 'def revenue(order):\n    total = 0\n    for line in order["lines"]:\n        total += line["quantity"] * line["unitPrice"]\n    return total\n';
    await vscode.commands.executeCommand(Commands.applyCodeBlock, code);
    const tab = await waitFor("the diff of the proposed change", proposedDiff, 10_000);
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal(input.original.toString(), cell.uri.toString(), "the diff's left side should be the cell");
    assert.match(tab.label, /revenue\.ipynb, cell \d+/, "the diff's title names the notebook and the cell");
    const right = await vscode.workspace.openTextDocument(input.modified);
    assert.equal(right.languageId, "python", "the proposed side is read as the cell's language, not as the notebook's JSON");
    await vscode.commands.executeCommand(Commands.applyProposedChange, input.modified);
    await waitFor("the change in the cell", () => cell.getText() === code.trimEnd(), 10_000);
    assert.deepEqual(nb.getCells().filter((c) => c.index !== index).map((c) => c.document.getText()), others, "the other cells are unchanged");
    await vscode.window.showNotebookDocument(nb);
    await vscode.commands.executeCommand("workbench.action.files.revert");
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });
});
