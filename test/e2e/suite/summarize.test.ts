/// <reference types="mocha" />
// Summarize Meeting Recording on a WAV in the workspace: the audio goes to the model and the summary opens
// as a Markdown document that starts with "# Meeting summary".
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { Commands } from "../../../src/ids";
import { hearth, note, SCALE, sleep, waitFor, workspaceUri } from "./helpers";

describe("Summarize Meeting Recording", () => {
  it("opens a Markdown document with the meeting summary", async () => {
    await hearth();
    const uri = workspaceUri("assets/standup.wav");
    await vscode.workspace.fs.stat(uri);
    const isSummary = (d: vscode.TextDocument) => d.languageId === "markdown" && d.getText().startsWith("# Meeting summary");
    const existing = new Set(vscode.workspace.textDocuments.filter(isSummary));

    await vscode.commands.executeCommand(Commands.summarizeMeeting, uri);
    const doc = await waitFor("a Markdown document starting with \"# Meeting summary\"", () => vscode.workspace.textDocuments.find((d) => isSummary(d) && !existing.has(d)), 240_000 * SCALE);
    // The summary may stream in: wait until the text stops changing.
    let last = "";
    for (let stable = 0; stable < 4; ) {
      await sleep(250);
      const now = doc.getText();
      stable = now === last ? stable + 1 : 0;
      last = now;
    }
    assert.ok(vscode.window.visibleTextEditors.some((e) => e.document === doc), "the summary document is not shown in an editor");
    assert.ok(doc.getText().trim().length > "# Meeting summary".length, "the summary has a heading and nothing else");
    assert.ok(doc.isUntitled || doc.uri.scheme === "file", `unexpected document ${doc.uri.toString()}`);
    note(`summary: ${doc.isUntitled ? "untitled" : doc.uri.fsPath}, ${doc.lineCount} lines`);
  });
});
