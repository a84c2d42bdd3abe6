/**
 * The workspace's files for the chat's `#` menu: listed once (VS Code's file search, then the workspace
 * context's own rules: `.gitignore`, `hearth.workspace.ignore`, dependencies and build output, secrets),
 * kept current from file events, and ranked fuzzily with the files open in the editor first. Images and
 * recordings stay in the list (they become attachments when picked); other binary files do not.
 */
import * as path from "node:path";
import fuzzysort from "fuzzysort";
import * as vscode from "vscode";
import { BINARY_EXTENSIONS, DEFAULT_IGNORE_PATTERNS, type WorkspaceFilter } from "../../server/workspace/files";
import { chipPath, commandWithin } from "./commandInput";
import { folderFilter } from "./folderFilter";
import { CODE_BLOCK_KINDS, SymbolKind, symbolKindWord } from "./symbols";
import { secretFileReason } from "./prompt";
import type { FileMatch } from "./types";

/**
 * Folders the search itself leaves out: the default ignore patterns' folders (a `target/` or `node_modules/`
 * would otherwise fill the search's limit before the sources are reached), and VCS metadata.
 */
const NOT_LISTED = `**/{${[".git", ...DEFAULT_IGNORE_PATTERNS.filter((p) => /^[\w.-]+\/$/.test(p)).map((p) => p.slice(0, -1))].join(",")}}/**`;
/** Files listed per workspace folder at most. */
const MAX_FILES_PER_FOLDER = 50_000;
/** Matches the menu shows. */
export const MAX_MATCHES = 12;
/** Symbols are looked up from this many characters typed (one letter matches half the project). */
const MIN_SYMBOL_QUERY = 2;
/** Symbols the menu shows at most when files fill it. */
const MAX_SYMBOL_MATCHES = 4;
/** How long the languages' symbol search may take before the menu shows the files alone. */
const SYMBOLS_TIMEOUT_MS = 700;
/** An open file ranks above a closed one this much better (scores are 0–1). */
const OPEN_FILE_BOOST = 0.1;
/**
 * Binary files the `#` menu still offers, by name: images and recordings chat can attach (their content is
 * checked when picked, as for a file dropped from the Explorer).
 */
const MEDIA_NAME = /\.(png|jpe?g|webp|gif|bmp|wav|mp3|flac|ogg|oga|opus)$/i;

export interface ListedFile extends FileMatch {
  /** The file name (ranked before the path: `#cache` finds cache.ts before src/cache/index.ts). */
  name: string;
}

/** Files with their search keys prepared once, and the order an empty query shows (shallowest paths first). */
export class FileIndex {
  readonly files: ListedFile[] = [];
  private uris: Set<string> | undefined;
  private prepared: { file: ListedFile; name: Fuzzysort.Prepared; path: Fuzzysort.Prepared }[] | undefined;
  private byDepth: ListedFile[] | undefined;

  constructor(files: Iterable<ListedFile> = []) {
    for (const f of files) this.files.push(f);
  }

  has(uri: string): boolean {
    this.uris ??= new Set(this.files.map((f) => f.uri));
    return this.uris.has(uri);
  }

  add(file: ListedFile): void {
    if (this.has(file.uri)) return;
    this.files.push(file);
    // (kept up to date, not rebuilt: a checkout or a build creates files by the thousand)
    this.uris?.add(file.uri);
    this.prepared?.push(prepared(file));
    this.byDepth = undefined;
  }

  /** Removes the file, or every file under the folder, at `uri`. */
  remove(uri: string): void {
    if (this.has(uri)) {
      this.files.splice(this.files.findIndex((f) => f.uri === uri), 1);
      this.uris?.delete(uri);
      if (this.prepared) this.prepared = this.prepared.filter((p) => p.file.uri !== uri);
      this.byDepth = undefined;
      return;
    }
    const folder = uri.endsWith("/") ? uri : `${uri}/`;
    const kept = this.files.filter((f) => !f.uri.startsWith(folder));
    if (kept.length === this.files.length) return;
    this.files.splice(0, this.files.length, ...kept);
    this.prepared = this.byDepth = this.uris = undefined;
  }

