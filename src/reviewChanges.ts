/**
 * **Review Changes** (the Source Control view's title bar, next to Write Commit Message): the repository's staged
 * changes (with nothing staged, its unstaged changes and new files) go to the chat as `/review` of a diff, so the
 * review streams there and can be asked about, before the commit. The diff is shown as Write Commit Message
 * shows it (server/commit/commitPrompt.ts `shownDiff`): never a secrets file's changes nor changes with what
 * looks like a key or token, a long file as a line count, the files past the budget named.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import { leftOutForBudget, MAX_DIFF_CHARS, shownDiff } from "../server/commit/commitPrompt";
import type { ContextChip } from "./chat/types";
import { repositoryChanges, tell } from "./commitMessage";

/** What the command hands the review to (the chat view). */
export interface ReviewTarget {
  /** False when the review could not be asked (Hearth busy answering). */
  reviewDiff(chip: ContextChip, repository: vscode.Uri): Promise<boolean>;
}

/** What the command did: the chip it sent for review, or the sentence it showed instead. */
export type ReviewOutcome = { chip: ContextChip } | { problem: string } | undefined;

export async function reviewChanges(chat: ReviewTarget, arg?: unknown): Promise<ReviewOutcome> {
  const changes = await repositoryChanges(arg, "review");
  if (!changes || "problem" in changes) return changes;
  const chip = diffChip(changes.diff, changes.staged, path.basename(changes.repo.rootUri.fsPath));
  // (a merge with only conflicted files: git lists them as unmerged, with no diff to review)
  if (!chip) return tell("There are no changes to review in this repository (unmerged files are listed without their changes: resolve the conflicts first).");
  if (!(await chat.reviewDiff(chip, changes.repo.rootUri))) return { problem: "Hearth is still answering." };
  return { chip };
}

/**
 * The diff as a chat context chip, named by the repository and what it holds ("app: staged changes (3 files)");
 * undefined when it has no file's changes.
 */
export function diffChip(diff: string, staged: boolean, repository: string): ContextChip | undefined {
  const shown = shownDiff(diff, MAX_DIFF_CHARS);
  const files = shown.files;
  if (!files) return undefined;
  const leftOut = leftOutForBudget(shown);
  return {
    kind: "file",
    path: `${repository}: ${staged ? "staged" : "uncommitted"} changes (${files} file${files === 1 ? "" : "s"})`,
    languageId: "diff",
    text: shown.text + (leftOut ? `\n\n(also changed, not shown: ${leftOut})` : ""),
  };
}
