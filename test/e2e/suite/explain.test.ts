/// <reference types="mocha" />
// Explain Screenshot on a PNG in the workspace (what the Explorer's context menu runs): the image goes to
// the model and the answer appears in the chat, as a user turn carrying the image and an assistant turn.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { Commands } from "../../../src/ids";
import { hearth, note, turnJson, waitForAnswer, withVisibleAnswer, workspaceUri } from "./helpers";

describe("Explain Screenshot", () => {
  it("answers in the chat with the image attached to the question", async () => {
    const api = await hearth();
    const uri = workspaceUri("assets/screenshot.png");
    await vscode.workspace.fs.stat(uri); // the runner generates it in the workspace copy
    const { user, assistant } = await withVisibleAnswer("explain", async () => {
      const from = api.chatHistory().length;
      await vscode.commands.executeCommand(Commands.explainScreenshot, uri);
      return waitForAnswer(api, from, (t) => Boolean(t.attachments?.some((a) => a.kind === "image")));
    });
    const image = user.attachments!.find((a) => a.kind === "image")!;
    assert.equal(image.mimeType, "image/png");
    assert.match(image.name, /screenshot\.png$/);
    const png = Buffer.from(image.data, "base64");
    const onDisk = await vscode.workspace.fs.readFile(uri);
    assert.equal(png.length, onDisk.length, "the attached image is not the file's bytes");
    assert.equal(assistant.status, "done", turnJson(assistant));
    assert.ok(assistant.text.trim().length > 0, `the answer is empty: ${turnJson(assistant)}`);
    note(`answer: ${assistant.text.length} chars${assistant.stats ? `, ${assistant.stats.generatedTokens} tokens in ${Math.round(assistant.stats.totalMs)} ms` : ""}`);
  });
});
