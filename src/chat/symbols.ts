/**
 * The code around the cursor, for a command run without a selection (`/explain` with the cursor in a
 * function explains that function, as a person pointing at it means). Pure over the shape of VS Code's
 * DocumentSymbol, so it is unit-tested.
 */

/** The parts of a `vscode.DocumentSymbol` used here (0-based lines). */
export interface SymbolNode {
  name: string;
  kind: number;
  range: { start: { line: number }; end: { line: number } };
  children?: readonly SymbolNode[];
}

/** vscode.SymbolKind values (the enum is only in the `vscode` module). */
export const SymbolKind = { Class: 4, Method: 5, Constructor: 8, Enum: 9, Interface: 10, Function: 11, Variable: 12, Constant: 13, Struct: 22 } as const;
/** What a code symbol is, in a word (the `#` menu says it beside the name). */
export function symbolKindWord(kind: number): string {
  const words: Record<number, string> = { [SymbolKind.Class]: "class", [SymbolKind.Method]: "method", [SymbolKind.Constructor]: "constructor", [SymbolKind.Enum]: "enum", [SymbolKind.Interface]: "interface", [SymbolKind.Function]: "function", [SymbolKind.Struct]: "struct" };
  return words[kind] ?? "symbol";
}

const BLOCKS = new Set<number>([SymbolKind.Class, SymbolKind.Method, SymbolKind.Constructor, SymbolKind.Enum, SymbolKind.Interface, SymbolKind.Function, SymbolKind.Struct]);

/** The symbol kinds that are code a question is about: functions, methods, classes, interfaces, enums, structs. */
export const CODE_BLOCK_KINDS: ReadonlySet<number> = BLOCKS;

/**
 * The innermost function, method, class, interface, enum or struct whose lines hold `line`, or a variable
 * or constant over several lines there (`const handler = async () => { … }`). Undefined outside any.
 */
export function symbolAt(symbols: readonly SymbolNode[], line: number): SymbolNode | undefined {
  for (const s of symbols) {
    if (line < s.range.start.line || line > s.range.end.line) continue;
    const inner = s.children ? symbolAt(s.children, line) : undefined;
    if (inner) return inner;
    if (BLOCKS.has(s.kind)) return s;
    if ((s.kind === SymbolKind.Variable || s.kind === SymbolKind.Constant) && s.range.end.line > s.range.start.line) return s;
  }
  return undefined;
}

/**
 * The function, class or method named `name` (a workspace symbol's name: `Cache.get`, `formatMoney()`) nearest
 * `line`, anywhere in the tree; undefined when there is none of that name.
 */
export function symbolNamed(symbols: readonly SymbolNode[], name: string, line: number): SymbolNode | undefined {
  const bare = (n: string) => n.replace(/\(.*\)$/, "").split(".").pop()!.trim();
  const wanted = bare(name);
  let best: SymbolNode | undefined;
  const visit = (list: readonly SymbolNode[]) => {
    for (const s of list) {
      if (bare(s.name) === wanted && (BLOCKS.has(s.kind) || s.range.end.line > s.range.start.line)) {
        if (!best || Math.abs(s.range.start.line - line) < Math.abs(best.range.start.line - line)) best = s;
      }
      if (s.children) visit(s.children);
    }
  };
  visit(symbols);
  return best;
}

/** Whether the provider's answer is a DocumentSymbol tree (not the flat SymbolInformation list). */
export function isSymbolTree(v: unknown): v is SymbolNode[] {
  return Array.isArray(v) && v.every((s) => typeof s === "object" && s !== null && "range" in s && "children" in s);
}

/**
 * The first line of the comment right above line `start` (a `/** … *\/` block, or `///`, `//`, `#`, `--` lines),
 * or `start` when there is none: a symbol's range begins at its declaration, but its documentation belongs
 * with it (Add Documentation must replace it, not add a second one).
 */
export function commentStart(lineText: (line: number) => string, start: number): number {
  let line = start - 1;
  if (line < 0) return start;
  const text = (n: number) => lineText(n).trim();
  if (text(line).endsWith("*/")) {
    while (line >= 0 && !/^\/\*/.test(text(line))) line--;
    return line >= 0 ? line : start;
  }
  const lineComment = /^(\/\/|#(?![!\[])|--)/;
  let first = start;
  while (line >= 0 && lineComment.test(text(line))) first = line--;
  return first;
}
