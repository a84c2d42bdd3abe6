/**
 * Keeping a proposed change's lines right while the file changes under it (the user types elsewhere, a
 * formatter runs, another proposal is applied): a change above the lines moves them, one below leaves them,
 * one inside them makes the proposal stale. Pure (positions as numbers), so it is unit-tested.
 */

export interface LineSpan {
  /** zero-based, end exclusive; startLine === endLine: an insertion before startLine */
  startLine: number;
  endLine: number;
}

/** A text change in the coordinates of the document just before it (vscode.TextDocumentContentChangeEvent). */
export interface TextChange {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

/**
 * The spans after `changes` (applied in the order given, as VS Code reports them), or undefined when a change
 * touches one of them: text inside its lines, or a change that runs into its first line.
 */
export function rebaseSpans<T extends LineSpan>(spans: readonly T[], changes: readonly TextChange[]): T[] | undefined {
  let out = spans.map((s) => ({ ...s }));
  for (const c of changes) {
    const next: T[] = [];
    for (const s of out) {
      const moved = rebaseSpan(s, c);
      if (!moved) return undefined;
      next.push(moved);
    }
    out = next;
  }
  return out;
}

function rebaseSpan<T extends LineSpan>(s: T, c: TextChange): T | undefined {
  const { start, end } = c.range;
  const delta = newlines(c.text) - (end.line - start.line);
  // Wholly above: it ends before the span's first line begins (at its start at the latest, taking no text of
  // it: an insertion there must end with a line break, or it would join the span's first line).
  const endsAbove = end.line < s.startLine || (end.line === s.startLine && end.character === 0 && (start.line < end.line || c.text === "" || c.text.endsWith("\n")));
  if (endsAbove) return { ...s, startLine: s.startLine + delta, endLine: s.endLine + delta };
  // Wholly below: it starts on a line after the span; an insertion's span has no lines, so anything after its
  // place (the start of its line) is below it.
  const insertion = s.startLine === s.endLine;
  const startsBelow = insertion ? start.line > s.startLine || (start.line === s.startLine && start.character > 0) : start.line >= s.endLine;
  return startsBelow ? s : undefined;
}

function newlines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
