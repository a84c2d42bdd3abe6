/**
 * `hearth/commitMessage`: a commit message for a diff (commitPrompt.ts builds the prompt and reads the
 * answer). A plain chat: the diff says what changed, the workspace prefix would add minutes of nothing.
 */
import type { ChatService, GenerateOptions } from "../chat/service";
import { HearthFailure } from "../errors";
import type { CommitMessageParams, CommitMessageResult } from "../protocol";
import { buildCommitPrompt, extractCommitMessage, splitDiff } from "./commitPrompt";

export async function writeCommitMessage(chat: ChatService, params: Pick<CommitMessageParams, "diff" | "recentSubjects">, opts: GenerateOptions): Promise<CommitMessageResult> {
  if (!splitDiff(params.diff ?? "").length) {
    throw new HearthFailure("invalid-request", "There are no changes to describe: stage the changes to commit (or change a tracked file) first.");
  }
  const prompt = buildCommitPrompt(params.diff, params.recentSubjects ?? []);
  const result = await chat.chat(prompt.messages, { ...opts, maxTokens: opts.maxTokens ?? 256, temperature: opts.temperature ?? 0.3 });
  return { message: extractCommitMessage(result.text), text: result.text, omitted: prompt.omitted, stats: result.stats };
}
