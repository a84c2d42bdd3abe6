/// <reference types="mocha" />
// The chat view: a message typed into the view streams an answer; killing the engine in the middle of an
// answer is recovered and the next message works; the conversation is still there after a window reload.
// Messages are typed into the webview by the runner (the UI bridge) — the way a person sends them.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { ChatTurn } from "../../../src/chat/types";
import { Commands } from "../../../src/ids";
import { canReload, describeTurns, hasUiBridge, hearth, note, READY_MS, readState, saveForAfterReload, sendChatMessage, SCALE, turnJson, waitFor, waitForAnswer, withVisibleAnswer } from "./helpers";

interface SavedTurn {
  id: string;
  role: ChatTurn["role"];
  text: string;
  status?: ChatTurn["status"];
}
const save = (t: ChatTurn): SavedTurn => ({ id: t.id, role: t.role, text: t.text, status: t.status });

type HearthApi = Awaited<ReturnType<typeof hearth>>;

/**
 * Sends `promptFor(attempt)` and calls `interrupt` once its answer is streaming (some text in, the turn not
 * finished). The tiny model can finish a whole answer between two polls: then it asks again (at most 5 times).
 * Returns where the interrupted exchange starts in the history and its prompt.
 */
async function interruptMidReply(
  api: HearthApi,
  promptFor: (attempt: number) => string,
  interrupt: () => unknown,
  what: string,
): Promise<{ from: number; doomed: string }> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const start = api.chatHistory().length;
    const prompt = promptFor(attempt);
    await sendChatMessage(prompt);
    const outcome = await waitFor(
      "the answer to start streaming",
      () => {
        const turns = api.chatHistory().slice(start);
        const ui = turns.findIndex((t) => t.role === "user" && t.text.trim() === prompt);
        const a = ui < 0 ? undefined : turns.slice(ui + 1).find((t) => t.role === "assistant");
        if (!a) return undefined;
        if (a.status === "streaming") return a.text.length > 0 ? "streaming" : undefined;
        return "finished";
      },
      60_000 * SCALE,
      2,
    );
    if (outcome === "streaming") {
      await interrupt();
      return { from: start, doomed: prompt };
    }
    note(`attempt ${attempt}: the answer finished before ${what}; asking again`);
    await waitForAnswer(api, start, (t) => t.text.trim() === prompt, { allowError: true });
  }
  assert.fail(`every answer finished before ${what} mid-reply`);
}

