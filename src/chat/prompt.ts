/**
 * The chat transcript → the messages sent to the model host. Pure (no vscode import) so it is unit-tested.
 *
 * - A short system message.
 * - Earlier turns as alternating user / assistant messages. A question whose answer failed or was stopped
 *   before any text is left out (the user usually asks again), so the roles always alternate and the
 *   conversation always ends with the question being answered.
 * - Context chips as fenced code with their path and line range, before the user's text.
 * - Images and audio as `image` / `audio` content parts.
 * - Bounded: the oldest exchanges are dropped beyond a character budget (media counted by an estimate of
 *   their tokens); the latest question is always kept, with each chip capped in size.
 *
 * Also here, because they decide what may enter a prompt: the secret-file guard for context chips, and the
 * mapping between VS Code language ids and Markdown fence tags.
 */
import type { ChatContentPart, ChatMessage } from "../../server/protocol";
import { isSecretPath } from "../../server/secrets";
import type { ChatTurn, ContextChip } from "./types";

export const SYSTEM_PROMPT = [
  "You are Hearth, a coding assistant inside Visual Studio Code. You run locally on the developer's machine.",
  "Answer accurately and concisely in Markdown. Put code in fenced code blocks with a language tag.",
  "Code the developer attached is quoted with its workspace path and line numbers: refer to it by path and line.",
  "When you change existing code, write each changed function or class out in full, without \"...\" placeholders, so it can be applied to the file.",
  "When you are not sure, say so instead of guessing.",
].join(" ");

/**
 * Added to the system prompt when the question is asked with the workspace: the host puts the workspace's
 * files (the same ones inline completion sees) in front of the conversation.
 */
export const WORKSPACE_NOTE =
  "The developer's workspace files are shared before this conversation, each with its path: use them to answer, and name the files you refer to.";

/** An `@workspace` mention at the start of a message: asks with the workspace as context. */
const WORKSPACE_MENTION = /^\s*@workspace\b[\s,:]*/i;

/** Strips a leading `@workspace` mention; `workspace` says whether there was one. */
export function parseWorkspaceMention(text: string): { text: string; workspace: boolean } {
  const m = WORKSPACE_MENTION.exec(text);
  return m ? { text: text.slice(m[0].length).trim(), workspace: true } : { text, workspace: false };
}

/** About 15K tokens of Gemma 4 text: long enough for a real conversation, bounded for slow CPUs. */
export const DEFAULT_BUDGET_CHARS = 60_000;
/** Most characters of one context chip in a prompt (a chip is also refused above this when added). */
export const MAX_CHIP_CHARS = 64_000;
/** Gemma 4 encodes an image in about 280–340 tokens (1024×768 → 336); ~4 characters per token. */
export const IMAGE_COST_CHARS = 1_400;
/** Gemma 4 encodes audio at 25 tokens per second. */
const AUDIO_TOKENS_PER_SECOND = 25;
const CHARS_PER_TOKEN = 4;

export interface PromptOptions {
  budgetChars?: number;
  systemPrompt?: string;
  maxChipChars?: number;
  /** An answer being continued goes after the question: its length is kept out of the earlier exchanges' budget. */
  continuing?: string;
}

/** Text sent when the user sent only attachments or context. */
export function defaultQuestion(turn: Pick<ChatTurn, "attachments" | "context">): string {
  const kinds = new Set((turn.attachments ?? []).map((a) => a.kind));
  if (kinds.has("audio") && kinds.has("image")) return "Describe the attached image and audio.";
  if (kinds.has("audio")) return "Transcribe and summarize the attached audio.";
  if (kinds.has("image")) return "Explain the attached image.";
  if (turn.context?.length) return "Explain this code.";
  return "";
}

/**
 * Builds the messages for answering the last user turn in `turns` (anything after it is ignored).
 * Throws if there is no user turn.
 */
