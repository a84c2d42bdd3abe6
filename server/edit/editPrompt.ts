/**
 * Inline edit ("Edit Selection…"): what the model is asked, and how its answer becomes the lines that replace
 * the selection. Pure (no engine, no I/O), so both halves are unit-tested on plain text.
 *
 * The prompt shows the lines around the selection with the selection between two marker lines (or one marker
 * where new code goes) and asks for the new code of the marked lines only, in one fenced block. Models do not
 * always do just that, so the answer is read defensively: the first code block (or the whole answer when
 * there is none, or the rest of an unclosed block cut by the token limit), marker lines dropped, context
 * lines it repeated from above or below the selection dropped, and the code re-indented to where it goes.
 */
import type { ChatMessage } from "../protocol";
import { indentOf, trimBlankLines } from "../lines";

export interface EditInput {
  /** As the model should see it: the workspace-relative path, else the file name. */
  filePath: string;
  languageId: string;
  /** The document's text. */
  text: string;
  /** Zero-based whole lines, end exclusive; equal: insert new code before `startLine`. */
  startLine: number;
  endLine: number;
  instruction: string;
}

export interface EditPrompt {
  messages: ChatMessage[];
  /** The context lines shown above and below the marked lines, and the marked lines themselves. */
  before: string[];
  selected: string[];
  after: string[];
  /** The indentation the new code goes at. */
  indent: string;
}

export const SELECTION_START = "<<<<<<< SELECTION";
export const SELECTION_END = ">>>>>>> END OF SELECTION";
export const INSERT_HERE = "<<<<<<< WRITE THE NEW CODE HERE";

/** Context around the marked lines: enough to show the function and its neighbours, small enough to prefill. */
const BEFORE_LINES = 60;
const BEFORE_CHARS = 4000;
const AFTER_LINES = 30;
const AFTER_CHARS = 2000;

export const EDIT_SYSTEM_PROMPT = [
  "You change code in the user's editor. The user shows part of a file with the lines to change between two marker lines (or one marker line where new code goes) and says what to do.",
  "Reply with exactly one fenced code block that holds the complete new code for the marked lines, and nothing else: no lines from above or below the markers, no marker lines, nothing left out with \"...\", no explanation.",
  "Keep the file's language, style and indentation.",
].join("\n");

export function buildEditPrompt(input: EditInput): EditPrompt {
  const lines = input.text.replace(/\r\n?/g, "\n").split("\n");
  // A final newline ends the last line: it is not a line of its own.
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const start = Math.max(0, Math.min(input.startLine, lines.length));
  const end = Math.max(start, Math.min(input.endLine, lines.length));
  const selected = lines.slice(start, end);
  const before = takeLast(lines.slice(0, start), BEFORE_LINES, BEFORE_CHARS);
  const after = takeFirst(lines.slice(end), AFTER_LINES, AFTER_CHARS);
  const insert = start === end;
  const shown = insert ? [...before, INSERT_HERE, ...after] : [...before, SELECTION_START, ...selected, SELECTION_END, ...after];
  const fence = fenceFor(shown);
  const where = [
    before.length < start ? `(${start - before.length} lines above are not shown)` : "",
    after.length < lines.length - end ? `(${lines.length - end - after.length} lines below are not shown)` : "",
  ].filter(Boolean);
  const ask = insert ? "Write the new code for the marked place" : "Change the marked lines";
  const user = [
    `File: ${input.filePath}${where.length ? ` ${where.join(" ")}` : ""}`,
    "",
    `${fence}${input.languageId}`,
    ...shown,
    fence,
    "",
    `${ask}: ${input.instruction.trim()}`,
  ].join("\n");
  return {
    messages: [
      { role: "system", content: EDIT_SYSTEM_PROMPT },
      { role: "user", content: user },
    ],
    before,
    selected,
    after,
    indent: targetIndent(selected, before, after),
  };
}

/** The new lines for the marked range, from the model's answer (see the file comment). */
export function extractEdit(answer: string, prompt: EditPrompt): string {
  let code = codeOf(answer.replace(/\r\n?/g, "\n")).filter((l) => !isMarker(l));
  code = trimBlankLines(code);
  code = dropRepeatedContext(code, prompt);
  code = trimBlankLines(code);
  return reindent(code, prompt.indent).join("\n");
}

