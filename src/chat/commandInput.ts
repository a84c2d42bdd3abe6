/**
 * A slash command's input, gathered from the editor: the code it works on (the message's context chips,
 * else the selection, else the function or class around the cursor, else the file) and what the editor
 * knows about that code: problems (`/fix`), the test framework and the project's tests (`/tests`). The
 * instruction itself is written by ./commandPrompt.ts.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { ChatCommandName } from "./commands";
import { commandPrompt, type CodeProblem, type CommandFacts } from "./commandPrompt";
import { selectedLines } from "./proposedChange";
import { MAX_CHIP_CHARS, secretFileReason } from "./prompt";
import { commentStart, isSymbolTree, symbolAt, symbolNamed } from "./symbols";
import { notebookScriptLine } from "../../server/completion/notebook";
import { detectTestFramework, MANIFEST_NAMES, type Manifests, nearestPath, newTestPath, testFileGlobs, testsThisFile } from "./testFramework";
import type { ContextChip } from "./types";
import { folderFilter } from "./folderFilter";

/** Folders never searched for example tests (dependencies and build output). */
const NOT_SOURCE = "**/{node_modules,dist,out,build,target,vendor,.git,.venv,venv,__pycache__}/**";
/** An example test file goes in whole up to this size, else its first lines up to it. */
const MAX_EXAMPLE_CHARS = 8_000;
/** Manifests larger than this are not read (a lock file in disguise). */
const MAX_MANIFEST_BYTES = 256 * 1024;
/** Test files larger than this are not read (to check what they import, or as an example). */
const MAX_TEST_FILE_BYTES = 512 * 1024;
/** How long the language's symbol provider may take before the file is used instead. */
const SYMBOLS_TIMEOUT_MS = 1_500;

/** `codeFile`: the file the answer's code belongs in (`/tests`: the file's tests, or the test file to write). */
export type PreparedCommand = { chips: ContextChip[]; prompt: string; codeFile?: vscode.Uri } | { problem: string };

/**
 * The workspace path a chip shows, as the workspace context names files: relative to its folder, with the
 * folder's name in front only in a workspace of several folders (`asRelativePath`'s default: `true` would
 * add it to a single folder's paths too).
 */
export function chipPath(doc: Pick<vscode.TextDocument, "uri" | "isUntitled">): string {
  return doc.isUntitled ? path.basename(doc.uri.path) || "untitled" : vscode.workspace.asRelativePath(doc.uri);
}

/** The selection as a context chip (whole lines' numbers, the selected text), or why it cannot be one. */
export function selectionChip(editor: vscode.TextEditor): ContextChip | string {
  const doc = editor.document;
  const sel = editor.selection;
  const lines = selectedLines(sel);
  if (!lines) return `Nothing is selected in ${path.basename(doc.uri.path)}: select some code first, or use + File.`;
  const text = doc.getText(sel);
  if (text.length > MAX_CHIP_CHARS) return `The selection is ${Math.round(text.length / 1000)}K characters; at most ${MAX_CHIP_CHARS / 1000}K fit in a message.`;
  return inNotebookTerms(doc, { kind: "selection", path: chipPath(doc), languageId: doc.languageId, range: [lines.startLine + 1, lines.endLine], text });
}

/**
 * Where a notebook cell's text is in its notebook as the workspace context shows it (the notebook's path, the
 * zero-based script line the cell's text starts on: completion/notebook.ts); undefined for other documents.
 */
export function cellInNotebook(doc: vscode.TextDocument): { path: string; firstLine: number } | undefined {
  const nb = doc.uri.scheme === "vscode-notebook-cell" ? notebookOfCell(doc) : undefined;
  if (!nb) return undefined;
  const firstLine = notebookScriptLine(cellTexts(nb), nb.getCells().findIndex((c) => c.document === doc));
  return firstLine === undefined ? undefined : { path: chipPath(nb), firstLine };
}

/** The notebook open in the editor that holds this cell's document, if any. */
export function notebookOfCell(doc: vscode.TextDocument): vscode.NotebookDocument | undefined {
  return vscode.workspace.notebookDocuments.find((n) => n.getCells().some((c) => c.document === doc));
}

