/**
 * Prompt layout for inline code completion.
 *
 * Two modes:
 *  - "gemma-turns": Gemma 4 has no FIM tokens (llama-server `/infill` refuses it), so
 *    we build a chat-formatted prompt for the raw `/completion` endpoint: a constant,
 *    task-neutral system turn, one user turn per stable workspace chunk (this prefix is
 *    shared with workspace chat: workspacePrefixPrompt), one user turn with recent
 *    snippets, one user turn with the code AFTER the cursor (starting with HOLE_MARKER)
 *    and the completion instructions, then the model turn, opened with an EMPTY thought channel
 *    (thinking off) and pre-filled with an opening code fence plus the file up to the
 *    cursor (line window). The model just keeps writing code, and a keystroke at the
 *    cursor only appends to the prompt, so llama-server's near-end checkpoints and
 *    the KV prefix cache cover everything but the typed characters.
 *  - "native-fim": for GGUFs that do have FIM tokens: file-separated context, then
 *    classic PSM `{fim_prefix}{prefix}{fim_suffix}{suffix}{fim_middle}`.
 *
 * Cache layout (both modes): [constant header][workspace chunks, in the given order]
 * → volatileStart → [recent snippets][code after the cursor + instruction][file up to
 * the cursor] (native-fim: PSM order, as the models are trained).
 * Nothing before `volatileStart` depends on the cursor, the current file, or the
 * recent snippets, so it stays byte-identical between keystrokes. In gemma-turns
 * mode every section starts with `<|turn>user`, which is the user-message delimiter
 * llama-server uses to place context checkpoints (needed because Gemma 4 uses SWA);
 * the engine must send GEMMA4_MESSAGE_DELIMITERS as `message_delimiters` on
 * `/completion` requests, otherwise the server sees no message boundaries.
 *
 * See docs/completion-prompt.md for the full rationale and literal examples.
 */

/**
 * Version of the prompt layout. Part of the persisted workspace prefix's key: bump it whenever the text
 * this file produces before `volatileStart` changes, so saved engine caches of the old layout are rebuilt.
 */
export const LAYOUT_VERSION = 2;

export interface ContextChunk {
  path: string;
  text: string;
  /**
   * An earlier copy of this file stays further up in the prefix (kept there so the engine need not
   * re-evaluate everything after it, see server/workspace/index.ts): the turn says this one replaces it.
   */
  replacesEarlier?: boolean;
}

export interface CompletionInput {
  /** workspace-relative path shown to the model */
  filePath: string;
  languageId: string;
  /** document text before the cursor (may be large: the layout trims to a line window) */
  prefix: string;
  /** document text after the cursor */
  suffix: string;
  /** stable, cache-friendly context (first) */
  workspaceChunks?: ContextChunk[];
  /** recently edited/viewed snippets (after workspace) */
  recentChunks?: ContextChunk[];
}

export interface FimTokens {
  prefix: string;
  suffix: string;
  middle: string;
  fileSeparator?: string;
}

export interface LayoutOptions {
  fim?: FimTokens;
  /**
   * lines of prefix kept, cursor line included (default 256). The window start is
   * snapped to multiples of max(1, floor(maxPrefixLines / 8)) document lines, so it moves
   * only every 32 new lines instead of on every Enter (the prompt stays a cache hit);
   * the window therefore holds between 7/8 of maxPrefixLines and maxPrefixLines lines.
   */
  maxPrefixLines?: number;
  /** lines of suffix kept, rest of the cursor line included (default 64) */
  maxSuffixLines?: number;
  /** safety cap on prefix characters after line trimming (default 32000) */
  maxPrefixChars?: number;
  /** safety cap on suffix characters after line trimming (default 8000) */
  maxSuffixChars?: number;
}

