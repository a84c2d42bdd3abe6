/**
 * Small helpers for code as lines, shared by the host (edit answers) and the extension (chat Apply): pure, no
 * dependencies, so the extension bundle can import them.
 */

/** The line's leading spaces and tabs. */
export function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/** The lines without the blank (empty or whitespace-only) lines at their start and end. */
export function trimBlankLines(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && !lines[a].trim()) a++;
  while (b > a && !lines[b - 1].trim()) b--;
  return lines.slice(a, b);
}