/** A notebook's cells as the workspace context reads them: kind, text and language. */
export function cellTexts(nb: vscode.NotebookDocument): { kind: "markdown" | "code"; text: string; languageId: string }[] {
  return nb.getCells().map((c) => ({ kind: c.kind === vscode.NotebookCellKind.Markup ? "markdown" : "code", text: c.document.getText(), languageId: c.document.languageId }));
}

/**
 * A chip of `doc`'s lines named as the workspace context names them: in a notebook cell, by the notebook and
 * the lines in its script (a cell's own lines start at 1 in every cell, and the cell is not the whole file).
 */
function inNotebookTerms(doc: vscode.TextDocument, chip: ContextChip): ContextChip {
  const cell = cellInNotebook(doc);
  if (!cell) return chip;
  const [a, b] = chip.range ?? [1, doc.lineCount];
  return { ...chip, kind: "selection", path: cell.path, range: [cell.firstLine + a, cell.firstLine + b] };
}

/**
 * The code a command works on in `editor`: the selection; else the function, method or class around the
 * cursor (from the language's symbols); else the whole file. A sentence when it cannot be sent.
 */
export async function codeInEditor(editor: vscode.TextEditor): Promise<ContextChip | string> {
  const doc = editor.document;
  const secret = secretFileReason(doc.uri.path);
  if (secret) return secret;
  if (!editor.selection.isEmpty) return selectionChip(editor);
  const symbol = await symbolChip(doc, editor.selection.active.line);
  if (symbol) return symbol;
  const text = doc.getText();
  if (!text.trim()) return `${path.basename(doc.uri.path)} is empty.`;
  if (text.length > MAX_CHIP_CHARS) return `${path.basename(doc.uri.path)} is ${Math.round(text.length / 1000)}K characters, more than fits in a message: select the code first.`;
  return inNotebookTerms(doc, { kind: "file", path: chipPath(doc), languageId: doc.languageId, text });
}

/**
 * The function, method or class around `line` as a chip, with its doc comment (it says what the code is meant
 * to do); undefined without one there, or when it is more than fits in a message.
 */
export async function symbolChip(doc: vscode.TextDocument, line: number, name?: string): Promise<ContextChip | undefined> {
  const symbol = name ? await symbolNear(doc, name, line) : await symbolAround(doc, line);
  if (!symbol) return undefined;
  const start = commentStart((n) => doc.lineAt(n).text, symbol.range.start.line);
  const range = new vscode.Range(start, 0, symbol.range.end.line, doc.lineAt(symbol.range.end.line).text.length);
  const text = doc.getText(range);
  return text.length <= MAX_CHIP_CHARS ? inNotebookTerms(doc, { kind: "selection", path: chipPath(doc), languageId: doc.languageId, range: [start + 1, symbol.range.end.line + 1], text }) : undefined;
}

/** The function, method or class around `line` (from the language's symbols), if the language has them. */
export async function symbolAround(doc: vscode.TextDocument, line: number) {
  const symbols = await documentSymbols(doc);
  return symbols && symbolAt(symbols, line);
}

/** The symbol of that name nearest `line` (a workspace symbol picked in the `#` menu), else the one around it. */
async function symbolNear(doc: vscode.TextDocument, name: string, line: number) {
  const symbols = await documentSymbols(doc);
  return symbols && (symbolNamed(symbols, name, line) ?? symbolAt(symbols, line));
}

/** The document's symbol tree, or undefined (no provider for the language, or one too slow to wait for). */
async function documentSymbols(doc: vscode.TextDocument) {
  const symbols = await commandWithin(SYMBOLS_TIMEOUT_MS, "vscode.executeDocumentSymbolProvider", doc.uri);
  return isSymbolTree(symbols) ? symbols : undefined;
}

/**
 * A command's answer (a language feature's), or undefined when it fails (no provider for the language) or takes
 * longer than `ms` (a language server still starting): what it gives is context, not worth waiting for.
 */