export interface CompletionPrompt {
  mode: "gemma-turns" | "native-fim";
  prompt: string;
  stop: string[];
  /** index in prompt where the per-request part starts */
  volatileStart: number;
  /**
   * Index in prompt where the cursor's line starts: right after a newline or a special token, and the line
   * never starts with a newline (it is the window's last). Between volatileStart and here nothing changes while
   * the user types on that line, and a tokenizer that splits text into newline / non-newline runs before its
   * merges (Gemma 4's) never makes a token across it (PrefixTokens sends that part as ids, tokenized once).
   */
  lineStart: number;
}

export const DEFAULT_MAX_PREFIX_LINES = 256;
export const DEFAULT_MAX_SUFFIX_LINES = 64;
export const DEFAULT_MAX_PREFIX_CHARS = 32_000;
export const DEFAULT_MAX_SUFFIX_CHARS = 8_000;

/** Marks the cursor inside the current file shown to the model (gemma-turns mode). */
export const HOLE_MARKER = "{{CURSOR}}";

/**
 * Send as `message_delimiters` in the `/completion` request body: llama-server then
 * places context checkpoints at the start of our user turns (checkpoints are only
 * created at user-message starts, at least `--checkpoint-min-step` tokens apart, and
 * always at the LAST user message, i.e. the current-file turn).
 */
export const GEMMA4_MESSAGE_DELIMITERS: ReadonlyArray<{ role: "user" | "assistant"; delimiter: string }> = [
  { role: "user", delimiter: "<|turn>user" },
  { role: "assistant", delimiter: "<|turn>model" },
];

/**
 * Every control / user-defined token of the Gemma 4 vocabulary (read from the GGUF).
 * `/completion` parses special tokens in the prompt string (and user-defined tokens
 * are matched even without special parsing), so these strings must never reach the
 * tokenizer verbatim from file content: see escapeSpecialTokens.
 */
export const GEMMA4_SPECIAL_TOKENS: readonly string[] = [
  "<pad>", "<eos>", "<bos>", "<unk>", "<mask>",
  "<|tool>", "<tool|>", "<|tool_call>", "<tool_call|>", "<|tool_response>", "<tool_response|>",
  '<|"|>', "<|think|>", "<|channel>", "<channel|>", "<|turn>", "<turn|>",
  "<|image>", "<|audio>", "<|image|>", "<|audio|>", "<image|>", "<audio|>", "<|video|>",
];

/** Inserted after the first character of a special-token string found in user text. */
export const ESCAPE_CHAR = "\u200B";

/**
 * The constant system turn of the workspace prefix. It is shared by completions and workspace chat (both
 * reuse the same evaluated prefix), so it only frames the files; each task's instructions live in its own
 * volatile part (completions: the current-file turn; chat: the conversation).
 */
const GEMMA_SYSTEM =
  "The user shares reference files from their workspace, one file or part of a file per turn. " +
  "Their request follows these files.";

const GEMMA_ESCAPED: readonly string[] = [...GEMMA4_SPECIAL_TOKENS, HOLE_MARKER];

export const GEMMA_TURN_USER = "<|turn>user\n";
export const GEMMA_TURN_MODEL = "<|turn>model\n";
export const GEMMA_TURN_END = "<turn|>\n";
/** Generation prompt with thinking disabled, exactly as the chat template renders it. */
export const GEMMA_MODEL_NO_THINKING = GEMMA_TURN_MODEL + "<|channel>thought\n<channel|>";

/**
 * The cache-stable start of every prompt for these workspace chunks: what the completions slot keeps
 * evaluated, what the PrefixStore persists, and what a workspace chat starts with. The one source of truth
 * for the text before `volatileStart`: the layouts below begin with exactly this string.
 * Gemma turns: the constant system turn + one `<|turn>user` turn per chunk; native FIM: one file block per
 * chunk.
 */
export function workspacePrefixPrompt(chunks: readonly ContextChunk[], fim?: FimTokens): string {
  const { head, parts } = workspacePrefixParts(chunks, fim);
  return head + parts.join("");
}

/** Where each chunk's part of workspacePrefixPrompt(chunks, fim) ends, in characters. */
export function workspacePrefixEnds(chunks: readonly ContextChunk[], fim?: FimTokens): number[] {
  const { head, parts } = workspacePrefixParts(chunks, fim);
  let at = head.length;
  return parts.map((p) => (at += p.length));
}

