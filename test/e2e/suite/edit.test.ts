/// <reference types="mocha" />
// Edit Selection…: the selected lines (or an empty line) go to the host with an instruction (here as the
// command's argument, as a keybinding passes it; the input box is the UI phase's), and the model's code opens
// as a diff with Apply / Discard that changes those lines only. The tiny model's code is noise: the tests
// check where it goes, not what it says.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as vscode from "vscode";
import { Commands } from "../../../src/ids";
import type { EditArgs, EditOutcome } from "../../../src/edit/editSelection";
import { hearth, note, SCALE, waitFor, workspaceUri } from "./helpers";

function proposedDiff(): vscode.Tab | undefined {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === "hearth-proposed");
}

/**
 * Runs Edit Selection until the random model's answer is something to show (it can write nothing, or the
 * lines as they were: the command then says so instead of opening a diff).
 */
async function edit(args: EditArgs, tries = 4): Promise<{ uri: vscode.Uri; proposed: string }> {
  const problems: string[] = [];
  for (let i = 0; i < tries; i++) {
    const outcome = (await vscode.commands.executeCommand(Commands.editSelection, args)) as EditOutcome;
    if (outcome && "proposed" in outcome) {
      // The diff's document follows the text as it was streamed; it ends as the text the command returns.
      const doc = await vscode.workspace.openTextDocument(outcome.proposed);
      await waitFor("the diff to show the finished edit", () => doc.getText() === outcome.text, 10_000);
      return { uri: outcome.proposed, proposed: outcome.text };
    }
    assert.ok(outcome, "the command ended without a diff or a reason");
    assert.match(outcome.problem, /wrote no code|left the lines as they are|leaves parts of the code out/, `unexpected refusal: ${outcome.problem}`);
    problems.push(outcome.problem);
    note(`edit retried: ${outcome.problem}`);
  }
  throw new Error(`no edit to show after ${tries} tries: ${problems.join(" | ")}`);
}