export async function commandWithin(ms: number, command: string, ...args: unknown[]): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([vscode.commands.executeCommand<unknown>(command, ...args), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Everything a code command sends: the code (`chips`, else from `editor`), more context the command adds
 * (the project's tests for `/tests`), and the instruction. A sentence when there is no code to work on.
 */
export async function prepareCommand(
  command: Exclude<ChatCommandName, "clear">,
  rest: string,
  chips: readonly ContextChip[],
  editor: vscode.TextEditor | undefined,
): Promise<PreparedCommand> {
  let code = [...chips];
  if (!code.length) {
    if (!editor) return { problem: `Open a file and select the code for /${command}, or add it with + Selection.` };
    const chip = await codeInEditor(editor);
    if (typeof chip === "string") return { problem: chip };
    code = [chip];
  }
  const main = code[0];
  const named = (d: vscode.TextDocument) => chipPath(d) === main.path || cellInNotebook(d)?.path === main.path;
  const doc = editor && named(editor.document) ? editor.document : vscode.workspace.textDocuments.find((d) => chipPath(d) === main.path);
  const facts: CommandFacts = { languageId: main.languageId, path: main.path };
  if ((command === "fix" || command === "review") && doc) facts.problems = problemsInChip(doc, main);
  let codeFile: vscode.Uri | undefined;
  if (command === "tests" && doc) {
    const tests = await testContext(doc);
    Object.assign(facts, tests.facts);
    codeFile = tests.codeFile;
    if (tests.chip && !code.some((c) => c.path === tests.chip?.path)) code = [...code, tests.chip];
  }
  return { chips: code, prompt: commandPrompt(command, rest, facts), ...(codeFile ? { codeFile } : {}) };
}

/** An error or a warning: what the chat's /fix and /review quote, and what *Fix with Hearth* is offered on. */
export const isProblem = (d: vscode.Diagnostic) => d.severity === vscode.DiagnosticSeverity.Error || d.severity === vscode.DiagnosticSeverity.Warning;

/**
 * The problems within a chip's lines of `doc`; in a notebook cell the chip's lines are the notebook script's, so
 * they are taken back to the cell's and the problems' lines given in the script's (a chip of another cell: unknown).
 */
function problemsInChip(doc: vscode.TextDocument, chip: ContextChip): CodeProblem[] | undefined {
  const shift = cellInNotebook(doc)?.firstLine ?? 0;
  if (!shift) return problemsIn(doc, chip.range);
  const range: [number, number] | undefined = chip.range && [chip.range[0] - shift, chip.range[1] - shift];
  // (the chip is another cell's: its problems are not known from this one)
  if (range && (range[0] < 1 || range[1] > doc.lineCount)) return undefined;
  return problemsIn(doc, range).map((p) => ({ ...p, line: p.line + shift }));
}

/** Errors and warnings the editor reports within the 1-based `range` (all of the file without one). */
export function problemsIn(doc: vscode.TextDocument, range?: [number, number]): CodeProblem[] {
  const [first, last] = range ? [range[0] - 1, range[1] - 1] : [0, Number.MAX_SAFE_INTEGER];
  return vscode.languages
    .getDiagnostics(doc.uri)
    .filter((d) => isProblem(d) && d.range.start.line >= first && d.range.start.line <= last)
    .sort((a, b) => a.severity - b.severity || a.range.start.line - b.range.start.line)
    .map((d) => ({
      line: d.range.start.line + 1,
      message: d.message,
      severity: d.severity === vscode.DiagnosticSeverity.Error ? ("error" as const) : ("warning" as const),
      ...(d.source ? { source: d.source } : {}),
      ...(d.code !== undefined ? { code: typeof d.code === "object" ? String(d.code.value) : String(d.code) } : {}),
    }));
}

/**
 * `/tests`: the framework (from the manifests up to the workspace folder), and the project's tests of this file
 * (to add to) or another test file of its language (to follow), attached as context; else where new tests go.
 * Test files the workspace context leaves out (.gitignore, `hearth.workspace.ignore`, dependencies, secrets)
 * are never taken.
 */
async function testContext(doc: vscode.TextDocument): Promise<{ facts: Partial<CommandFacts>; chip?: ContextChip; codeFile?: vscode.Uri }> {
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const manifests = folder ? await readManifests(doc.uri, folder.uri) : {};
  const facts: Partial<CommandFacts> = {};
  const framework = detectTestFramework(doc.languageId, manifests);
  if (framework) facts.framework = framework;
  if (!folder) return { facts };
  const rel = path.posix.relative(folder.uri.path, doc.uri.path);
  const globs = testFileGlobs(rel, doc.languageId);
  if (!globs) return { facts };
  const filter = folderFilter(folder);
  const find = async (glob: string, max: number) => {
    const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, glob), NOT_SOURCE, max);
    return uris
      .map((u) => path.posix.relative(folder.uri.path, u.path))
      .filter((p) => !p.startsWith("..") && !secretFileReason(p) && !filter?.skipReason(p, false))
      .sort((a, b) => (nearestPath(rel, [a, b]) === a ? -1 : 1));
  };
  let codeFile: vscode.Uri | undefined;
  // Same-named tests are this file's only when they sit with it or import it (src/a/utils.ts is not src/b/utils.test.ts's).
  let existing: { path: string; text: string } | undefined;
  const named = await find(globs.same, 20);
  for (const p of named) {
    const text = await readText(vscode.Uri.joinPath(folder.uri, p));
    if (text !== undefined && testsThisFile(p, text, rel)) {
      existing = { path: p, text };
      break;
    }
  }
  const example = existing?.path ?? named[0] ?? (await find(globs.any, 200))[0];
  if (!existing) {
    // (beside the example, named as the project names tests; beside the file when that name is another file's tests)
    let target = newTestPath(rel, doc.languageId, example);
    if (named.includes(target)) target = newTestPath(rel, doc.languageId);
    codeFile = vscode.Uri.joinPath(folder.uri, target);
    facts.testPath = chipPath({ uri: codeFile, isUntitled: false });
  } else {
    codeFile = vscode.Uri.joinPath(folder.uri, existing.path);
  }
  if (!example) return { facts, codeFile };
  const uri = vscode.Uri.joinPath(folder.uri, example);
  const chip = exampleChip(uri, doc.languageId, existing?.text ?? (await readText(uri)));
  if (chip) facts[existing ? "existingTests" : "exampleTests"] = chip.path;
  return { facts, chip, codeFile };
}

/** Each manifest from the file's folder up to the workspace folder, nearest first. */
async function readManifests(file: vscode.Uri, root: vscode.Uri): Promise<Manifests> {
  const found: Manifests = {};
  let dir = vscode.Uri.joinPath(file, "..");
  for (;;) {
    const here = await Promise.all(MANIFEST_NAMES.map(async (name) => [name, await readText(vscode.Uri.joinPath(dir, name), MAX_MANIFEST_BYTES)] as const));
    for (const [name, text] of here) if (text !== undefined) (found[name] ??= []).push(text);
    if (dir.path === root.path || !dir.path.startsWith(root.path) || dir.path.length <= root.path.length) break;
    dir = vscode.Uri.joinPath(dir, "..");
  }
  return found;
}

/** A file's text, or undefined when it is missing, a folder, larger than `max` or binary. */
async function readText(uri: vscode.Uri, max = MAX_TEST_FILE_BYTES): Promise<string | undefined> {
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > max || stat.type & vscode.FileType.Directory) return undefined;
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    return text.includes("\0") ? undefined : text.replace(/\r\n/g, "\n");
  } catch {
    return undefined;
  }
}

/** A test file as context: whole when short, else its first lines (imports and the first tests show the style). */
function exampleChip(uri: vscode.Uri, languageId: string, text: string | undefined): ContextChip | undefined {
  if (!text?.trim()) return undefined;
  const p = chipPath({ uri, isUntitled: false });
  if (text.length <= MAX_EXAMPLE_CHARS) return { kind: "file", path: p, languageId, text };
  const cut = text.lastIndexOf("\n", MAX_EXAMPLE_CHARS);
  const head = text.slice(0, cut > 0 ? cut : MAX_EXAMPLE_CHARS);
  return { kind: "selection", path: p, languageId, range: [1, head.split("\n").length], text: head };
}