export function buildPrompt(turns: readonly ChatTurn[], options: PromptOptions = {}): ChatMessage[] {
  const budget = options.budgetChars ?? DEFAULT_BUDGET_CHARS;
  const system = options.systemPrompt ?? SYSTEM_PROMPT;
  const maxChip = options.maxChipChars ?? MAX_CHIP_CHARS;

  let last = -1;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i].role === "user") {
      last = i;
      break;
    }
  }
  if (last < 0) throw new Error("buildPrompt: the transcript has no user turn to answer");

  // Earlier exchanges: each answered user turn with the assistant text that followed it.
  const exchanges: { user: ChatMessage; assistant: ChatMessage; cost: number }[] = [];
  for (let i = 0; i < last; i++) {
    const turn = turns[i];
    if (turn.role !== "user") continue;
    const next = turns[i + 1];
    if (!next || next.role !== "assistant" || !next.text.trim()) continue;
    const user = userMessage(turn, maxChip);
    const assistant: ChatMessage = { role: "assistant", content: next.text };
    exchanges.push({ user, assistant, cost: messageCost(user) + messageCost(assistant) });
  }

  const current = userMessage(turns[last], maxChip);
  let used = system.length + messageCost(current) + (options.continuing?.length ?? 0);
  const kept: typeof exchanges = [];
  for (let i = exchanges.length - 1; i >= 0; i--) {
    if (used + exchanges[i].cost > budget) break;
    used += exchanges[i].cost;
    kept.unshift(exchanges[i]);
  }

  const messages: ChatMessage[] = [];
  if (system) messages.push({ role: "system", content: system });
  for (const e of kept) messages.push(e.user, e.assistant);
  messages.push(current);
  if (options.continuing !== undefined) messages.push({ role: "assistant", content: options.continuing });
  return messages;
}

function userMessage(turn: ChatTurn, maxChip: number): ChatMessage {
  const blocks = (turn.context ?? []).map((c) => renderChip(c, maxChip));
  const notes: string[] = [];
  const media: ChatContentPart[] = [];
  for (const a of turn.attachments ?? []) {
    if (!a.data) notes.push(`[The ${a.kind} “${a.name}” was attached here but is no longer available.]`);
    else media.push({ type: a.kind, data: a.data, mimeType: a.mimeType });
  }
  const question = turn.prompt?.trim() || turn.text.trim() || defaultQuestion(turn);
  const text = [...blocks, ...notes, question].filter(Boolean).join("\n\n");
  if (!media.length) return { role: "user", content: text };
  return { role: "user", content: [...media, { type: "text", text }] };
}

/** Characters a message is counted as: its text plus an estimate for each image or audio part. */
export function messageCost(m: ChatMessage): number {
  if (typeof m.content === "string") return m.content.length;
  let n = 0;
  for (const p of m.content) {
    if (p.type === "text") n += p.text.length;
    else if (p.type === "image") n += IMAGE_COST_CHARS;
    else n += audioCostChars(p.data, p.mimeType);
  }
  return n;
}

/** Estimated prompt characters for audio: its duration (from the WAV header, else a typical bitrate) × 25 tokens/s. */
export function audioCostChars(data: string, mimeType: string): number {
  const bytes = Math.floor((data.length * 3) / 4);
  let bytesPerSecond = 16_000; // MP3 at 128 kbit/s
  if (/flac/.test(mimeType)) bytesPerSecond = 88_000; // ~700 kbit/s
  if (/ogg|opus/.test(mimeType)) bytesPerSecond = 6_000; // a voice note: Opus at ~48 kbit/s
  if (/wav|wave/.test(mimeType)) {
    const head = Buffer.from(data.slice(0, 64), "base64");
    const byteRate = head.length >= 32 && head.toString("latin1", 0, 4) === "RIFF" ? head.readUInt32LE(28) : 0;
    bytesPerSecond = byteRate > 0 ? byteRate : 32_000; // 16 kHz mono 16-bit
  }
  const seconds = bytes / bytesPerSecond;
  return Math.max(IMAGE_COST_CHARS, Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND * CHARS_PER_TOKEN));
}

// ---------------------------------------------------------------------------------------------------
// Context chips

/** A fence longer than any run of backticks in `text`, so the code cannot close it early. */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return "`".repeat(Math.max(3, longest + 1));
}

export function chipLabel(chip: ContextChip): string {
  if (chip.kind === "selection" && chip.range) {
    const [a, b] = chip.range;
    return a === b ? `${chip.path}:${a}` : `${chip.path}:${a}-${b}`;
  }
  return chip.path;
}