describe("Edit Selection", () => {
  // A failed test must not leave its diff open for the next one.
  afterEach(async () => {
    const tab = proposedDiff();
    if (tab) await vscode.commands.executeCommand(Commands.discardProposedChange, (tab.input as vscode.TabInputTextDiff).modified);
  });

  it("rewrites the selected lines: the diff changes only them, Apply writes it and Undo takes it back", async () => {
    await hearth();
    const doc = await vscode.workspace.openTextDocument(workspaceUri("src/orders.ts"));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    const original = doc.getText();
    const lines = original.split("\n");
    const start = lines.indexOf("export function total(order: Order): number {");
    assert.ok(start > 0, "fixture src/orders.ts changed");
    // The body of total(), selected from the middle of its first line to the middle of its last.
    editor.selection = new vscode.Selection(start + 1, 4, start + 2, 10);

    const { uri, proposed } = await edit({ instruction: "never return less than zero" });
    const tab = await waitFor("the diff of the edit", proposedDiff, 10_000);
    const input = tab.input as vscode.TabInputTextDiff;
    assert.equal(input.modified.toString(), uri.toString());
    assert.equal(input.original.toString(), doc.uri.toString(), "the diff's left side should be the file");
    const head = lines.slice(0, start + 1).join("\n") + "\n";
    const tail = "\n" + lines.slice(start + 3).join("\n");
    assert.ok(proposed.startsWith(head), "the lines above the selection are unchanged");
    assert.ok(proposed.endsWith(tail), "the lines below the selection are unchanged");
    const written = proposed.slice(head.length, proposed.length - tail.length);
    assert.notEqual(written, lines.slice(start + 1, start + 3).join("\n"));
    // (the random model may write any characters, "<<<<<<<" too: what must not come through is a marker line)
    assert.ok(!written.split("\n").some((l) => ["<<<<<<< SELECTION", ">>>>>>> END OF SELECTION"].includes(l.trim())), "the prompt's marker lines never reach the code");
    assert.equal(doc.getText(), original, "nothing is written before Apply");

    await vscode.commands.executeCommand(Commands.applyProposedChange, uri);
    await waitFor("the edit in the file", () => doc.getText() === proposed, 10_000);
    await waitFor("the diff to close", () => !proposedDiff(), 10_000);
    note(`edit: ${written.split("\n").length} line(s) written over total()'s body`);
    await vscode.window.showTextDocument(doc, { preview: false });
    await vscode.commands.executeCommand("undo");
    await waitFor("Undo to take the edit back", () => doc.getText() === original, 10_000);
    await vscode.commands.executeCommand("workbench.action.files.revert");
  });

  it("on an empty line writes new code in its place, at its indentation; Discard leaves the file alone", async () => {
    // An untitled editor (the completion tests have typed into the fixture's empty lines by now).
    const text = "export function largest(xs: number[]): number {\n  let best = 0;\n  for (const x of xs) {\n    \n  }\n  return best;\n}\n";
    const doc = await vscode.workspace.openTextDocument({ language: "typescript", content: text });
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    const version = doc.version;
    const lines = text.split("\n");
    const empty = 3;
    editor.selection = new vscode.Selection(empty, 4, empty, 4);

    const { uri, proposed } = await edit({ instruction: "keep the largest x in best" });
    const head = lines.slice(0, empty).join("\n") + "\n";
    const tail = "\n" + lines.slice(empty + 1).join("\n");
    assert.ok(proposed.startsWith(head) && proposed.endsWith(tail), "only the empty line is replaced");
    const written = proposed.slice(head.length, proposed.length - tail.length);
    assert.ok(written.split("\n").filter((l) => l.trim()).every((l) => l.startsWith("    ")), `the new code is indented inside the loop:\n${written}`);

    await vscode.commands.executeCommand(Commands.discardProposedChange, uri);
    await waitFor("the diff to close", () => !proposedDiff(), 10_000);
    assert.equal(doc.getText(), text);
    assert.equal(doc.version, version, "Discard must not edit the file");
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
  });

  it("Fix with Hearth: the quick fix on a problem quotes it, and the line's other problems, and edits its lines only", async () => {
    const text = "export function half(n: number): number {\n  const h = n / 2\n  return h;\n}\n";
    const doc = await vscode.workspace.openTextDocument({ language: "typescript", content: text });
    await vscode.window.showTextDocument(doc, { preview: false });
    const lint = vscode.languages.createDiagnosticCollection("e2e-lint");
    try {
      const problem = new vscode.Diagnostic(new vscode.Range(1, 2, 1, 17), "Missing semicolon.", vscode.DiagnosticSeverity.Warning);
      problem.source = "e2e-lint";
      problem.code = "semi";
      // Another problem on that line, away from the cursor: the light bulb is not given it, the fix takes it in.
      const other = new vscode.Diagnostic(new vscode.Range(1, 16, 1, 17), "Prefer `n * 0.5`.", vscode.DiagnosticSeverity.Warning);
      other.source = "e2e-style";
      lint.set(doc.uri, [problem, other]);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", doc.uri, new vscode.Range(1, 4, 1, 4), vscode.CodeActionKind.QuickFix.value);
      const fix = actions.find((a) => a.title === "Fix 2 problems with Hearth");
      assert.ok(fix?.command, `no "Fix 2 problems with Hearth" among the quick fixes: ${actions.map((a) => a.title).join(", ")}`);
      const args = fix.command.arguments?.[0] as EditArgs;
      assert.deepEqual({ uri: args.uri, startLine: args.startLine, endLine: args.endLine }, { uri: doc.uri.toString(), startLine: 1, endLine: 2 });
      assert.match(args.instruction ?? "", /line 2 \(e2e-lint semi\): Missing semicolon\.\n- line 2 \(e2e-style\): Prefer `n \* 0\.5`\./);

      const { uri, proposed } = await edit(args);
      const lines = text.split("\n");
      assert.ok(proposed.startsWith(lines[0] + "\n") && proposed.endsWith("\n" + lines.slice(2).join("\n")), "only the problem's line is rewritten");
      await vscode.commands.executeCommand(Commands.discardProposedChange, uri);
      await waitFor("the diff to close", () => !proposedDiff(), 10_000);
      assert.equal(doc.getText(), text);
    } finally {
      lint.dispose();
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    }
  });

  it("streams into the diff: it opens while the edit is written, without Apply until it is done, and Discard then stops it", async () => {
    const body = Array.from({ length: 30 }, (_, i) => `  total += prices[${i}] * quantities[${i}];`).join("\n");
    const text = `export function total(prices: number[], quantities: number[]): number {\n  let total = 0;\n${body}\n  return total;\n}\n`;
    const doc = await vscode.workspace.openTextDocument({ language: "typescript", content: text });
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    try {
      for (let attempt = 1; ; attempt++) {
        editor.selection = new vscode.Selection(1, 0, 32, 0);
        let done = false;
        const running = Promise.resolve(vscode.commands.executeCommand(Commands.editSelection, { instruction: "use a loop" })).finally(() => (done = true));
        const tab = await waitFor("the diff, or the end of the edit", () => proposedDiff() ?? (done && "done"), 60_000 * SCALE, 50);
        if (tab === "done" || done) {
          // (the random model ended its answer before any code, or at once: nothing was streamed to look at)
          const tabNow = proposedDiff();
          if (tabNow) await vscode.commands.executeCommand(Commands.discardProposedChange, (tabNow.input as vscode.TabInputTextDiff).modified);
          assert.ok(attempt < 4, "no edit was still being written when its diff opened, in four tries");
          note(`streaming edit retried (the answer ended before its diff was looked at)`);
          continue;
        }
        const uri = (tab.input as vscode.TabInputTextDiff).modified;
        // Apply waits for the edit: pressing it now writes nothing.
        assert.equal(await vscode.commands.executeCommand(Commands.applyProposedChange, uri), false, "Apply before the edit is complete");
        assert.equal(doc.getText(), text);
        await vscode.commands.executeCommand(Commands.discardProposedChange, uri);
        const outcome = await running;
        assert.equal(outcome, undefined, "a discarded edit ends without a diff or a message");
        await waitFor("the diff to close", () => !proposedDiff(), 10_000);
        assert.equal(doc.getText(), text);
        note(`discarded an edit while it was being written (attempt ${attempt})`);
        break;
      }
    } finally {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    }
  });

  it("a secrets file is refused before anything is sent to the model", async () => {
    const file = workspaceUri(".env.local");
    fs.writeFileSync(file.fsPath, "API_KEY=sk_live_not_for_prompts\n");
    try {
      const doc = await vscode.workspace.openTextDocument(file);
      const editor = await vscode.window.showTextDocument(doc, { preview: false });
      editor.selection = new vscode.Selection(0, 0, 0, 5);
      const outcome = (await vscode.commands.executeCommand(Commands.editSelection, { instruction: "rotate the key" })) as EditOutcome;
      assert.ok(outcome && "problem" in outcome, "no diff for a secrets file");
      assert.match(outcome.problem, /secret/i);
      assert.equal(proposedDiff(), undefined);
      await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
    } finally {
      fs.rmSync(file.fsPath, { force: true });
    }
  });
});