function workspacePrefixParts(chunks: readonly ContextChunk[], fim?: FimTokens): { head: string; parts: string[] } {
  if (fim) return { head: "", parts: fimWorkspaceParts(chunks, fim) };
  const parts = chunks.map((c) => renderedChunk(c, c.replacesEarlier ? "gemma-replaces" : "gemma", gemmaChunkTurn));
  return { head: "<|turn>system\n" + GEMMA_SYSTEM + GEMMA_TURN_END, parts };
}

function gemmaChunkTurn(chunk: ContextChunk): string {
  // The hole marker is escaped too, so a file that contains it literally (e.g. this one)
  // cannot show the model a second cursor.
  const note = chunk.replacesEarlier ? " (edited since the copy above, which is out of date)" : "";
  return GEMMA_TURN_USER + "Workspace file: " + escGemma(chunk.path) + note + "\n" + fencedBlock(escGemma(chunk.text), languageForPath(chunk.path)) + GEMMA_TURN_END;
}

/**
 * Each workspace chunk's rendering, kept per chunk object: the workspace index hands out the same frozen chunk
 * objects until a file changes, and escaping + fencing every chunk again on every keystroke was most of the
 * host's time per completion (3 ms of 6 for a 280 KB prefix). Checked against the chunk's current path and
 * text, so a mutated or look-alike chunk is rendered afresh.
 */
const chunkRenderings = new WeakMap<ContextChunk, { key: string; path: string; text: string; out: string }>();

function renderedChunk(chunk: ContextChunk, key: string, render: (c: ContextChunk) => string): string {
  const hit = chunkRenderings.get(chunk);
  if (hit && hit.key === key && hit.path === chunk.path && hit.text === chunk.text) return hit.out;
  const out = render(chunk);
  chunkRenderings.set(chunk, { key, path: chunk.path, text: chunk.text, out });
  return out;
}

/** Special tokens the volatile part of a layout starts with (where a token split is exact). */
export function splitBoundaries(mode: CompletionPrompt["mode"], fim?: FimTokens): string[] {
  if (mode === "gemma-turns") return ["<|turn>"];
  return fim ? [fim.fileSeparator ?? "", fim.prefix].filter((s) => s !== "") : [];
}

/** Escapes untrusted text (paths, file content) for a gemma-turns prompt: special tokens and the hole marker. */
function escGemma(s: string): string {
  return escapeSpecialTokens(s, GEMMA_ESCAPED);
}

export function layoutCompletionPrompt(input: CompletionInput, opts: LayoutOptions = {}): CompletionPrompt {
  return opts.fim ? layoutNativeFim(input, opts.fim, opts) : layoutGemmaTurns(input, opts);
}

// ---------------------------------------------------------------------------
// gemma-turns
// ---------------------------------------------------------------------------

