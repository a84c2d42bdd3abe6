// Chat commands on code: Explain from the editor's Hearth menu (the function around the cursor, found by the
// TypeScript language server), and /fix and /tests typed into the chat on a selection. What they test is what
// the model is asked: the code, the instruction and what the editor knows (its problems, the project's test
// framework), in the user turn and in the host's prompt log; the random model's words are noise.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as vscode from "vscode";
import type { EditOutcome } from "../../../src/edit/editSelection";
import { Commands } from "../../../src/ids";
import { hasUiBridge, hearth, note, READY_MS, SCALE, sendChatMessage, waitFor, waitForAnswer, workspaceUri } from "./helpers";

/** The last request in the host's prompt log that contains `marker`. */
function loggedPrompt(marker: string): string {
  const log = process.env.HEARTH_PROMPT_LOG;
  assert.ok(log && fs.existsSync(log), "the runner sets HEARTH_PROMPT_LOG");
  const line = fs.readFileSync(log, "utf8").trim().split("\n").reverse().find((l) => l.includes(marker));
  assert.ok(line, `no request with ${JSON.stringify(marker)} in the prompt log`);
  return line;
}

/**
 * How the chat names a workspace file: its path, with the folder's name in front when the workspace has
 * several folders (the workspace tests add one).
 */
const shown = (rel: string) => vscode.workspace.asRelativePath(workspaceUri(rel));
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

async function ordersEditor(): Promise<{ editor: vscode.TextEditor; total: vscode.DocumentSymbol }> {
  const doc = await vscode.workspace.openTextDocument(workspaceUri("src/orders.ts"));
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  // The TypeScript server answers once it has started (seconds on this machine).
  const symbols = await waitFor(
    "the TypeScript symbols of src/orders.ts",
    async () => {
      const s = await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>("vscode.executeDocumentSymbolProvider", doc.uri);
      return s?.some((x) => x.name === "total") ? s : undefined;
    },
    120_000 * SCALE,
    1000,
  );
  return { editor, total: symbols.find((s) => s.name === "total")! };
}

