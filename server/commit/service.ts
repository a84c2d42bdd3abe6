/**
 * `hearth/commitMessage`: a commit message for a diff (commitPrompt.ts builds the prompt and reads the
 * answer). A plain chat: the diff says what changed, the workspace prefix would add minutes of nothing.
 */
import type { ChatService, GenerateOptions } from "../chat/service";
import { HearthFailure } from "../errors";
import type { CommitMessageParams, CommitMessageResult } from "../protocol";
import { withInstructions } from "../workspace/instructions";
import { buildCommitPrompt, commitDiffBudget, extractCommitMessage, splitDiff, type CommitPrompt } from "./commitPrompt";

/** Tokens the message may take unless the request says otherwise. */
const DEFAULT_MAX_TOKENS = 256;
/** Times the diff is cut again when the engine counts more tokens than the estimate allowed for. */
const REFITS = 2;

export async function writeCommitMessage(
  chat: ChatService,
  params: Pick<CommitMessageParams, "diff" | "recentSubjects">,
  opts: GenerateOptions,
  /** The loaded model's context (tokens): the diff shown is cut to fit it with the answer. */
  contextSize: number,
  /** The project's standing instructions (instructionsText()), added to the system prompt; "" for none. */
  instructions = "",
): Promise<CommitMessageResult> {
  if (!splitDiff(params.diff ?? "").length) {
    throw new HearthFailure("invalid-request", "There are no changes to describe: stage the changes to commit (or change a tracked file) first.");
  }
  const maxTokens = opts.maxTokens ?? DEFAULT_MAX_TOKENS;
  const subjects = params.recentSubjects ?? [];
  // (the instructions take the context's room, not the diff's own cap: a diff that fit still fits on a large context)
  const budget = commitDiffBudget(contextSize, maxTokens, subjects, instructions.length);
  const prompt = await fittedPrompt(chat, params.diff, subjects, instructions, contextSize - maxTokens, budget, opts.signal);
  const result = await chat.chat(prompt.messages, { ...opts, maxTokens, temperature: opts.temperature ?? 0.3 }).catch((err: unknown) => {
    // The budget assumes 2.5 characters per token: a diff of unusual text (non-Latin, binary-like) can need more.
    if (err instanceof HearthFailure && err.code === "context-too-long") {
      throw new HearthFailure(
        "context-too-long",
        `The staged changes do not fit the model's context (${contextSize.toLocaleString("en-US")} tokens) even cut down: commit fewer files at a time, or raise hearth.contextSize (--ctx) if memory allows.`,
      );
    }
    throw err;
  });
  return { message: extractCommitMessage(result.text), text: result.text, omitted: prompt.omitted, stats: result.stats };
}

/**
 * The prompt with the diff cut to `budget` characters, then, when the engine counts more than `room` tokens
 * (the budget assumes 2.5 characters a token; text in other scripts or dense data takes more), cut again in
 * proportion: one tokenization, milliseconds beside the prefill it saves from failing.
 */
async function fittedPrompt(chat: ChatService, diff: string, subjects: string[], instructions: string, room: number, budget: number, signal?: AbortSignal): Promise<CommitPrompt> {
  const build = (chars: number) => {
    const p = buildCommitPrompt(diff, subjects, chars);
    return { ...p, messages: withInstructions(p.messages, instructions) };
  };
  let prompt = build(budget);
  for (let i = 0; i < REFITS && prompt.diffChars > 0; i++) {
    const tokens = await chat.countTokens(prompt.messages, signal);
    if (tokens === undefined || tokens <= room) break;
    // (the whole prompt's ratio applied to the diff alone: a little more cut than needed)
    prompt = build(Math.floor((prompt.diffChars * room * 0.95) / tokens));
  }
  return prompt;
}