function layoutGemmaTurns(input: CompletionInput, opts: LayoutOptions): CompletionPrompt {
  const esc = escGemma;

  // Stable part: constant system turn + one user turn per workspace chunk.
  let prompt = workspacePrefixPrompt(input.workspaceChunks ?? []);
  const volatileStart = prompt.length;

  // Recent snippets: one turn (semi-stable: changes when the user edits another file).
  const recent = input.recentChunks ?? [];
  if (recent.length > 0) {
    const parts = recent.map(
      (c) => esc(c.path) + "\n" + fencedBlock(esc(c.text), languageForPath(c.path)),
    );
    prompt += GEMMA_TURN_USER + "Recently edited code:\n\n" + parts.join("\n\n") + GEMMA_TURN_END;
  }

  // Current file, part 1: the code AFTER the cursor, and the instruction. It does not
  // change while the user types at the cursor.
  const { prefix, suffix } = windowAroundCursor(input, opts);
  const lang = fenceLanguage(input.languageId);
  const fence = fenceFor(normalizeEol(input.prefix) + normalizeEol(input.suffix), input.languageId);
  const path = esc(input.filePath);
  const after = esc(suffix).replace(/\s+$/, "");
  prompt +=
    GEMMA_TURN_USER +
    "File being edited: " + path + "\n" +
    (after === ""
      ? `Nothing follows the cursor (${HOLE_MARKER}): it is at the end of the file.\n`
      : `The code after the cursor (${HOLE_MARKER}):\n` + fence + lang + "\n" + HOLE_MARKER + after + "\n" + fence + "\n") +
    // The completion rules live here, not in the shared system turn (workspace chat reuses that prefix).
    `You are a code completion engine. Reply with exactly one fenced code block and nothing else: it ` +
    `reproduces ${path} up to ${HOLE_MARKER}, then continues with only the missing code at ${HOLE_MARKER}. ` +
    `Close the code block as soon as your code reaches the code that follows ${HOLE_MARKER}; never repeat ` +
    `that code.` +
    GEMMA_TURN_END;

  // Current file, part 2: the model turn (thinking off), pre-filled with the file up to
  // the cursor, so the model continues the code in place. This is the only part that
  // changes per keystroke, and it is at the very end of the prompt.
  prompt += GEMMA_MODEL_NO_THINKING + fence + lang + "\n";
  const prefill = esc(prefillFor(prefix));
  const lineStart = prompt.length + prefill.lastIndexOf("\n") + 1;
  prompt += prefill;

  return {
    mode: "gemma-turns",
    prompt,
    stop: ["<turn|>", "<|turn>", "<|channel>", "\n" + fence, HOLE_MARKER],
    volatileStart,
    lineStart,
  };
}

/**
 * The model turn is pre-filled with the (windowed) file up to the cursor, without
 * trailing spaces/tabs. Gemma's tokenizer attaches a space to the following word
 * (" foo") and indentation is a token of its own, so a prompt ending in a lone " " is
 * out of distribution: the model emits the whitespace itself and postprocess drops the
 * part the document already has.
 */
export function prefillFor(prefixWindow: string): string {
  return normalizeEol(prefixWindow).replace(/[ \t]+$/, "");
}

// ---------------------------------------------------------------------------
// native-fim
// ---------------------------------------------------------------------------

function fimSpecials(fim: FimTokens): string[] {
  return [fim.prefix, fim.suffix, fim.middle, ...(fim.fileSeparator ? [fim.fileSeparator] : [])];
}

function fimFileBlock(c: ContextChunk, fim: FimTokens): string {
  const esc = (s: string) => escapeSpecialTokens(s, fimSpecials(fim), true);
  const text = esc(normalizeEol(c.text)).replace(/\n*$/, "\n");
  return fim.fileSeparator
    ? fim.fileSeparator + esc(c.path) + "\n" + text
    : commentLineFor(c.path, "Path: " + esc(c.path)) + "\n" + text + "\n";
}

function fimWorkspaceParts(chunks: readonly ContextChunk[], fim: FimTokens): string[] {
  const key = "fim\0" + fim.prefix + "\0" + fim.suffix + "\0" + fim.middle + "\0" + (fim.fileSeparator ?? "");
  return chunks.map((c) => renderedChunk(c, key, (x) => fimFileBlock(x, fim)));
}

function layoutNativeFim(input: CompletionInput, fim: FimTokens, opts: LayoutOptions): CompletionPrompt {
  const specials = fimSpecials(fim);
  const esc = (s: string) => escapeSpecialTokens(s, specials, true);

  let prompt = workspacePrefixPrompt(input.workspaceChunks ?? [], fim);
  const volatileStart = prompt.length;
  for (const chunk of input.recentChunks ?? []) prompt += fimFileBlock(chunk, fim);

  const { prefix, suffix } = windowAroundCursor(input, opts);
  const path = esc(input.filePath);
  const header = fim.fileSeparator
    ? fim.fileSeparator + path + "\n"
    : "";
  const pathComment = fim.fileSeparator ? "" : commentLineFor(input.filePath, "Path: " + path) + "\n";
  prompt += header + fim.prefix + pathComment;
  const before = esc(prefix);
  const lineStart = prompt.length + before.lastIndexOf("\n") + 1;
  prompt += before + fim.suffix + esc(suffix) + fim.middle;

  const stop = uniq([...specials, "<|endoftext|>"]);
  return { mode: "native-fim", prompt, stop, volatileStart, lineStart };
}

