/**
 * Post-processing of raw completion text (what the model generated after the prompt,
 * i.e. after the prefill in gemma-turns mode, or after `<fim_middle>` in native-fim
 * mode) into the text to insert at the cursor. Mode-agnostic: every rule only looks at
 * the raw text and the document around the cursor.
 *
 * Rules, applied in order (each a small exported function, documented in
 * docs/completion-prompt.md and covered by test/fixtures/completion/*.json):
 *   1. stripChatLeakage          cut at turn/control tokens and the hole marker, drop thought blocks
 *   2. stripCodeFences           drop a leading fence / prose intro, cut at a closing fence
 *   3. unescapeSpecialTokens     undo the layout's zero-width escapes if the model copied them
 *   4. dropRepeatedPrefix        the model restarted from the line(s) before the cursor
 *   5. fixIndentation            tabs/spaces as the file, cursor-line whitespace, relative indentation
 *   6. keepFirstLineIfSingleLine single-line mode
 *   7. stopAtSuffixStart         the completion runs into the text after the cursor
 *   8. cutAtClosersHeldBySuffix  closers/quotes that the suffix already provides
 *   9. dropRepeatedSuffixLines   trailing lines that duplicate the lines after the cursor
 *  10. trimTrailingBlankLines
 *  11. emptyIfBlank
 *
 * Output uses "\n" line endings (VS Code normalises inserted text to the document EOL).
 */

import { ESCAPE_CHAR, HOLE_MARKER, fenceFor, normalizeEol, windowAroundCursor } from "./layout";

export interface PostprocessInput {
  prefix: string;
  suffix: string;
  languageId: string;
  /** default true */
  multiline?: boolean;
}

/**
 * Normalised view of the document around the cursor, shared by the rules. `prefix` and
 * `suffix` are windows (see CONTEXT_WINDOW) so a keystroke in a huge file stays cheap;
 * the rules only need the code near the cursor.
 */
export interface CursorContext {
  prefix: string;
  suffix: string;
  languageId: string;
  multiline: boolean;
  /** text of the cursor's line before the cursor */
  linePrefix: string;
  /** text of the cursor's line after the cursor */
  lineSuffix: string;
  /** the fence the layout used for this document (computed on the whole document) */
  fence: string;
}

/** How much of the document around the cursor the rules look at. */
export const CONTEXT_WINDOW = { prefixLines: 2000, prefixChars: 100_000, suffixLines: 1000, suffixChars: 50_000 };

export type PostprocessRule = (text: string, ctx: CursorContext) => string;

export function postprocessCompletion(raw: string, input: PostprocessInput): string {
  const ctx = cursorContext(input);
  let text = normalizeEol(raw);
  for (const rule of POSTPROCESS_RULES) {
    text = rule(text, ctx);
    if (text === "") return "";
  }
  return text;
}

export function cursorContext(input: PostprocessInput): CursorContext {
  const fullPrefix = normalizeEol(input.prefix);
  const fullSuffix = normalizeEol(input.suffix);
  const fence = fenceFor(fullPrefix + fullSuffix, input.languageId);
  const { prefix, suffix } = windowAroundCursor(
    { prefix: fullPrefix, suffix: fullSuffix },
    {
      maxPrefixLines: CONTEXT_WINDOW.prefixLines,
      maxPrefixChars: CONTEXT_WINDOW.prefixChars,
      maxSuffixLines: CONTEXT_WINDOW.suffixLines,
      maxSuffixChars: CONTEXT_WINDOW.suffixChars,
    },
    false,
  );
  const nlBefore = prefix.lastIndexOf("\n");
  const nlAfter = suffix.indexOf("\n");
  return {
    prefix,
    suffix,
    languageId: input.languageId,
    multiline: input.multiline ?? true,
    linePrefix: prefix.slice(nlBefore + 1),
    lineSuffix: nlAfter === -1 ? suffix : suffix.slice(0, nlAfter),
    fence,
  };
}

// ---------------------------------------------------------------------------
// 1. chat leakage
// ---------------------------------------------------------------------------

