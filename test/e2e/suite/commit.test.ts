/// <reference types="mocha" />
// Write Commit Message: the workspace becomes a git repository for this test; the staged changes go to the
// model through VS Code's Git extension, and the message lands in the Source Control view's message box. A
// staged secrets file's changes must not be in the prompt (the host's prompt log, HEARTH_PROMPT_LOG, shows
// what was sent).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { Commands } from "../../../src/ids";
import type { CommitOutcome } from "../../../src/commitMessage";
import type { ReviewOutcome } from "../../../src/reviewChanges";
import { hearth, note, SCALE, waitFor, waitForAnswer, workspaceUri } from "./helpers";

interface GitRepository {
  readonly rootUri: vscode.Uri;
  readonly inputBox: { value: string };
  status(): Promise<void>;
}
interface GitApi {
  getRepository(uri: vscode.Uri): GitRepository | null;
  openRepository?(root: vscode.Uri): Promise<GitRepository | null>;
}

describe("Write Commit Message", () => {
  it("writes a message for the staged changes into the Source Control box, without a secrets file's changes; with nothing staged, for new files too", async () => {
    await hearth();
    const root = workspaceUri("").fsPath;
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=E2E", "-c", "user.email=e2e@example.com", ...args], { cwd: root, encoding: "utf8" });
    const format = path.join(root, "src", "format.ts");
    const original = fs.readFileSync(format, "utf8");
    const secret = path.join(root, ".env.local");
    const refunds = path.join(root, "src", "refunds.ts");
    // A key pasted into ordinary code (assembled here, so this file holds none): its changes never go to the model.
    const payments = path.join(root, "src", "payments.ts");
    const pastedKey = "sk_live_" + "A1b2C3d4".repeat(3);
    const gitSetting = vscode.workspace.getConfiguration("git");
    try {
      git("init", "-q");
      git("add", ".");
      git("commit", "-qm", "chore: start the orders service");
      fs.writeFileSync(format, original.replace('"en-GB"', '"de-DE"'));
      fs.writeFileSync(secret, "API_KEY=sk_live_commit_e2e_secret\n");
      fs.writeFileSync(payments, `export const stripeKey = "${pastedKey}";\n`);
      git("add", "src/format.ts", ".env.local", "src/payments.ts");

      // The e2e profile turns git off (settings.mjs): the command says so instead of failing obscurely.
      const off = (await vscode.commands.executeCommand(Commands.writeCommitMessage)) as CommitOutcome;
      assert.ok(off && "problem" in off && /Git support is off/.test(off.problem), `with git.enabled false: ${JSON.stringify(off)}`);
      await gitSetting.update("enabled", true, vscode.ConfigurationTarget.Workspace);
      const ext = vscode.extensions.getExtension<{ getAPI(v: 1): GitApi }>("vscode.git");
      assert.ok(ext, "VS Code's Git extension is not installed");
      const exports = ext.isActive ? ext.exports : await ext.activate();
      const api = await waitFor("the Git extension to start", () => {
        try {
          return exports.getAPI(1);
        } catch {
          return undefined;
        }
      }, 30_000 * SCALE, 250);
      const repo = await waitFor("the Git extension to open the new repository", async () => api.getRepository(vscode.Uri.file(root)) ?? (await api.openRepository?.(vscode.Uri.file(root))) ?? undefined, 60_000 * SCALE, 500);

      let outcome: CommitOutcome;
      for (let i = 0; i < 4; i++) {
        outcome = (await vscode.commands.executeCommand(Commands.writeCommitMessage, { rootUri: repo.rootUri })) as CommitOutcome;
        if (outcome && "message" in outcome) break;
        assert.ok(outcome, "the command ended without a message or a reason");
        assert.match(outcome.problem, /wrote no message/, `unexpected failure: ${outcome.problem}`);
        note(`commit message retried: ${outcome.problem}`);
      }
      assert.ok(outcome && "message" in outcome, "no message after four tries");
      assert.equal(repo.inputBox.value, outcome.message, "the message is in the Source Control box");
      note(`commit message: ${outcome.message.length} chars`);

      const log = process.env.HEARTH_PROMPT_LOG;
      assert.ok(log && fs.existsSync(log), "the runner sets HEARTH_PROMPT_LOG");
      const prompt = fs.readFileSync(log, "utf8").trim().split("\n").reverse().find((l) => l.includes("git commit messages"));
      assert.ok(prompt, "the commit message prompt is in the prompt log");
      assert.ok(prompt.includes('de-DE'), "the staged change is in the prompt");
      assert.ok(prompt.includes("chore: start the orders service"), "the recent subjects are in the prompt");
      assert.ok(!prompt.includes("sk_live_commit_e2e_secret"), "a secrets file's changes never reach the prompt");
      assert.ok(!prompt.includes(pastedKey) && prompt.includes("with what looks like a key or token: not shown"), "a key pasted into code never reaches the prompt");
      repo.inputBox.value = "";

      // Review Changes: the same staged changes go to the chat as /review of a diff, without the secrets either.
      const chat = await hearth();
      const earlier = chat.chatHistory().length;
      const pastBefore = chat.pastChats().length;
      const review = (await vscode.commands.executeCommand(Commands.reviewChanges, { rootUri: repo.rootUri })) as ReviewOutcome;
      assert.ok(review && "chip" in review, `Review Changes: ${JSON.stringify(review)}`);
      assert.match(review.chip.path, /: staged changes \(3 files\)$/);
      assert.ok(review.chip.text.includes("de-DE"), "the staged change is in the review");
      assert.ok(!review.chip.text.includes("sk_live_commit_e2e_secret") && !review.chip.text.includes(pastedKey), "no secret in the review");
      // (in a new chat: the conversation open before is kept in Chat History)
      const { user } = await waitForAnswer(chat, 0, (t) => t.command === "review");
      if (earlier) assert.equal(chat.pastChats().length, pastBefore + 1, "the conversation open before went to Chat History");
      assert.equal(chat.chatHistory()[0]?.id, user.id, "the review starts the chat");
      assert.deepEqual(user.context?.map((c) => c.path), [review.chip.path]);
      assert.match(user.prompt ?? "", /^Review the changes in the diff above/);
      note(`review changes: ${review.chip.path}, ${review.chip.text.length} chars of diff`);

      // Nothing staged and only new files (.env.local is now one too): they are described from their content,
      // as VS Code's commit of all changes would take them in; the secrets file by its name only.
      // (not `reset --hard`: it would also take back the workspace setting that turned git on, .vscode/settings.json)
      git("reset", "-q");
      git("checkout", "--", "src/format.ts");
      fs.rmSync(payments);
      fs.writeFileSync(refunds, "export const REFUND_WINDOW_DAYS = 30;\n");
      await repo.status();
      // Until the Git extension has seen the new files ("no changes" before), then once the prompt went out: the
      // random model may write no message (it did, every time for a minute, once), which this part does not test.
      let last: CommitOutcome;
      const sent = await waitFor("the commit message prompt for the new files", async () => {
        last = (await vscode.commands.executeCommand(Commands.writeCommitMessage, { rootUri: repo.rootUri })) as CommitOutcome;
        return last && ("message" in last || /wrote no message/.test(last.problem)) ? last : undefined;
      }, 60_000 * SCALE, 500).catch((e: Error) => {
        throw new Error(`${e.message}; the command's last outcome: ${JSON.stringify(last)}`);
      });
      if ("message" in sent) assert.equal(repo.inputBox.value, sent.message);
      note(`new files: ${"message" in sent ? `a message of ${sent.message.length} chars` : "the model wrote no message"}`);
      const newFiles = fs.readFileSync(log, "utf8").trim().split("\n").reverse().find((l) => l.includes("git commit messages"));
      assert.ok(newFiles, "the second commit message prompt is in the prompt log");
      assert.ok(newFiles.includes("REFUND_WINDOW_DAYS"), "the new file's content is in the prompt");
      assert.ok(newFiles.includes(".env.local") && !newFiles.includes("sk_live_commit_e2e_secret"), "a new secrets file is named, never read");
      repo.inputBox.value = "";
    } finally {
      fs.writeFileSync(format, original);
      fs.rmSync(secret, { force: true });
      fs.rmSync(refunds, { force: true });
      fs.rmSync(payments, { force: true });
      await gitSetting.update("enabled", undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(path.join(root, ".git"), { recursive: true, force: true });
    }
  });
});