// ---------------------------------------------------------------------------
// shared helpers (also used by postprocess.ts)
// ---------------------------------------------------------------------------

export function normalizeEol(text: string): string {
  return text.indexOf("\r") === -1 ? text : text.replace(/\r\n?/g, "\n");
}

/**
 * Trim prefix/suffix to line windows around the cursor (cursor line counted in both),
 * then to character caps (cut at a line boundary when possible).
 */
export function windowAroundCursor(
  input: Pick<CompletionInput, "prefix" | "suffix">,
  opts: LayoutOptions = {},
  snap = true,
): { prefix: string; suffix: string } {
  const maxPrefixLines = Math.max(1, opts.maxPrefixLines ?? DEFAULT_MAX_PREFIX_LINES);
  const maxSuffixLines = Math.max(1, opts.maxSuffixLines ?? DEFAULT_MAX_SUFFIX_LINES);
  const maxPrefixChars = opts.maxPrefixChars ?? DEFAULT_MAX_PREFIX_CHARS;
  const maxSuffixChars = opts.maxSuffixChars ?? DEFAULT_MAX_SUFFIX_CHARS;

  let prefix = normalizeEol(input.prefix);
  let keepLines = maxPrefixLines;
  if (snap) {
    // keep lines from a document line index that is a multiple of `step`
    const step = Math.max(1, Math.floor(maxPrefixLines / 8));
    let total = 1;
    for (let i = prefix.indexOf("\n"); i !== -1; i = prefix.indexOf("\n", i + 1)) total++;
    const firstKept = Math.max(0, Math.ceil((total - maxPrefixLines) / step) * step);
    keepLines = total - firstKept;
  }
  // Walk newlines from the cursor outwards.
  let start = prefix.length;
  for (let n = 1; n < keepLines && start > 0; n++) start = prefix.lastIndexOf("\n", start - 1);
  if (start > 0) start = prefix.lastIndexOf("\n", start - 1) + 1;
  prefix = prefix.slice(Math.max(0, start));
  if (prefix.length > maxPrefixChars) {
    const cut = prefix.length - maxPrefixChars;
    const nl = prefix.indexOf("\n", cut);
    prefix = nl !== -1 ? prefix.slice(nl + 1) : prefix.slice(cut);
  }

  let suffix = normalizeEol(input.suffix);
  let end = -1;
  for (let n = 0; n < maxSuffixLines; n++) {
    end = suffix.indexOf("\n", end + 1);
    if (end === -1) break;
  }
  if (end !== -1) suffix = suffix.slice(0, end);
  if (suffix.length > maxSuffixChars) {
    const nl = suffix.lastIndexOf("\n", maxSuffixChars);
    suffix = nl > 0 ? suffix.slice(0, nl) : suffix.slice(0, maxSuffixChars);
  }
  return { prefix, suffix };
}

const MARKDOWN_LIKE = new Set(["markdown", "mdx", "quarto", "rmd", "restructuredtext", "plaintext"]);

/**
 * A backtick fence longer than any backtick run in `text` (CommonMark rule), at least 3
 * (at least 4 for markdown-like documents, so the document's own ``` fences are content).
 * Deterministic in `text`, so postprocess can recompute the fence the layout used.
 */
export function fenceFor(text: string, languageId?: string): string {
  let longest = 0;
  const re = /`{3,}/g; // shorter runs never matter: the fence is at least 3 long
  for (let m = re.exec(text); m; m = re.exec(text)) longest = Math.max(longest, m[0].length);
  const min = languageId && MARKDOWN_LIKE.has(languageId) ? 4 : 3;
  return "`".repeat(Math.max(min, longest + 1));
}