/** A chip as Markdown: a header with path and lines, then the code fenced with its language. */
export function renderChip(chip: ContextChip, maxChars = MAX_CHIP_CHARS): string {
  let text = chip.text.replace(/\r\n/g, "\n");
  let note = "";
  if (text.length > maxChars) {
    const cut = text.lastIndexOf("\n", maxChars);
    const kept = text.slice(0, cut > 0 ? cut : maxChars);
    const rest = text.slice(kept.length).replace(/^\n/, "").replace(/\n$/, "");
    const dropped = rest ? rest.split("\n").length : 0;
    text = kept;
    note = `\n(${dropped} more line${dropped === 1 ? "" : "s"} not included)`;
  }
  if (!text.endsWith("\n")) text += "\n";
  const where =
    chip.kind === "selection" && chip.range
      ? chip.range[0] === chip.range[1]
        ? `line ${chip.range[0]}`
        : `lines ${chip.range[0]}-${chip.range[1]}`
      : "whole file";
  const fence = fenceFor(text);
  return `\`${chip.path}\` (${where}):\n${fence}${fenceTag(chip.languageId)}\n${text}${fence}${note}`;
}

// ---------------------------------------------------------------------------------------------------
// Secrets

/**
 * Why a file must not be sent to the model (its name or folder says it holds keys, credentials or
 * environment variables — the host's own policy, server/secrets.ts), or undefined when it may.
 */
export function secretFileReason(filePath: string): string | undefined {
  if (!isSecretPath(filePath)) return undefined;
  const name = filePath.split(/[\\/]/).pop() || filePath;
  return `${name} looks like a secrets file (keys, credentials or environment variables), so Hearth does not add it to the chat.`;
}

// ---------------------------------------------------------------------------------------------------
// Languages: VS Code language ids ↔ Markdown fence tags

const ID_TO_FENCE: Record<string, string> = {
  typescriptreact: "tsx",
  javascriptreact: "jsx",
  shellscript: "sh",
  csharp: "cs",
  "objective-c": "objc",
  "objective-cpp": "objcpp",
  plaintext: "text",
  dockercompose: "yaml",
};

export function fenceTag(languageId: string): string {
  return ID_TO_FENCE[languageId] ?? languageId;
}

const FENCE_TO_ID: Record<string, string> = {
  ts: "typescript",
  mts: "typescript",
  cts: "typescript",
  tsx: "typescriptreact",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  node: "javascript",
  jsx: "javascriptreact",
  py: "python",
  python3: "python",
  sh: "shellscript",
  bash: "shellscript",
  zsh: "shellscript",
  shell: "shellscript",
  console: "shellscript",
  ps: "powershell",
  ps1: "powershell",
  pwsh: "powershell",
  rb: "ruby",
  rs: "rust",
  golang: "go",
  kt: "kotlin",
  kts: "kotlin",
  cs: "csharp",
  "c#": "csharp",
  "c++": "cpp",
  cc: "cpp",
  cxx: "cpp",
  hpp: "cpp",
  h: "c",
  objc: "objective-c",
  objcpp: "objective-cpp",
  yml: "yaml",
  md: "markdown",
  htm: "html",
  xhtml: "html",
  svg: "xml",
  docker: "dockerfile",
  make: "makefile",
  mk: "makefile",
  tf: "terraform",
  hcl: "terraform",
  text: "plaintext",
  txt: "plaintext",
  plain: "plaintext",
  proto: "proto3",
  patch: "diff",
  gql: "graphql",
  ex: "elixir",
  exs: "elixir",
  erl: "erlang",
  hs: "haskell",
  ml: "ocaml",
  pl: "perl",
};

/**
 * The VS Code language id for a fence tag: the tag itself when VS Code knows it, else a known alias, else
 * `plaintext`. `known` is `vscode.languages.getLanguages()`.
 */
export function languageIdForFence(tag: string | undefined, known: readonly string[]): string {
  const t = (tag ?? "").trim().toLowerCase();
  if (!t) return "plaintext";
  if (known.includes(t)) return t;
  const alias = FENCE_TO_ID[t];
  if (alias && known.includes(alias)) return alias;
  return "plaintext";
}
