/**
 * Where a code block from the chat goes when the user presses **Apply**: which lines of the file it replaces.
 * Pure (no VS Code API), so the rules are unit-tested on plain text.
 *
 * Deterministic rules instead of a second model pass (what Continue and Copilot run): on a laptop CPU another
 * generation over the whole file would take minutes, and a rule either finds the place or says it cannot.
 *  1. A selection in the editor: the block replaces it (the user said where).
 *  2. The block is the whole file (it has every top-level construct of the file, and starts and ends like it
 *     or shares most of its lines): it replaces all.
 *  3. Otherwise the block is split into its top-level constructs (a function, a class, an import, a config
 *     key, with the comments and decorators above it), and each is placed on its own: the construct of the
 *     file it redefines, found by its first line, else its head (`def revenue(` for a signature whose
 *     parameters changed), else its name, and measured by indentation (its body is more indented; a closing
 *     `}` / `end` at its own indentation ends it, `} else {` and `):` go on). A construct the file has
 *     unchanged is left alone (models repeat the imports and the functions around a change). A construct the
 *     file lacks goes after the one before it in the block (new import lines after the file's imports).
 *     A class (struct, impl, namespace, object or mapping) the block shows with only some of its members is
 *     entered: its members are placed inside the file's class, and the members it leaves out stay.
 * A block that leaves code out (`// ... existing code ...`) is refused: applying it would delete that code.
 * So is a block whose place is ambiguous or cannot be found: nothing is deleted or duplicated by a guess.
 */

import { indentOf, trimBlankLines } from "../../server/lines";

export interface ApplyEdit {
  /** zero-based, end exclusive; startLine === endLine inserts before startLine */
  startLine: number;
  endLine: number;
  /** the new lines, re-indented to the place they go, joined with "\n" */
  text: string;
}

export type ApplyPlan =
  | {
      kind: "replace";
      /** in file order, not overlapping; for `selection` the editor's selection is replaced instead */
      edits: ApplyEdit[];
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
const PREAMBLE = /^(?:@|#\[|\/\/|#(?!(?:include|import|define|undef|if|ifdef|ifndef|elif|else|endif|pragma)\b)|\/\*|\*|--|\[[A-Z])/;
/** Lines that go on with the construct above them at its own indentation: `else:`, `} catch (e) {`, `elif x:`. */
const CONTINUATION = /^(?:[}\])]\s*)?(?:else|elif|elsif|except|finally|catch|rescue|ensure)\b/;
/** Import-like lines: new ones go after the file's imports. */
const IMPORT = /^(?:import\b|from\s+\S+\s+import\b|using\s+[\w.]+\s*;|#include\b|#import\b|use\s+[\w:{}, *]+;|(?:const|let|var)\s+[\w{}, ]+\s*=\s*require\(|require\b|@import\b|extern\s+crate\b|library\(|open\s+[A-Z])/;

const REFUSE_ELIDED = "The code block leaves parts of the code out (\u201c...\u201d), so applying it would delete them. Ask for the complete code, or copy the parts you want.";

type Refusal = { kind: "refuse"; reason: string };
const refuse = (reason: string): Refusal => ({ kind: "refuse", reason });

/** Whether code leaves parts out (`// ... existing code ...`): put in place of lines, it would delete them. */
export function leavesCodeOut(code: string): boolean {
  return code.split("\n").some((l) => ELISION.test(l));
}

export function planApply(code: string, target: ApplyTarget): ApplyPlan {
  const block = trimBlankLines(code.replace(/\r\n?/g, "\n").split("\n"));
  if (!block.length) return refuse("The code block is empty.");
  if (leavesCodeOut(block.join("\n"))) return refuse(REFUSE_ELIDED);
  const lines = target.text.replace(/\r\n?/g, "\n").split("\n");

  if (target.selection && target.selection.endLine > target.selection.startLine) {
    const { startLine, endLine } = target.selection;
    return { kind: "replace", edits: [{ startLine, endLine, text: reindent(block, indentOf(lines[startLine] ?? "")).join("\n") }], how: "selection" };
  }
  if (isWholeFile(block, lines)) {
    return { kind: "replace", edits: [{ startLine: 0, endLine: lastNonBlank(lines) + 1, text: block.join("\n") }], how: "whole-file" };
  }
  const placed = place(block, lines, { from: 0, to: lines.length }, target.cursorLine ?? 0, 0);
  if ("kind" in placed) return placed;
  // In file order (an insertion before a replacement that starts where it goes); insertions at one place as one.
  const edits = mergeAtSamePlace(placed.filter((e) => !unchanged(e, lines)).sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine));
  if (!edits.length) return refuse("The file already has this code: there is nothing to change.");
  for (let i = 1; i < edits.length; i++) {
    if (edits[i].startLine < edits[i - 1].endLine) {
      return refuse("The code block changes the same place in the file twice, so Hearth cannot tell which version to keep. Select the code it replaces and press Apply again.");
    }
  }
  return { kind: "replace", edits, how: "construct" };
}

