/**
 * "Write Commit Message": what the model is asked about a diff, and the message read from its answer. Pure
 * (no engine, no I/O), so it is unit-tested on plain text.
 *
 * The diff is split by file. A secrets file's changes never go in (only that it changed); a file whose changes
 * are long (a lock file, generated code) goes in as its header and a line count; the rest is cut at a budget
 * that leaves the model room to answer, the files left out named. Recent commit subjects go along so the
 * message follows the repository's style (Conventional Commits, a ticket prefix, tense).
 */
import type { ChatMessage } from "../protocol";
import { isSecretPath } from "../secrets";

/** The most diff text one prompt carries: ~7K tokens, a minute or two of prefill for the 12B on a laptop CPU. */
export const MAX_DIFF_CHARS = 24_000;
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
  omitted: { path: string; reason: "secret" | "long" | "budget" }[];
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

export function buildCommitPrompt(diff: string, recentSubjects: readonly string[] = []): CommitPrompt {
  const omitted: CommitPrompt["omitted"] = [];
  const shown: string[] = [];
  let used = 0;
  for (const f of splitDiff(diff)) {
    const head = headerOf(f.text);
    let part = f.text;
    if (isSecretPath(f.path)) {
      omitted.push({ path: f.path, reason: "secret" });
      part = `${head}(changes to a secrets file: not shown)\n`;
    } else if (part.length > MAX_FILE_CHARS) {
      omitted.push({ path: f.path, reason: "long" });
      part = `${head}(${countChanged(f.text)} changed lines: not shown)\n`;
    }
    if (used + part.length > MAX_DIFF_CHARS) {
      omitted.push({ path: f.path, reason: "budget" });
      continue;
    }
    used += part.length;
    shown.push(part);
  }
  const subjects = recentSubjects.map((s) => s.split("\n")[0].trim()).filter(Boolean).slice(0, 10);
  const budgetLeft = omitted.filter((o) => o.reason === "budget").map((o) => o.path);
  const user = [
    subjects.length ? `Recent commit subjects in this repository:\n${subjects.map((s) => `- ${s}`).join("\n")}\n` : "",
    "The changes:",
    "```diff",
    shown.join("").trimEnd(),
    "```",
    budgetLeft.length ? `\nAlso changed (not shown): ${budgetLeft.join(", ")}` : "",
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
  };
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