/** Any of these ends the completion (turn/control tokens, FIM/file tokens, the hole marker). */
const LEAK_CUT =
  /<turn\|>|<\|turn>|<\|tool_call>|<\|tool_response>|<\|tool>|<\|think\|>|<eos>|<bos>|<\|endoftext\|>|<\|(?:fim_[a-z]+|file_sep|repo_name|im_start|im_end)\|>|<(?:fim_[a-z]+|file_sep|repo_name)>/;

/**
 * Remove `<|channel>…<channel|>` blocks (an unterminated one removes the rest), stray
 * `<channel|>`, and cut at the first turn/control token or at the hole marker (the
 * model started copying the input file).
 *   "x + 1;<turn|>\n<|turn>user" → "x + 1;"
 */
export function stripChatLeakage(text: string): string {
  let out = text.replace(/<\|channel>[\s\S]*?<channel\|>/g, "");
  const open = out.indexOf("<|channel>");
  if (open !== -1) out = out.slice(0, open);
  out = out.split("<channel|>").join("");
  const m = LEAK_CUT.exec(out);
  if (m) out = out.slice(0, m.index);
  const hole = out.indexOf(HOLE_MARKER);
  if (hole !== -1) out = out.slice(0, hole);
  return out;
}

// ---------------------------------------------------------------------------
// 2. code fences and prose
// ---------------------------------------------------------------------------