// ---------------------------------------------------------------------------------------------------------
// Placing a block's constructs

/** A top-level construct of a block: its lines [start, end), its header line (after comments / decorators). */
interface Segment {
  start: number;
  header: number;
  end: number;
}

/** A segment found in the file: the file lines it replaces, and the line its header matched. */
interface Located {
  seg: Segment;
  at: number;
  start: number;
  end: number;
}

interface Range {
  from: number;
  to: number;
  /** inside a container: the indentation of its members (matches elsewhere do not count) */
  memberIndent?: string;
  /** inside a container: where members it lacks go (before its closer), and their indentation */
  appendAt?: number;
}

/**
 * The edits that put each of `block`'s top-level constructs in its place within `range` of the file, or why
 * that cannot be done.
 */
function place(block: string[], lines: string[], range: Range, cursorLine: number, depth: number): ApplyEdit[] | Refusal {
  const segs = segments(block);
  if (!segs.length) return refuse("The code block has only comments: there is nothing to replace with it.");

  // Find each construct: the first one found anywhere in the range fixes the indentation the others are
  // looked for at (they are its siblings in the block).
  const found: (Located | undefined)[] = [];
  let level = range.memberIndent;
  let after = range.from;
  for (const seg of segs) {
    const at = findConstruct(block, seg, lines, range, level, after, cursorLine, found.some(Boolean));
    if (at === "ambiguous") {
      return refuse(`The code block's \u201c${clip(block[seg.header].trim())}\u201d matches several places in the file, so Hearth cannot tell which one it replaces. Select the code it replaces and press Apply again.`);
    }
    if (at === undefined) {
      found.push(undefined);
      continue;
    }
    level ??= indentOf(lines[at]);
    const start = preambleStart(block, seg, lines, at, range.from);
    const end = Math.min(extentAt(lines, at), range.to);
    found.push({ seg, at, start, end });
    after = end;
  }

  const edits: ApplyEdit[] = [];
  if (!found.some(Boolean)) {
    // Nothing of the block is in the file: import lines go after the file's imports, members of a container
    // at its end; anything else has no place Hearth can tell.
    const all = block.slice(segs[0].start, segs[segs.length - 1].end);
    if (segs.every((s) => isImport(block, s))) {
      const last = lastImport(lines, range);
      if (last !== undefined) return [{ startLine: last.end, endLine: last.end, text: reindent(all, indentOf(lines[last.at])).join("\n") }];
    }
    if (range.appendAt !== undefined && range.memberIndent !== undefined) return appendMembers(lines, range, reindent(all, range.memberIndent));
    const first = block[segs[0].header].trim();
    return refuse(`It is not clear where this code goes: its first line (\u201c${clip(first)}\u201d) is not in the file. Select the code it replaces and press Apply again, or use Insert.`);
  }

  for (let i = 0; i < segs.length; i++) {
    const loc = found[i];
    if (loc) {
      const r = replaceConstruct(block, loc, lines, cursorLine, depth);
      if ("kind" in r) return r;
      edits.push(...r);
      continue;
    }
    // A construct the file lacks: after the construct before it in the block, else before the one after it
    // (import lines: after the file's imports).
    let j = i;
    while (j + 1 < segs.length && !found[j + 1]) j++;
    const news = block.slice(segs[i].start, segs[j].end);
    const prev = found.slice(0, i).reverse().find(Boolean);
    const next = found.slice(j + 1).find(Boolean)!;
    const leadingImports = !prev && segs.slice(i, j + 1).every((s) => isImport(block, s));
    const lastImp = leadingImports ? lastImport(lines, range) : undefined;
    if (lastImp) {
      edits.push({ startLine: lastImp.end, endLine: lastImp.end, text: reindent(news, indentOf(lines[lastImp.at])).join("\n") });
    } else if (prev) {
      const gap = blankRun(block, prev.seg.end, segs[i].start);
      edits.push({ startLine: prev.end, endLine: prev.end, text: [...gap, ...reindent(news, indentOf(lines[prev.at]))].join("\n") });
    } else {
      const gap = blankRun(block, segs[j].end, next.seg.start);
      edits.push({ startLine: next.start, endLine: next.start, text: [...reindent(news, indentOf(lines[next.at])), ...gap].join("\n") });
    }
    i = j;
  }
  return edits;
}