  /**
   * The best matches for `query` (fuzzy on the name and the path), the open files (`open`, URIs, most recent
   * first) a little ahead; for an empty query the open files, then the shallowest paths.
   */
  rank(query: string, open: readonly string[] = [], limit = MAX_MATCHES): FileMatch[] {
    const openRank = new Map(open.map((u, i) => [u, i]));
    const out = (list: readonly ListedFile[]) => list.slice(0, limit).map(({ uri, path: p }) => ({ uri, path: p }));
    if (!query) {
      this.byDepth ??= this.files
        .map((f) => ({ f, depth: f.path.split("/").length }))
        .sort((a, b) => a.depth - b.depth || (a.f.path < b.f.path ? -1 : a.f.path > b.f.path ? 1 : 0))
        .map((x) => x.f);
      const opened = this.files.filter((f) => openRank.has(f.uri)).sort((a, b) => openRank.get(a.uri)! - openRank.get(b.uri)!);
      const rest: ListedFile[] = [];
      for (const f of this.byDepth) {
        if (rest.length + opened.length >= limit) break;
        if (!openRank.has(f.uri)) rest.push(f);
      }
      return out([...opened, ...rest]);
    }
    this.prepared ??= this.files.map(prepared);
    const found = fuzzysort.go(query, this.prepared, { keys: ["name", "path"], limit: limit * 20 });
    const scored = found.map((r) => ({ file: r.obj.file, score: r.score + (openRank.has(r.obj.file.uri) ? OPEN_FILE_BOOST : 0) }));
    scored.sort((a, b) => b.score - a.score || a.file.path.length - b.file.path.length);
    return out(scored.map((s) => s.file));
  }
}

/** A file with its search keys prepared (fuzzysort's work done once per file, not per query). */
function prepared(file: ListedFile) {
  return { file, name: fuzzysort.prepare(file.name), path: fuzzysort.prepare(file.path) };
}

/** The ranking on its own (tests, and callers with a plain list). */
export function rankFiles(query: string, files: readonly ListedFile[], open: readonly string[] = [], limit = MAX_MATCHES): FileMatch[] {
  return new FileIndex(files).rank(query, open, limit);
}

/**
 * The workspace's files for the `#` menu: listed on first use; files created or deleted are added or removed
 * as they come, and the list is read again when a `.gitignore`, the ignore setting or the folders change.
 */
export class WorkspaceFiles implements vscode.Disposable {
  private listing: Promise<FileIndex> | undefined;
  private readonly filters = new Map<string, WorkspaceFilter | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private watching = false;

  constructor(private readonly log: (msg: string) => void = () => {}) {
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.forget()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("hearth.workspace.ignore")) this.forget();
      }),
    );
  }

  /** The best files for a `#` query, the editor's open files first (answered at once, as typed). */
  async search(query: string): Promise<FileMatch[]> {
    return (await this.list()).rank(query, openFiles());
  }

  /** Whether a query is worth asking the languages for symbols (a name, not a path or a letter). */
  static looksForSymbols(query: string): boolean {
    return query.length >= MIN_SYMBOL_QUERY && !/[/\\]/.test(query);
  }

  /**
   * `files` (this query's) with the functions, classes and methods of that name the languages know (workspace
   * symbols) in files the menu offers: names that start with the query come before files that only match
   * fuzzily, the other symbols after the files.
   */
  async withSymbols(query: string, files: readonly FileMatch[]): Promise<FileMatch[]> {
    const index = await this.list();
    const symbols = await workspaceSymbols(query, (uri) => index.has(uri));
    if (!symbols.length) return [...files];
    const starts = (name: string) => name.toLowerCase().startsWith(query.toLowerCase());
    const strongFiles = files.filter((f) => starts(path.posix.basename(f.path)));
    const strongSymbols = symbols.filter((s) => starts(s.symbol!.name));
    const room = Math.max(MAX_SYMBOL_MATCHES, MAX_MATCHES - files.length);
    const shown = symbols.slice(0, room);
    const merged = [...strongFiles, ...shown.filter((s) => strongSymbols.includes(s)), ...files.filter((f) => !strongFiles.includes(f)), ...shown.filter((s) => !strongSymbols.includes(s))];
    // (the files that make room for the symbols are the last, weakest ones)
    const keepFiles = new Set(files.slice(0, MAX_MATCHES - shown.length));
    return merged.filter((m) => m.symbol || keepFiles.has(m)).slice(0, MAX_MATCHES);
  }

  /** Whether the menu offers this file (what the webview may ask to add). */
  async offers(uri: string): Promise<boolean> {
    return (await this.list()).has(uri);
  }

  list(): Promise<FileIndex> {
    this.watch();
    this.listing ??= this.read().catch((err) => {
      this.listing = undefined;
      this.log(`chat: could not list the workspace's files: ${err instanceof Error ? err.message : String(err)}`);
      return new FileIndex();
    });
    return this.listing;
  }

  private forget(): void {
    this.listing = undefined;
    this.filters.clear();
  }

  /** Watches from the first use on (a chat that never lists files watches nothing). */
  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    const files = vscode.workspace.createFileSystemWatcher("**/*", false, true, false);
    const ignores = vscode.workspace.createFileSystemWatcher("**/.gitignore");
    this.disposables.push(
      files,
      ignores,
      files.onDidCreate((uri) => void this.created(uri)),
      files.onDidDelete((uri) => void this.deleted(uri)),
      ignores.onDidChange(() => this.forget()),
      ignores.onDidCreate(() => this.forget()),
      ignores.onDidDelete(() => this.forget()),
    );
  }

  private async created(uri: vscode.Uri): Promise<void> {
    const listing = this.listing;
    if (!listing) return;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const file = folder && this.entry(folder, uri);
    if (!file) return;
    try {
      // (a folder created, or moved in: its files are not reported one by one, so it is listed again)
      if ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) this.forget();
      else if (this.listing === listing) (await listing).add(file);
    } catch {
      // gone again already
    }
  }

  private async deleted(uri: vscode.Uri): Promise<void> {
    const listing = this.listing;
    if (listing) (await listing).remove(uri.toString());
  }

  /** The menu's entry for a file, or undefined when the workspace context leaves it out. */
  private entry(folder: vscode.WorkspaceFolder, uri: vscode.Uri): ListedFile | undefined {
    const rel = path.posix.relative(folder.uri.path, uri.path);
    if (!rel || rel.startsWith("..") || secretFileReason(rel)) return undefined;
    if (!this.filters.has(folder.uri.toString())) this.filters.set(folder.uri.toString(), folderFilter(folder));
    const filter = this.filters.get(folder.uri.toString());
    // (a folder off disk has no filter: its binary files are still left out by name)
    const skip = filter ? filter.skipReason(rel, false) : BINARY_EXTENSIONS.has(path.posix.extname(rel).slice(1).toLowerCase()) ? "binary" : undefined;
    if (skip && !(skip === "binary" && MEDIA_NAME.test(rel))) return undefined;
    return { uri: uri.toString(), path: chipPath({ uri, isUntitled: false }), name: path.posix.basename(rel) };
  }

  private async read(): Promise<FileIndex> {
    const started = Date.now();
    const index = new FileIndex();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, "**/*"), NOT_LISTED, MAX_FILES_PER_FOLDER);
      if (uris.length >= MAX_FILES_PER_FOLDER) this.log(`chat: the # menu lists the first ${MAX_FILES_PER_FOLDER} files of ${folder.name} only`);
      for (const uri of uris) {
        // (a folder nested in another workspace folder is listed under its own name only)
        if (vscode.workspace.getWorkspaceFolder(uri)?.uri.toString() !== folder.uri.toString()) continue;
        const file = this.entry(folder, uri);
        if (file) index.files.push(file);
      }
    }
    this.log(`chat: listed ${index.files.length} workspace files for the # menu in ${Date.now() - started} ms`);
    return index;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The functions, classes and methods whose name matches `query` fuzzily, best first, from the languages'
 * workspace symbols, in the files `offered` says the menu offers; one entry per name and file (an overloaded
 * function is one, at the declaration that spans the most lines: its implementation).
 */
