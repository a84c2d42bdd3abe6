/// <reference types="mocha" />
// Hearth's model in VS Code's language model API: what another extension (an agent, a chat extension that
// lets the user pick a VS Code model) does to use it: select it by vendor, count tokens, send a request and
// read the streamed answer, and stop one. The answer comes from the same host and engine as Hearth's chat.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { hearth, note, READY_MS, SCALE } from "./helpers";

describe("Hearth in VS Code's language model API (vscode.lm)", () => {
  it("offers the local model: selectChatModels finds it, it counts tokens and streams an answer to a request", async function () {
    this.timeout(180_000 * SCALE);
    const api = await hearth();
    // (the chat tests before these kill the engine: wait for the restarted one, or counts are estimates)
    await api.whenReady(READY_MS);
    const models = await vscode.lm.selectChatModels({ vendor: "hearth" });
    assert.equal(models.length, 1, `models of vendor hearth: ${JSON.stringify(models.map((m) => m.id))}`);
    const [model] = models;
    assert.equal(model.id, "hearth-local");
    assert.equal(model.family, "gemma-4");
    assert.match(model.name, /\(Hearth\)$/);
    // (the model is loaded: its real context, less the room for the answer, not the placeholder announced before)
    const context = api.status()?.memory?.contextSize ?? 0;
    assert.equal(model.maxInputTokens, context - Math.min(16_384, Math.floor(context / 2)), `maxInputTokens with a context of ${context}`);

    const tokens = await model.countTokens("export function add(a: number, b: number): number { return a + b; }");
    assert.ok(tokens > 5 && tokens < 60, `counted ${tokens} tokens`);
    const messageTokens = await model.countTokens(vscode.LanguageModelChatMessage.User("Say hello"));
    assert.ok(messageTokens > 0, `counted ${messageTokens} tokens for a message`);

    // (random weights: the words are noise, and an answer can be empty when its first token is the thought
    // channel's marker; then ask again, as a person would, at most 5 times)
    let text = "";
    let parts = 0;
    for (let attempt = 1; attempt <= 5 && !text; attempt++) {
      const response = await model.sendRequest(
        [vscode.LanguageModelChatMessage.User(`Write a TypeScript function that adds two numbers (${attempt}).`)],
        { justification: "the end-to-end test", modelOptions: { maxTokens: 24, temperature: 1 } },
        new vscode.CancellationTokenSource().token,
      );
      for await (const chunk of response.text) {
        text += chunk;
        parts++;
      }
      if (!text) note(`vscode.lm: answer ${attempt} was empty; asking again`);
    }
    note(`vscode.lm: ${model.name}, ${model.maxInputTokens} input tokens; ${tokens} tokens counted; the answer came in ${parts} part(s), ${text.length} characters`);
    assert.ok(text.length > 0, "five answers were empty");
  });

  it("stops generating when the caller cancels", async function () {
    this.timeout(180_000 * SCALE);
    await (await hearth()).whenReady(READY_MS);
    const [model] = await vscode.lm.selectChatModels({ vendor: "hearth" });
    // Cancelled 1 s in; an answer that ended by itself before that proves nothing, so ask again (at most 5 times).
    // (greedy, the tiny model mostly runs on to the limit: 4000 tokens take ~20 s here)
    for (let attempt = 1; attempt <= 5; attempt++) {
      const cts = new vscode.CancellationTokenSource();
      const response = await model.sendRequest([vscode.LanguageModelChatMessage.User(`Count from one to a thousand (${attempt}).`)], { modelOptions: { maxTokens: 4000, temperature: 0 } }, cts.token);
      let cancelledAt: number | undefined;
      const timer = setTimeout(() => {
        cancelledAt = Date.now();
        cts.cancel();
      }, 1000);
      let chars = 0;
      try {
        for await (const chunk of response.text) chars += chunk.length;
      } catch (err) {
        // (a cancelled request may end its stream with a cancellation error: that is the stop)
        if (cancelledAt === undefined) throw err;
      } finally {
        clearTimeout(timer);
      }
      if (cancelledAt === undefined) {
        note(`vscode.lm: attempt ${attempt} ended by itself (${chars} characters) before it was cancelled; asking again`);
        continue;
      }
      const after = Date.now() - cancelledAt;
      note(`vscode.lm: the stream ended ${after} ms after the cancel, ${chars} characters in`);
      // (4000 tokens of the tiny model take ~20 s here)
      assert.ok(after < 5000 * SCALE, `the answer went on for ${after} ms after it was cancelled`);
      return;
    }
    assert.fail("every answer ended by itself within 1 s: cancellation was not exercised");
  });
});