function fencedBlock(text: string, lang: string): string {
  const body = normalizeEol(text).replace(/\n+$/, "");
  const fence = fenceFor(body);
  return fence + lang + "\n" + body + "\n" + fence;
}

const FENCE_LANG: Record<string, string> = {
  typescriptreact: "tsx",
  javascriptreact: "jsx",
  shellscript: "bash",
  plaintext: "",
  jsonc: "jsonc",
};

/** Info string used after the opening fence for a VS Code languageId. */
export function fenceLanguage(languageId: string): string {
  const lang = languageId in FENCE_LANG ? FENCE_LANG[languageId] : languageId;
  return /^[\w+#.-]*$/.test(lang) ? lang : "";
}

const EXT_LANG: Record<string, string> = {
  ts: "typescript", mts: "typescript", cts: "typescript", tsx: "tsx",
  js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "jsx",
  py: "python", pyi: "python", go: "go", rs: "rust", java: "java", kt: "kotlin", kts: "kotlin",
  c: "c", h: "c", cc: "cpp", cpp: "cpp", cxx: "cpp", hpp: "cpp", hh: "cpp", cs: "csharp",
  swift: "swift", rb: "ruby", php: "php", lua: "lua", dart: "dart", scala: "scala",
  sh: "bash", bash: "bash", zsh: "bash", ps1: "powershell",
  json: "json", jsonc: "jsonc", yaml: "yaml", yml: "yaml", toml: "toml", xml: "xml",
  html: "html", htm: "html", css: "css", scss: "scss", less: "less", vue: "vue", svelte: "svelte",
  md: "markdown", sql: "sql", r: "r", ex: "elixir", exs: "elixir", hs: "haskell", zig: "zig", jl: "julia",
  // notebooks are shown as percent-format scripts (server/completion/notebook.ts); most are Python
  ipynb: "python",
};

export function languageForPath(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? "";
  if (/^dockerfile$/i.test(base)) return "dockerfile";
  if (/^makefile$/i.test(base)) return "makefile";
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return "";
  return EXT_LANG[base.slice(dot + 1).toLowerCase()] ?? "";
}

const HASH_COMMENT = new Set([
  "python", "bash", "shellscript", "ruby", "perl", "yaml", "toml", "r", "julia", "elixir", "powershell", "coffeescript",
  "dockerfile", "makefile",
]);
const DASH_COMMENT = new Set(["sql", "lua", "haskell"]);
const PERCENT_COMMENT = new Set(["matlab", "octave"]);

/** The line comment of a language (a VS Code language id or one of languageForPath's names); `//` by default. */
export function lineCommentFor(languageId: string): string {
  if (HASH_COMMENT.has(languageId)) return "#";
  if (DASH_COMMENT.has(languageId)) return "--";
  if (PERCENT_COMMENT.has(languageId)) return "%";
  return "//";
}

function commentLineFor(path: string, text: string): string {
  const lang = languageForPath(path);
  if (lang === "html" || lang === "xml" || lang === "markdown" || lang === "vue" || lang === "svelte") {
    return "<!-- " + text + " -->";
  }
  return lineCommentFor(lang) + " " + text;
}

/**
 * Neutralise special-token strings inside untrusted text (file content, paths) by
 * inserting ESCAPE_CHAR after their first character, so the tokenizer sees plain text.
 * With `genericPipeTokens`, also escapes anything shaped like `<|name|>`.
 * postprocess removes the escape again if the model copies it.
 */
export function escapeSpecialTokens(text: string, tokens: readonly string[], genericPipeTokens = false): string {
  const alternatives = tokens.filter((t) => t.length > 1).map(escapeRegExp);
  if (genericPipeTokens) alternatives.push("<\\|[\\w.-]+\\|>");
  if (alternatives.length === 0) return text;
  const re = new RegExp(alternatives.join("|"), "g");
  return text.replace(re, (tok) => tok[0] + ESCAPE_CHAR + tok.slice(1));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs.filter((x) => x.length > 0))];
}