async function workspaceSymbols(query: string, offered: (uri: string) => boolean): Promise<FileMatch[]> {
  const found = await commandWithin(SYMBOLS_TIMEOUT_MS, "vscode.executeWorkspaceSymbolProvider", query);
  if (!Array.isArray(found)) return [];
  const best = new Map<string, vscode.SymbolInformation>();
  for (const s of found as vscode.SymbolInformation[]) {
    if (!CODE_BLOCK_KINDS.has(s.kind) || !s.location?.uri || !s.name || !offered(s.location.uri.toString())) continue;
    const key = `${s.location.uri.toString()}\0${s.containerName ?? ""}\0${s.name}`;
    const span = (x: vscode.SymbolInformation) => x.location.range.end.line - x.location.range.start.line;
    const seen = best.get(key);
    if (!seen || span(s) > span(seen)) best.set(key, s);
  }
  return fuzzysort.go(query, [...best.values()], { key: "name", limit: MAX_MATCHES }).map((r) => {
    const s = r.obj;
    // (a method or constructor with its class: `Cache.get`, not a bare `get` or `constructor`)
    const name = s.containerName && (s.kind === SymbolKind.Method || s.kind === SymbolKind.Constructor) ? `${s.containerName}.${s.name}` : s.name;
    return { uri: s.location.uri.toString(), path: chipPath({ uri: s.location.uri, isUntitled: false }), symbol: { name, line: s.location.range.start.line + 1, kind: symbolKindWord(s.kind) } };
  });
}

/** The files open in editor tabs, the active one first, then as the tabs are ordered. */
function openFiles(): string[] {
  const uris: string[] = [];
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active) uris.push(active.toString());
  for (const g of vscode.window.tabGroups?.all ?? []) {
    for (const tab of g.tabs) {
      const input = tab.input as { uri?: unknown } | undefined;
      if (input?.uri instanceof vscode.Uri) uris.push(input.uri.toString());
    }
  }
  return [...new Set(uris)];
}