/**
 * Where the file's part replaced by `seg` starts: its header at `at`, or above it the file's comments /
 * decorators when the block brings its own (the same lines, blank lines between them or not, or any right
 * above at the header's indentation), so they are not there twice.
 */
function preambleStart(block: string[], seg: Segment, lines: string[], at: number, floor: number): number {
  if (seg.header === seg.start) return at;
  const own = block.slice(seg.start, seg.header).map((l) => l.trim()).filter(Boolean);
  let i = at;
  let k = own.length;
  while (k > 0 && i > floor) {
    let j = i - 1;
    while (j >= floor && !lines[j].trim()) j--;
    if (j < floor || lines[j].trim() !== own[k - 1]) break;
    i = j;
    k--;
  }
  if (k === 0) return i;
  let start = at;
  while (start > floor && lines[start - 1].trim() && PREAMBLE.test(lines[start - 1].trim()) && indentOf(lines[start - 1]) === indentOf(lines[at])) start--;
  return start;
}

/** The edits for one construct found in the file: replace it, or (a container shown in part) place its members inside. */
function replaceConstruct(block: string[], loc: Located, lines: string[], cursorLine: number, depth: number): ApplyEdit[] | Refusal {
  const { seg, at, start, end } = loc;
  const segLines = block.slice(seg.start, seg.end);
  if (isContainer(lines[at]) && depth < 4) {
    const fileBody = containerBody(lines, at, end);
    const blockBody = containerBody(block, seg.header, seg.end);
    if (fileBody && blockBody) {
      const fileMembers = members(lines, fileBody);
      const blockKeys = new Set(members(block, blockBody).flatMap((i) => keysOf(block[i])));
      const missing = fileMembers.filter((i) => !keysOf(lines[i]).some((k) => blockKeys.has(k)));
      if (missing.length) {
        const sameHeader = norm(block.slice(seg.header, blockBody.from)) === norm(lines.slice(at, fileBody.from));
        if (!sameHeader) {
          return refuse(
            `The code block's \u201c${clip(block[seg.header].trim())}\u201d leaves out \u201c${clip(lines[missing[0]].trim())}\u201d${missing.length > 1 ? ` and ${missing.length - 1} more` : ""}, so applying it would delete them. Ask for the complete code, or select the code it replaces and press Apply again.`,
          );
        }
        const inner = trimBlankLines(block.slice(blockBody.from, blockBody.to));
        if (!inner.length) return [];
        const memberIndent = fileMembers.length ? indentOf(lines[fileMembers[0]]) : indentOf(lines[at]) + "  ";
        return place(inner, lines, { from: fileBody.from, to: fileBody.to, memberIndent, appendAt: lastNonBlankIn(lines, fileBody) + 1 }, cursorLine, depth + 1);
      }
    }
  }
  let text = reindent(segLines, indentOf(lines[at]));
  text = keepTrailingComma(text, lines[end - 1], lines[nextNonBlank(lines, end) ?? -1]);
  return [{ startLine: start, endLine: end, text: text.join("\n") }];
}

/**
 * The file line where `seg`'s header is: the same line, else the same head (a signature), else the same
 * name (a field or key whose value changed). `level`: the indentation it must have once a sibling was found.
 */