describe("chat", () => {
  before(function () {
    if (!hasUiBridge()) this.skip(); // sending a message needs the UI (the code-server runner)
  });

  it("streams a reply to a message typed into the chat view", async () => {
    const api = await hearth();
    const seen = new Set<string>();
    const { user, assistant } = await withVisibleAnswer("chat", async (n) => {
      const prompt = n === 1 ? "Write a TypeScript function that returns the largest order line." : `Try again (${n}): write it in Python.`;
      const from = api.chatHistory().length;
      await sendChatMessage(prompt);
      return waitForAnswer(api, from, (t) => t.text.trim() === prompt, {
        onPoll: (t) => t && seen.add(`${t.status}:${t.text.length > 0 ? "text" : "empty"}`),
      });
    });
    assert.equal(assistant.status, "done", `the reply ended "${assistant.status}": ${turnJson(assistant)}`);
    assert.ok(assistant.text.trim().length > 0, `the reply is empty: ${turnJson(assistant)}`);
    assert.ok(assistant.createdAt >= user.createdAt);
    if (assistant.stats) assert.ok(assistant.stats.generatedTokens > 0, "stats say no token was generated");
    saveForAfterReload("firstExchange", [save(user), save(assistant)]);
    note(`reply: ${assistant.text.length} chars; states seen while polling: ${[...seen].join(", ")}`);
  });

  it("Export Chat as Markdown opens the conversation as an unsaved Markdown document", async () => {
    const api = await hearth();
    const question = api.chatHistory().find((t) => t.role === "user" && !t.command && !t.workspace && t.text.trim());
    assert.ok(question, "no question in the chat to export");
    await vscode.commands.executeCommand(Commands.exportChat);
    const editor = await waitFor("the exported chat's editor", () => {
      const e = vscode.window.activeTextEditor;
      return e?.document.languageId === "markdown" && e.document.isUntitled ? e : undefined;
    });
    const text = editor.document.getText();
    assert.ok(text.includes(`## You\n\n${question.text.trim()}`), `the export does not have the question: ${text.slice(0, 300)}`);
    assert.ok(text.includes("## Hearth"), "the export has no answer");
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    note(`export: ${text.split("\n").length} lines of Markdown`);
  });

  it("recovers when the engine is killed mid-reply, and the next message works", async () => {
    const api = await hearth();
    const pid = api.enginePid();
    assert.ok(typeof pid === "number" && pid > 0, `enginePid() = ${pid}`);

    // Kill while the answer streams (some text is in, the turn is not finished).
    const { from, doomed } = await interruptMidReply(
      api,
      (attempt) => `Explain step by step how a hash map handles collisions, with a long example (${attempt}).`,
      () => process.kill(pid, "SIGKILL"),
      "the engine could be killed",
    );
    const killed = await waitForAnswer(api, from, (t) => t.text.trim() === doomed, { allowError: true });
    assert.ok(["error", "stopped", "done"].includes(killed.assistant.status ?? ""), `status after the kill: ${killed.assistant.status}`);
    if (killed.assistant.status === "error") assert.ok((killed.assistant.error ?? "").length > 0, "an errored turn should say why");

    const { assistant } = await withVisibleAnswer("the message after the crash", async (n) => {
      const next = n === 1 ? "Now write a unit test for it." : `Try again (${n}): a shorter test.`;
      const start = api.chatHistory().length;
      await sendChatMessage(next);
      return waitForAnswer(api, start, (t) => t.text.trim() === next, { ms: 240_000 * SCALE });
    });
    note(`killed engine ${pid} mid-reply: that turn ended "${killed.assistant.status}"${killed.assistant.error ? ` (${killed.assistant.error})` : ""}`);
    assert.equal(assistant.status, "done", `the message after the crash ended "${assistant.status}": ${turnJson(assistant)}`);
    // After the killed turn the random model's answers in this conversation were often all invisible (6 of 6
    // once: its first token is Gemma 4's channel marker, see withVisibleAnswer). What this test is about, a
    // new engine that answered, is then still shown by the tokens it generated.
    const generated = assistant.stats?.generatedTokens ?? 0;
    assert.ok(assistant.text.trim().length > 0 || generated > 0, `the answer after the crash is empty and generated nothing: ${turnJson(assistant)}`);
    if (!assistant.text.trim()) note(`the message after the crash: ${generated} tokens generated, none visible (random weights)`);
    const newPid = api.enginePid();
    assert.ok(typeof newPid === "number" && newPid !== pid, `the engine was not restarted (pid ${pid} → ${newPid})`);
    try {
      process.kill(pid, 0);
      assert.fail(`the killed engine ${pid} is still alive`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  });

  it("Restart Model Host mid-reply ends the answer as stopped, not as a JSON-RPC error", async () => {
    const api = await hearth();
    const { from, doomed } = await interruptMidReply(
      api,
      (attempt) => `Describe, in many numbered steps, how a B-tree splits a full node (${attempt}).`,
      () => vscode.commands.executeCommand(Commands.restartHost),
      "the host could be restarted",
    );
    const { assistant } = await waitForAnswer(api, from, (t) => t.text.trim() === doomed, { allowError: true });
    assert.equal(assistant.status, "stopped", `the answer cut by the restart: ${turnJson(assistant)}`);
    assert.equal(assistant.stopReason, "the model host was restarted", turnJson(assistant));
    assert.equal(assistant.error, undefined, turnJson(assistant));
    // the next tests need the model again
    const status = await api.whenReady(READY_MS);
    assert.equal(status.state, "ready");
    note(`restarted mid-reply: the turn ended "${assistant.status}: ${assistant.stopReason}" after ${assistant.text.length} chars`);
  });

  it("keeps the conversation after a window reload @after-reload", async function () {
    if (!canReload()) this.skip();
    const saved = readState().data?.firstExchange as SavedTurn[] | undefined;
    assert.ok(saved, "the first chat test did not record its exchange (did it fail?)");
    const api = await hearth();
    const history = api.chatHistory();
    for (const s of saved) {
      const t = history.find((h) => h.id === s.id);
      assert.ok(t, `turn ${s.id} (${s.role}) is missing after the reload: ${describeTurns(history)}`);
      assert.equal(t.role, s.role);
      assert.equal(t.text, s.text, `turn ${s.id} changed across the reload`);
      if (s.status) assert.equal(t.status, s.status);
    }
  });
});
