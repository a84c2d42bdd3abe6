/**
 * Where a code block from the chat goes when the user presses **Apply**: which lines of the file it replaces.
 * Pure (no VS Code API), so the rules are unit-tested on plain text.
 *
 * Deterministic rules instead of a second model pass (what Continue and Copilot run): on a laptop CPU another
 * generation over the whole file would take minutes, and a rule either finds the place or says it cannot.
 *  1. A selection in the editor: the block replaces it (the user said where).
 *  2. The block is the whole file (same first and last lines, or most of the file's lines): it replaces all.
 *  3. Otherwise the block's first line names a construct in the file (`def revenue(order):`, a signature
 *     whose parameters changed, a class, a config key): the block replaces that construct, found by
 *     indentation (its body is more indented; a closing `}` / `end` at its own indentation ends it), and
 *     the constructs after it that the block also has (a block with two functions replaces both).
 * A block that leaves code out (`// ... existing code ...`) is refused: applying it would delete that code.
 */

export type ApplyPlan =
  | {
      kind: "replace";
      /** zero-based, end exclusive; for `selection` the editor's selection is replaced instead */
      startLine: number;
      endLine: number;
      /** the new lines, re-indented to the place they go, joined with "\n" */
      text: string;
      how: "selection" | "whole-file" | "construct";
    }
  | { kind: "refuse"; reason: string };

export interface ApplyTarget {
  /** the document's text */
  text: string;
  /** a non-empty selection's lines (zero-based, end exclusive), when there is one */
  selection?: { startLine: number; endLine: number };
  /** where the cursor is: breaks ties between several matching places */
  cursorLine?: number;
}