const PROSE_LINE =
  /^\s*(?:here(?:'s| is| are)|sure\b|certainly\b|of course\b|okay\b|ok[,.!]|below\b|the (?:missing|completed|following|code)\b|this (?:code|completion)\b)[^;{}=]*[:.!]\s*$/i;
const FENCE_LINE = /^[ \t]*(`{3,})([^`\n]*)$/;
const PROSE_LANGUAGES = new Set(["markdown", "mdx", "plaintext", "restructuredtext", "latex", "quarto", "rmd"]);

/**
 * Drop prose lines before the code ("Here is the completion:") and a leading opening
 * fence with an info string; cut at the first closing fence (a line made only of at
 * least as many backticks as the fence the layout used for this document), or at such a
 * fence closing the block at the end of a code line.
 *   "```ts\nfoo();\n```\nThis calls foo." → "foo();"
 */
export function stripCodeFences(text: string, ctx: CursorContext): string {
  const minFence = ctx.fence.length;
  let lines = text.split("\n");

  // prose intro line(s) before the code (not in prose documents)
  if (!PROSE_LANGUAGES.has(ctx.languageId)) {
    let i = 0;
    while (i < 2 && lines.length > 1 && PROSE_LINE.test(lines[0])) {
      lines = lines.slice(1);
      while (lines.length > 1 && lines[0].trim() === "") lines = lines.slice(1);
      i++;
    }
  }

  // leading fence
  const first = FENCE_LINE.exec(lines[0] ?? "");
  if (first && first[1].length >= minFence) {
    const info = first[2].trim();
    const hasLaterFence = lines.slice(1).some((l) => isClosingFence(l, minFence));
    if (info !== "" || hasLaterFence) {
      lines = lines.slice(1); // an opening fence: drop it
    } else {
      return ""; // a bare closing fence right away: the model had nothing to add
    }
  }

  const close = lines.findIndex((l) => isClosingFence(l, minFence));
  if (close !== -1) lines = lines.slice(0, close);

  // a fence closed at the end of a code line ("return x;```"), outside prose documents
  if (!PROSE_LANGUAGES.has(ctx.languageId)) {
    const inline = new RegExp("[^`]`{" + minFence + ",}[ \\t]*$");
    const at = lines.findIndex((l) => inline.test(l));
    if (at !== -1) {
      lines = lines.slice(0, at + 1);
      lines[at] = lines[at].replace(/`+[ \t]*$/, "");
    }
  }
  return lines.join("\n");
}

function isClosingFence(line: string, minLength: number): boolean {
  const m = /^[ \t]*(`{3,})[ \t]*$/.exec(line);
  return m !== null && m[1].length >= minLength;
}

// ---------------------------------------------------------------------------
// 3. escapes
// ---------------------------------------------------------------------------

/**
 * The layout escapes special-token strings (and the hole marker) in file content by
 * inserting U+200B after their first character ("<", "{"); remove it if copied.
 *   "a <\u200B|turn> b" → "a <|turn> b"
 */
export function unescapeSpecialTokens(text: string): string {
  return text.indexOf(ESCAPE_CHAR) === -1 ? text : text.replace(/([<{])\u200B/g, "$1");
}

// ---------------------------------------------------------------------------
// 4. repeated prefix
// ---------------------------------------------------------------------------

/**
 * If the output starts by repeating the code before the cursor (the cursor's line up
 * to the cursor, optionally with up to two lines above it), drop the repeat.
 *   linePrefix "  const total = ", raw "const total = a + b;" → "a + b;"
 */
export function dropRepeatedPrefix(text: string, ctx: CursorContext): string {
  const lines = ctx.prefix.split("\n");
  const body = text.replace(/^[ \t]+/, "");
  for (let k = Math.min(3, lines.length); k >= 1; k--) {
    const tail = lines.slice(-k).join("\n").replace(/[ \t]+$/, "").replace(/^[ \t]+/, "");
    if ((tail.match(/[\p{L}\p{N}_]/gu)?.length ?? 0) < 3) continue;
    if (body.startsWith(tail)) return body.slice(tail.length);
  }
  return text;
}

// ---------------------------------------------------------------------------
// 5. indentation
// ---------------------------------------------------------------------------

export interface IndentStyle {
  /** false when the text around the cursor has no indented line to learn from */
  known: boolean;
  useTabs: boolean;
  /** columns per indentation level (and per tab) */
  unit: number;
}

/** Tabs vs spaces and the indentation unit, from the lines around the cursor. */
export function detectIndentStyle(prefix: string, suffix: string): IndentStyle {
  const lines = [...prefix.split("\n").slice(-400), ...suffix.split("\n").slice(0, 200)];
  let tabs = 0;
  let spaces = 0;
  const deltas = new Map<number, number>();
  let prev = 0;
  for (const line of lines) {
    if (line.trim() === "") continue;
    const ws = /^[ \t]*/.exec(line)![0];
    if (ws.startsWith("\t")) tabs++;
    else if (ws.startsWith(" ") && ws.length >= 2) spaces++;
    if (!ws.includes("\t")) {
      const d = Math.abs(ws.length - prev);
      if (d >= 2 && d <= 8) deltas.set(d, (deltas.get(d) ?? 0) + 1);
      prev = ws.length;
    }
  }
  let unit = 4;
  let best = 0;
  for (const [d, n] of deltas) if (n > best || (n === best && d < unit)) [unit, best] = [d, n];
  return { known: tabs + spaces > 0, useTabs: tabs > spaces, unit };
}

function columns(ws: string, unit: number): number {
  let c = 0;
  for (const ch of ws) c = ch === "\t" ? c + unit - (c % unit) : c + 1;
  return c;
}

function makeIndent(cols: number, style: IndentStyle): string {
  if (cols <= 0) return "";
  return style.useTabs ? "\t".repeat(Math.floor(cols / style.unit)) + " ".repeat(cols % style.unit) : " ".repeat(cols);
}

/**
 * Keep indentation consistent with the cursor's line and the file:
 *  - leading indentation is rewritten in the file's style (tabs vs spaces);
 *  - mid-line continuation: the first line is not re-indented; only whitespace that the
 *    document already has before the cursor is not inserted twice;
 *  - cursor in leading whitespace: the first line gets only the indentation missing
 *    beyond what is already typed; if the model explicitly indented the first line less
 *    than the cursor, the following lines are shifted by the difference (relative
 *    indentation kept). A first line without any indentation is FIM-style (it starts at
 *    the cursor) and the following lines are kept as they are.
 *   tabs file, linePrefix "\t", raw "    return 1;\n}" → "return 1;\n}"
 */
export function fixIndentation(text: string, ctx: CursorContext): string {
  const style = detectIndentStyle(ctx.prefix, ctx.suffix);
  const lines = text.split("\n");
  const atIndentation = ctx.linePrefix.trim() === "";
  const restyle = (line: string) => {
    const ws = /^[ \t]*/.exec(line)![0];
    if (!style.known || ws === "" || line.trim() === "") return line;
    const mismatched = style.useTabs ? / {2,}/.test(ws) : ws.includes("\t");
    return mismatched ? makeIndent(columns(ws, style.unit), style) + line.slice(ws.length) : line;
  };
  // the first line's leading whitespace is indentation only when the cursor is in the indentation
  for (let i = atIndentation ? 0 : 1; i < lines.length; i++) lines[i] = restyle(lines[i]);

  const typed = /[ \t]*$/.exec(ctx.linePrefix)![0];
  const first = lines[0];
  const firstWs = /^[ \t]*/.exec(first)![0];

  if (!atIndentation) {
    // continuation of the current line: only drop whitespace already typed before the cursor
    let n = 0;
    while (n < typed.length && n < firstWs.length && typed[n] === firstWs[n]) n++;
    lines[0] = first.slice(n);
    return lines.join("\n");
  }

  if (first.trim() === "") return lines.join("\n"); // completion starts with a newline
  const typedCols = columns(typed, style.unit);
  const modelCols = columns(firstWs, style.unit);
  if (firstWs === "") {
    // FIM-style: the first line continues at the cursor, the following lines are absolute
  } else if (firstWs.startsWith(typed)) {
    lines[0] = first.slice(typed.length);
  } else if (modelCols >= typedCols) {
    lines[0] = makeIndent(modelCols - typedCols, style) + first.slice(firstWs.length);
  } else {
    lines[0] = first.slice(firstWs.length);
    const shift = typedCols - modelCols;
    for (let i = 1; i < lines.length; i++) {
      if (lines[i].trim() === "") continue;
      const ws = /^[ \t]*/.exec(lines[i])![0];
      lines[i] = makeIndent(columns(ws, style.unit) + shift, style) + lines[i].slice(ws.length);
    }
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------
// 6. single line
// ---------------------------------------------------------------------------

/** Single-line mode keeps only the first line.  "a();\nb();" → "a();" */
export function keepFirstLineIfSingleLine(text: string, ctx: CursorContext): string {
  if (ctx.multiline) return text;
  const nl = text.indexOf("\n");
  return nl === -1 ? text : text.slice(0, nl);
}

// ---------------------------------------------------------------------------
// 7. suffix start
// ---------------------------------------------------------------------------

const HAS_WORD = /[\p{L}\p{N}_]/u;
const CLOSERS_ONLY = /^[\s)\]}>'"`]*$/;

/**
 * Stop where the text after the cursor begins:
 *  - rest of the cursor's line (not just closers/quotes, which rule 8 handles): if the
 *    first completion line ends with it, cut it and everything after;
 *  - otherwise the first non-empty line after the cursor (when it contains a word): cut
 *    at the first completion line equal to it (ignoring indentation).
 *   lineSuffix "; // total", raw "a + b; // total" → "a + b"
 */
export function stopAtSuffixStart(text: string, ctx: CursorContext): string {
  const lines = text.split("\n");
  const rest = ctx.lineSuffix.trim();
  if (rest !== "") {
    if (CLOSERS_ONLY.test(rest) || (rest.length < 2 && HAS_WORD.test(rest))) return text;
    const first = lines[0].replace(/[ \t]+$/, "");
    if (first.endsWith(rest)) return first.slice(0, first.length - rest.length);
    return text;
  }
  const next = ctx.suffix
    .split("\n")
    .slice(1)
    .find((l) => l.trim() !== "");
  if (next === undefined || !HAS_WORD.test(next)) return text;
  const target = next.trim();
  const at = lines.findIndex((l) => l.trim() === target);
  return at === -1 ? text : lines.slice(0, at).join("\n");
}

// ---------------------------------------------------------------------------
// 8. brackets and quotes
// ---------------------------------------------------------------------------

interface Syntax {
  line: string[];
  block: Array<[string, string]>;
  /** single-line string delimiters */
  quotes: string[];
  /** multi-line string delimiters (template literals, Go raw strings) */
  multiQuotes: string[];
  /** Python-style triple quotes */
  triple: boolean;
}

const C_LIKE: Syntax = { line: ["//"], block: [["/*", "*/"]], quotes: ['"', "'"], multiQuotes: [], triple: false };
const HASH: Syntax = { line: ["#"], block: [], quotes: ['"', "'"], multiQuotes: [], triple: false };
const SYNTAX: Record<string, Syntax> = {
  javascript: { ...C_LIKE, multiQuotes: ["`"] },
  typescript: { ...C_LIKE, multiQuotes: ["`"] },
  javascriptreact: { ...C_LIKE, multiQuotes: ["`"] },
  typescriptreact: { ...C_LIKE, multiQuotes: ["`"] },
  go: { ...C_LIKE, multiQuotes: ["`"] },
  rust: { ...C_LIKE, quotes: ['"'] },
  python: { ...HASH, triple: true },
  ruby: HASH, shellscript: HASH, yaml: HASH, toml: HASH, r: HASH, perl: HASH, elixir: HASH,
  dockerfile: HASH, makefile: HASH, powershell: { ...HASH, block: [["<#", "#>"]] },
  json: { line: [], block: [], quotes: ['"'], multiQuotes: [], triple: false },
  jsonc: { line: ["//"], block: [["/*", "*/"]], quotes: ['"'], multiQuotes: [], triple: false },
  sql: { line: ["--"], block: [["/*", "*/"]], quotes: ["'", '"'], multiQuotes: [], triple: false },
  lua: { line: ["--"], block: [["--[[", "]]"]], quotes: ["'", '"'], multiQuotes: [], triple: false },
  haskell: { line: ["--"], block: [["{-", "-}"]], quotes: ['"'], multiQuotes: [], triple: false },
  html: { line: [], block: [["<!--", "-->"]], quotes: [], multiQuotes: [], triple: false },
  xml: { line: [], block: [["<!--", "-->"]], quotes: [], multiQuotes: [], triple: false },
  markdown: { line: [], block: [["<!--", "-->"]], quotes: [], multiQuotes: [], triple: false },
  plaintext: { line: [], block: [], quotes: [], multiQuotes: [], triple: false },
  css: { line: [], block: [["/*", "*/"]], quotes: ['"', "'"], multiQuotes: [], triple: false },
};

function syntaxFor(languageId: string): Syntax {
  return SYNTAX[languageId] ?? C_LIKE;
}

type LexMode = "code" | "line" | "block" | "string";
interface LexState {
  mode: LexMode;
  /** closing delimiter of the current string / block comment */
  close: string;
  /** the current string may span lines */
  multi: boolean;
}

type LexEvent =
  | { kind: "open"; ch: string; index: number }
  | { kind: "close"; ch: string; index: number }
  | { kind: "stringEnd"; byQuote: boolean; index: number };

const OPEN = "([{";
const CLOSE = ")]}";
const PAIR: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

/**
 * Minimal lexer: brackets outside strings and comments. Single-line strings end at a
 * newline, so a mis-detected quote never poisons more than one line. Stops early when
 * `onEvent` returns true. Returns the final state.
 */
const startersCache = new WeakMap<Syntax, { all: Set<string>; nonBracket: Set<string> }>();

/**
 * Characters that can change the lexer state in code mode (everything else is skipped
 * fast), and those among them that start a comment or string (a bracket that doesn't is
 * reported directly).
 */
function startersFor(syn: Syntax): { all: Set<string>; nonBracket: Set<string> } {
  let sets = startersCache.get(syn);
  if (!sets) {
    const nonBracket = new Set<string>([...syn.quotes, ...syn.multiQuotes]);
    for (const d of syn.line) nonBracket.add(d[0]);
    for (const [o] of syn.block) nonBracket.add(o[0]);
    if (syn.triple) ['"', "'"].forEach((q) => nonBracket.add(q));
    sets = { all: new Set<string>([...OPEN, ...CLOSE, ...nonBracket]), nonBracket };
    startersCache.set(syn, sets);
  }
  return sets;
}

function lex(text: string, syn: Syntax, init: LexState, onEvent: (e: LexEvent) => boolean | void): LexState {
  const st: LexState = { ...init };
  const { all: starters, nonBracket } = startersFor(syn);
  let i = 0;
  while (i < text.length) {
    if (st.mode === "line") {
      const nl = text.indexOf("\n", i);
      if (nl === -1) return st;
      st.mode = "code";
      i = nl + 1;
      continue;
    }
    if (st.mode === "block") {
      const end = text.indexOf(st.close, i);
      if (end === -1) return st;
      st.mode = "code";
      i = end + st.close.length;
      continue;
    }
    const ch = text[i];
    if (st.mode === "string") {
      if (ch === "\\" && st.close.length === 1 && st.close !== "`") {
        i += 2;
        continue;
      }
      if (ch === st.close[0] && text.startsWith(st.close, i)) {
        st.mode = "code";
        if (onEvent({ kind: "stringEnd", byQuote: true, index: i })) return st;
        i += st.close.length;
        continue;
      }
      if (ch === "\n" && !st.multi) {
        st.mode = "code";
        if (onEvent({ kind: "stringEnd", byQuote: false, index: i })) return st;
      }
      i++;
      continue;
    }
    // code
    if (!starters.has(ch)) {
      i++;
      continue;
    }
    if (!nonBracket.has(ch)) {
      // a plain bracket
      if (onEvent({ kind: OPEN.includes(ch) ? "open" : "close", ch, index: i })) return st;
      i++;
      continue;
    }
    const lc = syn.line.find((d) => text.startsWith(d, i));
    const bc = syn.block.find(([o]) => text.startsWith(o, i));
    if (bc && (!lc || bc[0].length >= lc.length)) {
      st.mode = "block";
      st.close = bc[1];
      i += bc[0].length;
      continue;
    }
    if (lc) {
      st.mode = "line";
      i += lc.length;
      continue;
    }
    if (syn.triple && (text.startsWith('"""', i) || text.startsWith("'''", i))) {
      st.mode = "string";
      st.close = text.slice(i, i + 3);
      st.multi = true;
      i += 3;
      continue;
    }
    if (syn.quotes.includes(ch) || syn.multiQuotes.includes(ch)) {
      st.mode = "string";
      st.close = ch;
      st.multi = syn.multiQuotes.includes(ch);
      i++;
      continue;
    }
    if (OPEN.includes(ch)) {
      if (onEvent({ kind: "open", ch, index: i })) return st;
    } else if (CLOSE.includes(ch)) {
      if (onEvent({ kind: "close", ch, index: i })) return st;
    }
    i++;
  }
  return st;
}

const CODE: LexState = { mode: "code", close: "", multi: false };

/**
 * Don't emit closers the suffix already provides: scanning the completion, the first
 * closing bracket that would close a bracket opened BEFORE the completion, when the
 * suffix closes that bracket itself, ends the completion; likewise the quote that would
 * close a string opened before the cursor when the rest of the line closes it.
 *   prefix "foo(", suffix ")", raw "a, b)" → "a, b"
 */
export function cutAtClosersHeldBySuffix(text: string, ctx: CursorContext): string {
  const syn = syntaxFor(ctx.languageId);

  const stack: string[] = [];
  const end = lex(ctx.prefix, syn, CODE, (e) => {
    if (e.kind === "open") stack.push(e.ch);
    else if (e.kind === "close" && stack.length > 0 && stack[stack.length - 1] === PAIR[e.ch]) stack.pop();
  });
  if (end.mode === "block") return text; // completing inside a block comment

  // What does the suffix close on its own? (starting in the state the prefix ends in)
  let suffixClosesString = false;
  let sawStringEnd = false;
  const held: string[] = [];
  const local: string[] = [];
  lex(ctx.suffix, syn, end, (e) => {
    if (e.kind === "stringEnd") {
      // only the first string end can be the string open at the cursor
      if (end.mode === "string" && !sawStringEnd) suffixClosesString = e.byQuote;
      sawStringEnd = true;
    } else if (e.kind === "open") local.push(e.ch);
    else if (local.length > 0) local.pop();
    else held.push(e.ch);
  });
  const heldDepth = new Set<number>(); // depth 0 = innermost bracket open at the cursor
  for (let d = 0, j = 0; d < stack.length && j < held.length; d++) {
    if (PAIR[held[j]] === stack[stack.length - 1 - d]) {
      heldDepth.add(d);
      j++;
    }
  }

  let cut = -1;
  let initialString = end.mode === "string";
  const own: string[] = [];
  let unmatched = 0;
  lex(text, syn, end, (e) => {
    if (e.kind === "stringEnd") {
      if (initialString) {
        initialString = false;
        if (e.byQuote && suffixClosesString) {
          cut = e.index;
          return true;
        }
      }
      return false;
    }
    if (e.kind === "open") {
      own.push(e.ch);
      return false;
    }
    if (own.length > 0) {
      own.pop();
      return false;
    }
    const depth = unmatched++;
    if (heldDepth.has(depth) && stack[stack.length - 1 - depth] === PAIR[e.ch]) {
      cut = e.index;
      return true;
    }
    return false;
  });
  return cut === -1 ? text : text.slice(0, cut);
}

// ---------------------------------------------------------------------------
// 9. duplicated suffix lines
// ---------------------------------------------------------------------------

function netDepth(text: string, syn: Syntax): number {
  let depth = 0;
  lex(text, syn, CODE, (e) => {
    if (e.kind === "open") depth++;
    else if (e.kind === "close") depth--;
  });
  return depth;
}

/**
 * Drop trailing completion lines that repeat the first lines after the cursor (compared
 * ignoring indentation), unless dropping them would leave brackets opened by the
 * completion itself unclosed.
 *   suffix "\n---\ntitle: x", raw "draft: true\n---" (yaml) → "draft: true"
 */
export function dropRepeatedSuffixLines(text: string, ctx: CursorContext): string {
  const lines = text.split("\n");
  const after = ctx.suffix
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "")
    .slice(0, 20)
    .map((l) => l.trim());
  if (after.length === 0) return text;
  const nonBlank: number[] = [];
  const firstIsWholeLine = ctx.linePrefix.trim() === "";
  lines.forEach((l, i) => {
    if (l.trim() !== "" && (i > 0 || firstIsWholeLine)) nonBlank.push(i);
  });
  const syn = syntaxFor(ctx.languageId);
  for (let k = Math.min(after.length, nonBlank.length); k >= 1; k--) {
    const idx = nonBlank.slice(-k);
    if (!idx.every((li, n) => lines[li].trim() === after[n])) continue;
    const kept = lines.slice(0, idx[0]).join("\n");
    if (netDepth(kept, syn) > 0 && netDepth(lines.slice(idx[0]).join("\n"), syn) < 0) continue;
    return kept;
  }
  return text;
}

// ---------------------------------------------------------------------------
// 10-11. trailing blank lines, blank result
// ---------------------------------------------------------------------------

/** Remove trailing whitespace-only lines.  "x();\n  \n" → "x();" */
export function trimTrailingBlankLines(text: string): string {
  return text.replace(/(?:\n[ \t]*)+$/, "");
}

/** An all-whitespace result means "show nothing".  " \n\t" → "" */
export function emptyIfBlank(text: string): string {
  return text.trim() === "" ? "" : text;
}

export const POSTPROCESS_RULES: readonly PostprocessRule[] = [
  stripChatLeakage,
  stripCodeFences,
  unescapeSpecialTokens,
  dropRepeatedPrefix,
  fixIndentation,
  keepFirstLineIfSingleLine,
  stopAtSuffixStart,
  cutAtClosersHeldBySuffix,
  dropRepeatedSuffixLines,
  trimTrailingBlankLines,
  emptyIfBlank,
];