function findConstruct(
  block: string[],
  seg: Segment,
  lines: string[],
  range: Range,
  level: string | undefined,
  after: number,
  cursorLine: number,
  haveSibling: boolean,
): number | "ambiguous" | undefined {
  const first = block[seg.header].trim();
  const within = (i: number) => i >= range.from && i < range.to && (level === undefined || indentOf(lines[i]) === level) && !PREAMBLE.test(lines[i].trim());
  const byRule = [
    (l: string) => l.trim() === first,
    (l: string) => { const h = head(first); return !!h && head(l.trim()) === h; },
    (l: string) => { const k = nameKey(first); return !!k && nameKey(l.trim()) === k; },
  ];
  for (const [rule, match] of byRule.entries()) {
    const candidates = lines.flatMap((l, i) => (within(i) && match(l) ? [i] : []));
    if (!candidates.length) continue;
    if (candidates.length === 1) return candidates[0];
    // Several: the one whose next line matches the block's second line, else the first after the sibling
    // found before it, else (the first construct) the nearest to the cursor.
    const second = block.slice(seg.header + 1, seg.end).find((l) => l.trim())?.trim();
    const confirmed = second === undefined ? [] : candidates.filter((i) => lines[nextNonBlank(lines, i + 1) ?? -1]?.trim() === second);
    if (confirmed.length === 1) return confirmed[0];
    const pool = confirmed.length ? confirmed : candidates;
    if (haveSibling) {
      const next = pool.find((i) => i >= after && !lines.slice(after, i).some((l) => l.trim() && indentOf(l) === level && !PREAMBLE.test(l.trim())));
      if (next !== undefined) return next;
      return "ambiguous";
    }
    // By name only (the last rule) several matches say nothing: a guess could replace the wrong one.
    if (rule === 2) return "ambiguous";
    return pool.reduce((best, i) => (Math.abs(i - cursorLine) < Math.abs(best - cursorLine) ? i : best));
  }
  return undefined;
}

/** The block's top-level constructs, each with the comments / decorators right above it. */
function segments(block: string[]): Segment[] {
  const nonBlank = block.filter((l) => l.trim());
  if (!nonBlank.length) return [];
  const min = Math.min(...nonBlank.map((l) => indentOf(l).length));
  const headers: number[] = [];
  for (let i = 0; i < block.length; i++) {
    const t = block[i].trim();
    if (!t || indentOf(block[i]).length !== min || PREAMBLE.test(t)) continue;
    if (CLOSER.test(t) && !CONTINUATION.test(t)) continue;
    if (CONTINUATION.test(t) && headers.length) continue; // `else:` / `} else {` goes on with the construct above
    if (t === "{" && headers.length && !block.slice(headers.at(-1)!, i).some((l) => l.trim() && indentOf(l).length > min)) continue; // Allman brace
    headers.push(i);
  }
  if (!headers.length) return [];
  const segs: Segment[] = [];
  for (let k = 0; k < headers.length; k++) {
    const h = headers[k];
    let start = h;
    while (start > 0 && block[start - 1].trim() && indentOf(block[start - 1]).length === min && PREAMBLE.test(block[start - 1].trim())) start--;
    segs.push({ start, header: h, end: block.length });
    if (k > 0) segs[k - 1].end = start;
  }
  // A leading comment without a construct under it belongs to the first construct.
  segs[0].start = 0;
  for (const s of segs) {
    while (s.end > s.header + 1 && !block[s.end - 1].trim()) s.end--;
  }
  return segs;
}

