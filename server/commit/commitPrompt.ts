/**
 * "Write Commit Message": what the model is asked about a diff, and the message read from its answer. Pure
 * (no engine, no I/O), so it is unit-tested on plain text.
 *
 * The diff is split by file. A secrets file's changes never go in (only that it changed); a file whose changes
 * are long (a lock file, generated code) goes in as its header and a line count; the rest is cut at a budget
 * that follows the model's context and leaves room for the answer, the files left out named. Recent commit
 * subjects go along so the message follows the repository's style (Conventional Commits, a ticket prefix, tense).
 */
import type { ChatMessage } from "../protocol";
import { isSecretPath } from "../secrets";
import { containsSecret } from "../workspace/files";

/** The most diff text one prompt carries: ~7K tokens, a minute or two of prefill for the 12B on a laptop CPU. */
export const MAX_DIFF_CHARS = 24_000;
/** Characters per token assumed for the budget: below code's usual 3–4, so a dense diff still fits. */
const CHARS_PER_TOKEN = 2.5;
/** Tokens of the chat template around the messages (turn markers, BOS). */
const TEMPLATE_TOKENS = 32;
/** The most characters the list of files left out takes (the rest are counted, not named). */
const MAX_LEFT_OUT_CHARS = 1_000;
/** One file's changes longer than this go in as a summary line (lock files, generated code, data). */
const MAX_FILE_CHARS = 8_000;

export const COMMIT_SYSTEM_PROMPT = [
  "You write git commit messages. Given the changes of a commit as a unified diff, write its message:",
  "a subject line of at most 72 characters in the imperative mood (\"Add…\", \"Fix…\"), without a final period;",
  "then, when the change needs it, a blank line and a short body that says what changed and why, wrapped at 72 characters.",
  "Follow the style of the repository's recent subjects when they are given. Reply with the message only: no quotes, no code fence, no preamble.",
].join("\n");

export interface DiffFile {
  /** the path after the change (`b/…`), or before it for a deletion */
  path: string;
  text: string;
}

export interface CommitPrompt {
  messages: ChatMessage[];
  /** files whose changes are not in the prompt, and why */
  omitted: { path: string; reason: "secret" | "key" | "long" | "budget" }[];
  /** characters of diff in the prompt */
  diffChars: number;
}

/** Splits a `git diff` into its files (text before the first `diff --git` is dropped). */
export function splitDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  const text = diff.replace(/\r\n/g, "\n");
  const starts = [...text.matchAll(/^diff --git /gm)].map((m) => m.index!);
  for (let i = 0; i < starts.length; i++) {
    const part = text.slice(starts[i], starts[i + 1] ?? text.length);
    files.push({ path: pathOf(part), text: part.endsWith("\n") ? part : part + "\n" });
  }
  return files;
}

/** The file a diff section is about: `+++ b/path`, else `--- a/path` (a deletion), else the header's. */
function pathOf(part: string): string {
  const plus = /^\+\+\+ (?:b\/)?(.+)$/m.exec(part)?.[1];
  if (plus && plus !== "/dev/null") return unquote(plus);
  const minus = /^--- (?:a\/)?(.+)$/m.exec(part)?.[1];
  if (minus && minus !== "/dev/null") return unquote(minus);
  const header = /^diff --git a\/(.+?) b\/(.+)$/m.exec(part);
  return unquote(header?.[2] ?? header?.[1] ?? "?");
}

function unquote(p: string): string {
  return p.replace(/\t.*$/, "").replace(/^"(.*)"$/, "$1");
}

/**
 * The diff characters a prompt may carry in a `contextSize`-token context with `maxTokens` for the answer: what is
 * left after the prompt's other text (system prompt and standing instructions, subjects, the list of files left out),
 * at most MAX_DIFF_CHARS.
 */
export function commitDiffBudget(contextSize: number, maxTokens: number, recentSubjects: readonly string[] = [], instructionChars = 0): number {
  const other = COMMIT_SYSTEM_PROMPT.length + instructionChars + subjectsText(recentSubjects).length + FRAME_CHARS + MAX_LEFT_OUT_CHARS;
  const fits = Math.floor((contextSize - maxTokens - TEMPLATE_TOKENS) * CHARS_PER_TOKEN) - other;
  return Math.max(0, Math.min(MAX_DIFF_CHARS, fits));
}

/** A diff as a prompt shows it: see shownDiff. */
export interface ShownDiff {
  /** the files' parts shown, as `git diff` prints them (a part left out: its header and a line saying why) */
  text: string;
  /** files whose changes are not shown, and why */
  omitted: CommitPrompt["omitted"];
  /** characters of `text` */
  chars: number;
  /** files in the diff, shown or not */
  files: number;
}