describe("chat commands", () => {
  it("Explain (the editor's Hearth menu) with the cursor in a function sends that function with the explain instruction", async () => {
    const api = await hearth();
    await api.whenReady(READY_MS);
    const { editor, total } = await ordersEditor();
    const inside = new vscode.Position(total.range.start.line + 1, 2);
    editor.selection = new vscode.Selection(inside, inside);
    const from = api.chatHistory().length;
    void vscode.commands.executeCommand(Commands.explainCode);
    const { user } = await waitForAnswer(api, from, (t) => t.command === "explain");
    // (from its doc comment, the line above the declaration where the language server's range starts)
    assert.match(editor.document.lineAt(total.range.start.line - 1).text, /^\/\*\* The amount the customer pays/, "fixture src/orders.ts changed");
    const lines: [number, number] = [total.range.start.line, total.range.end.line + 1];
    assert.deepEqual(user.context?.map((c) => [c.path, c.range]), [[shown("src/orders.ts"), lines]], "the function around the cursor is the code");
    assert.ok(user.context?.[0].text.startsWith("/** The amount the customer pays"), user.context?.[0].text);
    assert.ok(user.prompt?.startsWith(`Explain the code above (\`${shown("src/orders.ts")}\`)`), user.prompt);
    const prompt = loggedPrompt(`Explain the code above (\`${shown("src/orders.ts")}\`)`);
    assert.ok(prompt.includes("export function total(order: Order): number {"), "the function's code is in the request");
    note(`explain: lines ${lines.join("-")} of src/orders.ts`);
  });

  it("Add Documentation with the cursor in a function asks Edit Selection for TSDoc on that function's lines", async () => {
    await hearth();
    const { editor, total } = await ordersEditor();
    const inside = new vscode.Position(total.range.start.line + 1, 2);
    editor.selection = new vscode.Selection(inside, inside);
    const outcome = (await vscode.commands.executeCommand(Commands.addDocumentation)) as EditOutcome;
    assert.ok(outcome, "the command ended without a diff or a reason");
    // The random model's code may be refused (none, or the lines unchanged): what is tested is the request.
    if ("proposed" in outcome) {
      const lines = outcome.text.split("\n");
      const original = editor.document.getText().split("\n");
      // (its doc comment, the line above, is the edit's first line: replaced, not documented twice)
      const above = total.range.start.line - 1;
      assert.equal(lines.slice(0, above).join("\n"), original.slice(0, above).join("\n"), "the lines above the function and its comment are unchanged");
      await vscode.commands.executeCommand(Commands.discardProposedChange, outcome.proposed);
    } else {
      assert.match(outcome.problem, /wrote no code|left the lines as they are|leaves parts of the code out/, `unexpected refusal: ${outcome.problem}`);
    }
    const prompt = loggedPrompt("Add documentation comments in TSDoc");
    assert.ok(prompt.includes("export function total(order: Order): number {"), "the function is in the request");
    note(`add documentation: ${"proposed" in outcome ? "a diff" : outcome.problem}`);
  });

  describe("typed into the chat", () => {
    before(function () {
      if (!hasUiBridge()) this.skip(); // typing a message needs the UI (the code-server runner)
    });

    it("/fix on a selection quotes the problems the editor reports in it", async () => {
      const api = await hearth();
      const { editor, total } = await ordersEditor();
      const lint = vscode.languages.createDiagnosticCollection("e2e-commands");
      try {
        const line = total.range.start.line + 2;
        const problem = new vscode.Diagnostic(new vscode.Range(line, 2, line, 10), "Rounding should use Math.round on cents.", vscode.DiagnosticSeverity.Warning);
        problem.source = "e2e-lint";
        const elsewhere = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 5), "A problem outside the selection.", vscode.DiagnosticSeverity.Error);
        lint.set(editor.document.uri, [problem, elsewhere]);
        editor.selection = new vscode.Selection(total.range.start.line, 0, total.range.end.line + 1, 0);
        const from = api.chatHistory().length;
        await sendChatMessage("/fix keep the signature");
        const { user } = await waitForAnswer(api, from, (t) => t.command === "fix");
        assert.equal(user.text, "keep the signature");
        assert.deepEqual(user.context?.map((c) => c.range), [[total.range.start.line + 1, total.range.end.line + 1]]);
        assert.ok(user.prompt?.includes(`- line ${line + 1}, warning (e2e-lint): Rounding should use Math.round on cents.`), user.prompt);
        assert.ok(!user.prompt?.includes("outside the selection"), "a problem outside the code is not quoted");
        const prompt = loggedPrompt("Rounding should use Math.round on cents.");
        assert.ok(prompt.includes("The developer adds: keep the signature"));
      } finally {
        lint.dispose();
      }
    });

    it("/tests names the project's test framework (from its package.json) and the test file to write", async () => {
      const api = await hearth();
      const { editor, total } = await ordersEditor();
      editor.selection = new vscode.Selection(total.range.start.line, 0, total.range.end.line + 1, 0);
      const from = api.chatHistory().length;
      await sendChatMessage("/tests");
      const { user } = await waitForAnswer(api, from, (t) => t.command === "tests");
      assert.match(user.prompt ?? "", /with Vitest \(the project's framework, from its package\.json\)/);
      assert.match(user.prompt ?? "", new RegExp(`Write the whole test file \`${literal(shown("src/orders.test.ts"))}\``));
      loggedPrompt(`Write unit tests for the code above (\`${shown("src/orders.ts")}\`) with Vitest`);
      // The answer's New file opens that file, unsaved.
      assert.equal(user.codeFile, workspaceUri("src/orders.test.ts").toString());
    });

    it("New Chat keeps the conversation, and Chat History reopens it as it was", async () => {
      const api = await hearth();
      const before = api.chatHistory();
      assert.ok(before.some((t) => t.command === "tests"), "the commands' conversation is open");
      await vscode.commands.executeCommand(Commands.newChat);
      assert.deepEqual(api.chatHistory(), []);
      const past = api.pastChats()[0];
      assert.ok(past && past.title.startsWith("/explain"), `the first question names the chat: ${JSON.stringify(api.pastChats().map((c) => c.title))}`);
      await vscode.commands.executeCommand(Commands.chatHistory, past.id);
      assert.deepEqual(api.chatHistory().map((t) => t.id), before.map((t) => t.id));
      assert.ok(!api.pastChats().some((c) => c.id === past.id), "the reopened chat is no longer in the list");
    });
  });
});