/** Lines like `// ...`, `# ... existing code ...`, `/* rest unchanged *\/`: the block is not the whole code. */
const ELISION = /^\s*(?:\/\/|#|--|\/\*+|<!--|\*|;)?\s*(?:\.\.\.|…)(?:.*\b(?:existing|rest|unchanged|same|remaining|other|omitted|as before)\b.*)?\s*(?:\*\/|-->)?\s*$|\b(?:existing code|rest of (?:the )?(?:code|file|function|class)|remains? unchanged)\b.*(?:\.\.\.|…)|(?:\.\.\.|…)\s*(?:existing code|rest of (?:the )?(?:code|file|function|class))/i;
const CLOSER = /^(?:[}\])]|end\b|<\/|fi\b|done\b|esac\b)/;
/** Lines that belong to the construct below them: comments, decorators, attributes. */
const PREAMBLE = /^(?:@|#\[|\/\/|#|\/\*|\*|--|\[[A-Z])/;

export function planApply(code: string, target: ApplyTarget): ApplyPlan {
  const block = trimBlankEnds(code.replace(/\r\n?/g, "\n").split("\n"));
  if (!block.length) return { kind: "refuse", reason: "The code block is empty." };
  if (block.some((l) => ELISION.test(l))) {
    return {
      kind: "refuse",
      reason: "The code block leaves parts of the code out (\u201c...\u201d), so applying it would delete them. Ask for the complete code, or copy the parts you want.",
    };
  }
  const lines = target.text.replace(/\r\n?/g, "\n").split("\n");

  if (target.selection && target.selection.endLine > target.selection.startLine) {
    const { startLine, endLine } = target.selection;
    return { kind: "replace", startLine, endLine, text: reindent(block, indentOf(lines[startLine] ?? "")).join("\n"), how: "selection" };
  }
  if (isWholeFile(block, lines)) {
    return { kind: "replace", startLine: 0, endLine: lastNonBlank(lines) + 1, text: block.join("\n"), how: "whole-file" };
  }

  // The block's first construct: its header line (after any comments / decorators the block starts with).
  const header = block.findIndex((l) => l.trim() && !PREAMBLE.test(l.trim()));
  if (header === -1) return { kind: "refuse", reason: "The code block has only comments: there is nothing to replace with it." };
  const at = findAnchor(block.slice(header), lines, target.cursorLine ?? 0);
  if (at === undefined) {
    return {
      kind: "refuse",
      reason: `Hearth cannot tell where this code goes: its first line (\u201c${clip(block[header].trim())}\u201d) is not in the file. Select the code it replaces and press Apply again, or use Insert.`,
    };
  }
  // The file's own comments / decorators above the construct go too when the block brings its own.
  let start = at;
  if (header > 0) while (start > 0 && lines[start - 1].trim() && PREAMBLE.test(lines[start - 1].trim()) && indentOf(lines[start - 1]) === indentOf(lines[at])) start--;
  let end = extentAt(lines, at);
  // The block's further top-level constructs replace the file's next ones when those match (else they are new).
  const constructs = topLevelStarts(block);
  for (const c of constructs.filter((i) => i > header)) {
    const next = nextNonBlank(lines, end);
    if (next === undefined || !sameConstruct(block[c], lines[headerAt(lines, next)])) break;
    end = extentAt(lines, headerAt(lines, next));
  }
  return { kind: "replace", startLine: start, endLine: end, text: reindent(block, indentOf(lines[at])).join("\n"), how: "construct" };
}

/** The block is the file: it starts and ends like the file, or has most of the file's lines. */
function isWholeFile(block: string[], lines: string[]): boolean {
  const doc = lines.map((l) => l.trim()).filter(Boolean);
  if (!doc.length) return true;
  const b = block.map((l) => l.trim()).filter(Boolean);
  if (doc.length > 2 && b[0] === doc[0] && b[b.length - 1] === doc[doc.length - 1] && b.length >= doc.length / 2) return true;
  const have = new Set(b);
  const shared = doc.filter((l) => have.has(l) && !CLOSER.test(l)).length;
  return doc.length >= 4 && shared >= 0.6 * doc.filter((l) => !CLOSER.test(l)).length && b.length >= 0.6 * doc.length;
}

/** The file line where the block's first construct starts: the same line, else the same head (a signature). */
function findAnchor(block: string[], lines: string[], cursorLine: number): number | undefined {
  const first = block.find((l) => l.trim())!.trim();
  let candidates = lines.flatMap((l, i) => (l.trim() === first ? [i] : []));
  if (!candidates.length) {
    const h = head(first);
    if (h) candidates = lines.flatMap((l, i) => (head(l.trim()) === h ? [i] : []));
  }
  if (candidates.length <= 1) return candidates[0];
  // Several: the one whose next line matches the block's second line, else the nearest to the cursor.
  const second = block.filter((l) => l.trim())[1]?.trim();
  const confirmed = second === undefined ? [] : candidates.filter((i) => lines[nextNonBlank(lines, i + 1) ?? -1]?.trim() === second);
  const pool = confirmed.length ? confirmed : candidates;
  return pool.reduce((best, i) => (Math.abs(i - cursorLine) < Math.abs(best - cursorLine) ? i : best));
}

/**
 * What names a construct in its first line: up to the first `(` (a function or call), `=` or `:` (a
 * binding or key), or `{`, with at least one word before it. `def revenue(order, tax):` and
 * `def revenue(order):` share `def revenue(`.
 */
function head(line: string): string | undefined {
  const m = /^(.*?[A-Za-z_$][\w$]*\s*)[(=:{]/.exec(line);
  if (!m) return undefined;
  const h = m[1].trim();
  return h.length >= 3 && /[A-Za-z_$]/.test(h) ? h + line[m[1].length] : undefined;
}

function sameConstruct(a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  if (x === y) return true;
  const h = head(x);
  return !!h && h === head(y);
}

/** The lines of the construct starting at `start`: its more-indented body and a closer at its indentation. */
function extentAt(lines: string[], start: number): number {
  const base = indentOf(lines[start]).length;
  let j = start + 1;
  while (j < lines.length && (!lines[j].trim() || indentOf(lines[j]).length > base)) j++;
  let end = j;
  while (end > start + 1 && !lines[end - 1].trim()) end--;
  if (j < lines.length && indentOf(lines[j]).length === base && CLOSER.test(lines[j].trim())) end = j + 1;
  return end;
}

/** Indices of the block's top-level construct headers (lines at its least indentation: not closers, comments, decorators). */
function topLevelStarts(block: string[]): number[] {
  const min = Math.min(...block.filter((l) => l.trim()).map((l) => indentOf(l).length));
  return block.flatMap((l, i) => {
    const t = l.trim();
    return t && indentOf(l).length === min && !CLOSER.test(t) && !PREAMBLE.test(t) ? [i] : [];
  });
}

/** The header at or after `i`: past comments and decorators at the same indentation. */
function headerAt(lines: string[], i: number): number {
  let j = i;
  while (j + 1 < lines.length && PREAMBLE.test(lines[j].trim()) && lines[j + 1].trim() && indentOf(lines[j + 1]) === indentOf(lines[i])) j++;
  return j;
}

/** The block moved to `indent` (its first line's indentation becomes `indent`; relative indentation kept). */
function reindent(block: string[], indent: string): string[] {
  const from = indentOf(block.find((l) => l.trim()) ?? "");
  if (from === indent) return block;
  return block.map((l) => {
    if (!l.trim()) return "";
    return l.startsWith(from) ? indent + l.slice(from.length) : indent + l.trimStart();
  });
}

function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

function trimBlankEnds(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && !lines[a].trim()) a++;
  while (b > a && !lines[b - 1].trim()) b--;
  return lines.slice(a, b);
}

function nextNonBlank(lines: string[], from: number): number | undefined {
  for (let i = from; i < lines.length; i++) if (lines[i].trim()) return i;
  return undefined;
}

function lastNonBlank(lines: string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].trim()) return i;
  return -1;
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}