/** The lines of the construct starting at `start`: its more-indented body and a closer at its indentation. */
function extentAt(lines: string[], start: number): number {
  const base = indentOf(lines[start]).length;
  let end = start + 1;
  let j = start + 1;
  for (;;) {
    while (j < lines.length && (!lines[j].trim() || indentOf(lines[j]).length > base)) j++;
    end = j;
    while (end > start + 1 && !lines[end - 1].trim()) end--;
    if (j >= lines.length || indentOf(lines[j]).length !== base) break;
    const t = lines[j].trim();
    // `} else {`, `):` / `): number {` (a signature's end), `else:`, a lone Allman `{`: the construct goes on.
    if (CONTINUATION.test(t) || (CLOSER.test(t) && /[{(\[:]$/.test(t)) || (t === "{" && j === nextNonBlank(lines, start + 1))) {
      j++;
      continue;
    }
    if (CLOSER.test(t)) end = j + 1;
    break;
  }
  return end;
}

/** A construct whose body is a list of named members: a class, struct, impl, namespace, object literal, mapping. */
function isContainer(line: string): boolean {
  const t = line.trim();
  const pre = t.split(/[(=]/)[0];
  if (/\b(?:class|struct|interface|trait|impl|enum|namespace|module|mod|record|extension|protocol|union)(?:\s+[\w<{]|<|\s*\{|$)/.test(pre) && !/^(?:return|new|const|let|var)\b/.test(t)) return true;
  if (/(?:[=:(]|\breturn)\s*\{$/.test(t) || t === "{") return true; // object literal, JSON object
  if (/^(?:["'][^"']+["']|[\w.-]+)\s*:$/.test(t) && !/^(?:else|try|finally|except|do|default)\s*:$/.test(t)) return true; // YAML mapping key
  return /^create\s+(?:table|type)\b/i.test(t);
}

/** The body of the container whose header is at `at` (lines [from, to): after `{`, before its closer). */
function containerBody(lines: string[], at: number, end: number): { from: number; to: number } | undefined {
  let from = at + 1;
  // Allman brace, or a header continued over several lines up to its `{`.
  while (from < end && lines[from].trim() && indentOf(lines[from]).length === indentOf(lines[at]).length && !CLOSER.test(lines[from].trim())) from++;
  if (from < end && lines[from].trim() === "{") from++;
  let to = end;
  if (to - 1 > at && CLOSER.test(lines[to - 1].trim()) && indentOf(lines[to - 1]).length === indentOf(lines[at]).length) to--;
  return to > from ? { from, to } : undefined;
}

/** The member header lines of a container body: at the body's indentation, not closers or comments. */
function members(lines: string[], body: { from: number; to: number }): number[] {
  const first = nextNonBlank(lines, body.from);
  if (first === undefined || first >= body.to) return [];
  const indent = indentOf(lines[first]);
  const out: number[] = [];
  for (let i = body.from; i < body.to; i++) {
    const t = lines[i].trim();
    if (!t || indentOf(lines[i]) !== indent || PREAMBLE.test(t) || CLOSER.test(t) || CONTINUATION.test(t) || t === "{") continue;
    out.push(i);
  }
  return out;
}

/** What identifies a member line: its text, its head, its name. */
function keysOf(line: string): string[] {
  const t = line.trim();
  const keys = ["=" + t.replace(/[,;]$/, "")];
  const h = head(t);
  if (h) keys.push("h" + h);
  const k = nameKey(t);
  if (k) keys.push("n" + k);
  return keys;
}

/**
 * The name a line declares, with what kind of thing it names (a function is not replaced by a variable of
 * the same name): `"port": 80` → key port, `id: int` / `x = 1` / `private final Repo repo;` → var,
 * `public double total(long id) {` / `func (o *Order) String()` → fn, `total(x)` → call, `class Orders` →
 * type, `from x import y` / `import React from "react"` → import (its module).
 */
function nameKey(t: string): string | undefined {
  if (/^(?:return|yield|raise|throw|await|print|del|pass|break|continue|echo|puts|go|defer|if|for|while|else|elif|case|when)\b/.test(t)) return undefined;
  // An import names its module: `import React, { useState } from "react"` replaces `import React from "react"`.
  let m = /^import\b.*\bfrom\s+(["'])([^"']+)\1/.exec(t) ?? /^(?:import|export)\s+(["'])([^"']+)\1/.exec(t) ?? /\brequire\((["'])([^"']+)\1\)/.exec(t);
  if (m && IMPORT.test(t)) return "import " + m[2];
  m = /^from\s+(\S+)\s+import\b/.exec(t) ?? /^(import)\s+([\w.]+)\s*$/.exec(t);
  if (m) return "import " + (m[2] ?? m[1]);
  m = /^func\s*\([^)]*\)\s*([A-Za-z_]\w*)/.exec(t);
  if (m) return "fn " + m[1];
  m = /^(?:[\w@]+\s+)*(?:class|struct|interface|trait|enum|record|namespace|module|mod|object|protocol)\s+([A-Za-z_$][\w$.]*)/.exec(t);
  if (m) return "type " + m[1];
  m = /^(["'`])((?:\\.|(?!\1).)+)\1\s*:/.exec(t);
  if (m) return "key " + m[2];
  const paren = t.indexOf("(");
  const eq = t.search(/[=:]/);
  if (paren >= 0 && (eq < 0 || paren < eq)) {
    const before = t.slice(0, paren);
    m = /([A-Za-z_$][\w$]*)\s*(?:<[^()]*>)?\s*$/.exec(before);
    if (!m || /^(?:if|for|while|switch|catch|return|print|function|def|fn|func|await|new)$/.test(m[1])) return undefined;
    const declared = /\s/.test(before.trim()) || /(?:[{:]|=>\s*\{)\s*$/.test(t);
    return (declared ? "fn " : "call ") + m[1];
  }
  if (eq >= 0) {
    m = /([A-Za-z_$][\w$]*)\??\s*$/.exec(t.slice(0, eq));
    return m ? "var " + m[1] : undefined;
  }
  const brace = t.indexOf("{");
  m = /([A-Za-z_$][\w$]*)\s*$/.exec((brace >= 0 ? t.slice(0, brace) : t).replace(/[;,]\s*$/, ""));
  return m && /^[\w$<>\[\]?,.\s*&]+$/.test(t.replace(/[{};,]/g, "")) && /\s/.test(t.trim()) ? "var " + m[1] : undefined;
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

/** The block is the file: it has every top-level construct of the file, and starts and ends like it or has most of its lines. */
function isWholeFile(block: string[], lines: string[]): boolean {
  const doc = lines.map((l) => l.trim()).filter(Boolean);
  if (!doc.length) return true;
  const b = block.map((l) => l.trim()).filter(Boolean);
  const sameEnds = doc.length > 2 && b[0] === doc[0] && b[b.length - 1] === doc[doc.length - 1] && b.length >= doc.length / 2;
  const have = new Set(b);
  const shared = doc.filter((l) => have.has(l) && !CLOSER.test(l)).length;
  const mostLines = doc.length >= 4 && shared >= 0.6 * doc.filter((l) => !CLOSER.test(l)).length && b.length >= 0.6 * doc.length;
  if (!sameEnds && !mostLines) return false;
  // The file's top-level constructs the block lacks must be ones it renamed or rewrote (as many new ones in the
  // block; a new import does not count), or replacing the file would delete them: a block with the imports
  // and one function of a file that starts and ends like it is that function, not the file.
  const blockKeys = new Set(topLevel(block).flatMap((i) => keysOf(block[i])));
  const fileKeys = new Set(topLevel(lines).flatMap((i) => keysOf(lines[i])));
  const missing = topLevel(lines).filter((i) => !keysOf(lines[i]).some((k) => blockKeys.has(k))).length;
  const added = topLevel(block).filter((i) => !IMPORT.test(block[i].trim()) && !keysOf(block[i]).some((k) => fileKeys.has(k))).length;
  return missing <= added;
}

/** The header lines at the least indentation (not closers, comments or continuations). */
function topLevel(text: string[]): number[] {
  const nonBlank = text.filter((l) => l.trim());
  if (!nonBlank.length) return [];
  const min = Math.min(...nonBlank.map((l) => indentOf(l).length));
  return text.flatMap((l, i) => {
    const t = l.trim();
    return t && indentOf(l).length === min && !CLOSER.test(t) && !PREAMBLE.test(t) && !CONTINUATION.test(t) && t !== "{" ? [i] : [];
  });
}

function isImport(block: string[], seg: Segment): boolean {
  return IMPORT.test(block[seg.header].trim()) || /^package\s+[\w.]+;?$/.test(block[seg.header].trim());
}

/** The last import construct of the range (at the range's least indentation): where new import lines go. */
function lastImport(lines: string[], range: Range): { at: number; end: number } | undefined {
  let last: number | undefined;
  for (let i = range.from; i < range.to; i++) {
    if (IMPORT.test(lines[i].trim()) && (range.memberIndent === undefined || indentOf(lines[i]) === range.memberIndent)) last = i;
  }
  return last === undefined ? undefined : { at: last, end: extentAt(lines, last) };
}

/** Whether a replacement leaves the file as it is (the block repeats code the file has). */
function unchanged(e: ApplyEdit, lines: string[]): boolean {
  if (e.startLine === e.endLine) return false;
  return e.text === lines.slice(e.startLine, e.endLine).join("\n");
}

/** Insertions at the same line become one, in the order they were made (the sort is stable). */
function mergeAtSamePlace(edits: ApplyEdit[]): ApplyEdit[] {
  const out: ApplyEdit[] = [];
  for (const e of edits) {
    const prev = out.at(-1);
    if (prev && prev.startLine === prev.endLine && e.startLine === e.endLine && prev.startLine === e.startLine) prev.text += "\n" + e.text;
    else out.push({ ...e });
  }
  return out;
}

/**
 * A construct followed by `,` in the file (an object member, an argument) keeps its comma; one that was the
 * last member (a closer follows) does not get one from the block (JSON allows no trailing comma).
 */
function keepTrailingComma(text: string[], replacedLast: string | undefined, following: string | undefined): string[] {
  const last = text.length - 1;
  if (last < 0 || replacedLast === undefined) return text;
  if (/,\s*$/.test(replacedLast)) return /[,{(\[]\s*$/.test(text[last]) ? text : [...text.slice(0, last), text[last] + ","];
  if (/,\s*$/.test(text[last]) && following !== undefined && /^[}\]]/.test(following.trim())) return [...text.slice(0, last), text[last].replace(/,\s*$/, "")];
  return text;
}

function norm(ls: string[]): string {
  return ls.map((l) => l.trim()).filter(Boolean).join("\n");
}

function blankRun(block: string[], from: number, to: number): string[] {
  return block.slice(from, to).filter((l) => !l.trim()).map(() => "");
}

/**
 * New members at the end of a container (before its closer). Members separated by commas (SQL columns, JSON
 * keys, object literals) stay so: the file's last member gets a comma when it has none, and the new last
 * member ends like the file's did.
 */
function appendMembers(lines: string[], range: Range, added: string[]): ApplyEdit[] {
  const at = range.appendAt!;
  const lastMember = members(lines, { from: range.from, to: at }).at(-1);
  const gap = hasBlankBetweenMembers(lines, range) || (added.length > 1 && lastMember !== undefined && at - lastMember > 1) ? [""] : [];
  const last = at - 1;
  const lastText = lines[last] ?? "";
  const mids = members(lines, { from: range.from, to: at }).slice(0, -1).map((i) => lines[extentAt(lines, i) - 1] ?? "");
  const separated = mids.length > 0 && mids.every((l) => /,\s*$/.test(l));
  const trailing = /,\s*$/.test(lastText);
  if (!separated && !trailing) return [{ startLine: at, endLine: at, text: [...gap, ...added].join("\n") }];
  const n = added.length - 1;
  const out = [...added];
  out[n] = trailing ? out[n].replace(/,?\s*$/, ",") : out[n].replace(/,\s*$/, "");
  if (trailing || last < range.from) return [{ startLine: at, endLine: at, text: [...gap, ...out].join("\n") }];
  return [{ startLine: last, endLine: at, text: [lastText + ",", ...gap, ...out].join("\n") }];
}

function hasBlankBetweenMembers(lines: string[], range: Range): boolean {
  for (let i = range.from + 1; i < (range.appendAt ?? range.to); i++) if (!lines[i].trim()) return true;
  return false;
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

function nextNonBlank(lines: string[], from: number): number | undefined {
  for (let i = from; i < lines.length; i++) if (lines[i].trim()) return i;
  return undefined;
}

function lastNonBlank(lines: string[]): number {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].trim()) return i;
  return -1;
}

function lastNonBlankIn(lines: string[], r: { from: number; to: number }): number {
  for (let i = r.to - 1; i >= r.from; i--) if (lines[i].trim()) return i;
  return r.from - 1;
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}