/** The first fenced block's lines (to the end for one the token limit cut), else every line. */
function codeOf(answer: string): string[] {
  const lines = answer.split("\n");
  const open = lines.findIndex((l) => /^\s*(`{3,}|~{3,})/.test(l));
  if (open < 0) return lines;
  const fence = /^\s*(`{3,}|~{3,})/.exec(lines[open])![1];
  const body: string[] = [];
  for (const l of lines.slice(open + 1)) {
    const t = l.trim();
    if (t.startsWith(fence[0].repeat(fence.length)) && /^(`+|~+)$/.test(t)) break;
    body.push(l);
  }
  return body;
}

function isMarker(line: string): boolean {
  const t = line.trim();
  return t === SELECTION_START || t === SELECTION_END || t === INSERT_HERE || /^(<{7}|>{7}) ?(SELECTION|END OF SELECTION|WRITE THE NEW CODE HERE)\b/.test(t);
}

/**
 * A model that echoes the lines around the selection would duplicate them: lines at the start of the answer
 * that are the last lines shown above the selection go, unless the selection itself starts with them (then
 * they are the selection's); the same at the end with the lines below. Blank lines alone are never dropped.
 */
function dropRepeatedContext(code: string[], prompt: EditPrompt): string[] {
  const same = (a: string, b: string) => a.trimEnd() === b.trimEnd();
  let head = 0;
  for (let k = Math.min(code.length, prompt.before.length); k > 0; k--) {
    const tail = prompt.before.slice(prompt.before.length - k);
    const matches = tail.every((l, i) => same(l, code[i]));
    const inSelection = prompt.selected.length >= k && tail.every((l, i) => same(l, prompt.selected[i]));
    if (matches && !inSelection && tail.some((l) => l.trim())) {
      head = k;
      break;
    }
  }
  let tailCut = 0;
  const rest = code.length - head;
  for (let k = Math.min(rest, prompt.after.length); k > 0; k--) {
    const lead = prompt.after.slice(0, k);
    const matches = lead.every((l, i) => same(l, code[code.length - k + i]));
    const sel = prompt.selected;
    const inSelection = sel.length >= k && lead.every((l, i) => same(l, sel[sel.length - k + i]));
    if (matches && !inSelection && lead.some((l) => l.trim())) {
      tailCut = k;
      break;
    }
  }
  return code.slice(head, code.length - tailCut);
}

/**
 * Where the new code goes: the selection's first line's indentation; for an insertion, the indentation the
 * empty line there already has (the editor's auto-indent put it), else the code around it.
 */
function targetIndent(selected: string[], before: string[], after: string[]): string {
  const first = selected.find((l) => l.trim());
  if (first !== undefined) return indentOf(first);
  if (selected.length === 0 && after[0] !== undefined && !after[0].trim() && after[0].length) return after[0];
  const below = after.find((l) => l.trim());
  const above = [...before].reverse().find((l) => l.trim());
  // Between a block's opener and its body (`def f():` / `{`), the body's; else the line below's, else above's.
  if (above !== undefined && /[:{([]\s*$/.test(above) && (below === undefined || indentOf(below).length <= indentOf(above).length)) {
    return indentOf(above) + indentUnit([...before, ...after]);
  }
  return indentOf(below ?? above ?? "");
}

/** One level of indentation in these lines: a tab, or the smallest step between space indentations (else 4). */
function indentUnit(lines: string[]): string {
  const indents = lines.filter((l) => l.trim()).map(indentOf);
  if (indents.some((i) => i.startsWith("\t"))) return "\t";
  const steps = new Set(indents.map((i) => i.length).filter((n) => n > 0));
  const smallest = Math.min(...steps);
  return " ".repeat(Number.isFinite(smallest) && smallest <= 8 ? smallest : 4);
}

/** Shifts the code so its first line sits at `indent`, keeping the lines' indentation relative to it. */
function reindent(code: string[], indent: string): string[] {
  const first = code.find((l) => l.trim());
  if (first === undefined) return code;
  const from = indentOf(first);
  if (from === indent) return code;
  return code.map((l) => {
    if (!l.trim()) return "";
    const own = indentOf(l);
    if (own.startsWith(from)) return indent + l.slice(from.length);
    // Less indented than the first line (a closing brace of a block that began mid-way): keep the difference.
    const less = from.length - own.length;
    return indent.slice(0, Math.max(0, indent.length - less)) + l.slice(own.length);
  });
}

function takeLast(lines: string[], maxLines: number, maxChars: number): string[] {
  const out: string[] = [];
  let chars = 0;
  for (let i = lines.length - 1; i >= 0 && out.length < maxLines; i--) {
    chars += lines[i].length + 1;
    if (chars > maxChars && out.length) break;
    out.unshift(lines[i]);
  }
  return out;
}

function takeFirst(lines: string[], maxLines: number, maxChars: number): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const l of lines) {
    if (out.length >= maxLines) break;
    chars += l.length + 1;
    if (chars > maxChars && out.length) break;
    out.push(l);
  }
  return out;
}

/** A fence longer than any backtick run in the shown code, so a Markdown file's own fences do not end it. */
function fenceFor(lines: string[]): string {
  const longest = Math.max(2, ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))));
  return "`".repeat(longest + 1);
}