/**
 * The diff for a prompt: split by file; a secrets file's changes, and changes with what looks like a key or
 * token, never shown (only that the file changed); a long file's as a line count; files past `maxChars` left
 * out (named in `omitted`). Write Commit Message and Review Changes show diffs this way.
 */
export function shownDiff(diff: string, maxChars = MAX_DIFF_CHARS): ShownDiff {
  const omitted: CommitPrompt["omitted"] = [];
  const shown: string[] = [];
  let used = 0;
  const files = splitDiff(diff);
  for (const f of files) {
    const head = headerOf(f.text);
    let part = f.text;
    if (isSecretPath(f.path)) {
      omitted.push({ path: f.path, reason: "secret" });
      part = `${head}(changes to a secrets file: not shown)\n`;
    } else if (containsSecret(f.text)) {
      // (a key pasted into ordinary code: the file's name does not give it away, its text does)
      omitted.push({ path: f.path, reason: "key" });
      const n = countChanged(f.text);
      part = `${head}(${n} changed line${n === 1 ? "" : "s"} with what looks like a key or token: not shown)\n`;
    } else if (part.length > MAX_FILE_CHARS) {
      omitted.push({ path: f.path, reason: "long" });
      part = `${head}(${countChanged(f.text)} changed lines: not shown)\n`;
    }
    if (used + part.length > maxChars) {
      omitted.push({ path: f.path, reason: "budget" });
      continue;
    }
    used += part.length;
    shown.push(part);
  }
  return { text: shown.join("").trimEnd(), omitted, chars: used, files: files.length };
}

/** The files a shown diff left out for its budget, named up to a limit (see leftOutList). */
export function leftOutForBudget(shown: ShownDiff): string | undefined {
  const left = shown.omitted.filter((o) => o.reason === "budget").map((o) => o.path);
  return left.length ? leftOutList(left) : undefined;
}

export function buildCommitPrompt(diff: string, recentSubjects: readonly string[] = [], maxDiffChars = MAX_DIFF_CHARS): CommitPrompt {
  const shown = shownDiff(diff, maxDiffChars);
  const { omitted } = shown;
  const leftOut = leftOutForBudget(shown);
  const user = [
    subjectsText(recentSubjects),
    "The changes:",
    "```diff",
    shown.text,
    "```",
    leftOut ? `\nAlso changed (not shown): ${leftOut}` : "",
    "\nWrite the commit message.",
  ]
    .filter((l) => l !== "")
    .join("\n");
  return {
    messages: [
      { role: "system", content: COMMIT_SYSTEM_PROMPT },
      { role: "user", content: user },
    ],
    omitted,
    diffChars: shown.chars,
  };
}

/** The user message's text besides the diff, the subjects and the files left out (see buildCommitPrompt). */
const FRAME_CHARS = "The changes:\n```diff\n\n```\n\nAlso changed (not shown): \n\nWrite the commit message.".length;

function subjectsText(recentSubjects: readonly string[]): string {
  const subjects = recentSubjects.map((s) => s.split("\n")[0].trim()).filter(Boolean).slice(0, 10);
  return subjects.length ? `Recent commit subjects in this repository:\n${subjects.map((s) => `- ${s}`).join("\n")}\n` : "";
}

/** The files left out for the budget, named up to MAX_LEFT_OUT_CHARS (so the list cannot outgrow the context). */
function leftOutList(paths: readonly string[]): string {
  const named: string[] = [];
  let length = 0;
  // (20: room for ", and N more")
  for (const p of paths) {
    if (length + p.length + 2 > MAX_LEFT_OUT_CHARS - 20) break;
    named.push(p);
    length += p.length + 2;
  }
  const rest = paths.length - named.length;
  if (!rest) return named.join(", ");
  return named.length ? `${named.join(", ")}, and ${rest} more` : `${rest} files`;
}

/** The header lines of a file's diff (up to its first hunk). */
function headerOf(text: string): string {
  const hunk = text.search(/^@@/m);
  const head = hunk < 0 ? text : text.slice(0, hunk);
  return head.split("\n").filter((l) => !/^(index |similarity |old mode|new mode)/.test(l)).join("\n").replace(/\n*$/, "\n");
}

function countChanged(text: string): number {
  return text.split("\n").filter((l) => /^[+-](?![+-]{2} )/.test(l)).length;
}

/** The message from the model's answer: without a fence, a "Commit message:" preamble or quotes around it. */
export function extractCommitMessage(answer: string): string {
  let text = answer.replace(/\r\n/g, "\n").trim();
  const fenced = /^(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n?\1\s*$/.exec(text);
  if (fenced) text = fenced[2];
  text = text.replace(/^(?:\*\*)?(?:suggested )?commit message(?:\*\*)?:?\s*\n?/i, "").trim();
  if (/^(["'`]).*\1$/s.test(text) && !text.slice(1, -1).includes(text[0])) text = text.slice(1, -1).trim();
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
}
