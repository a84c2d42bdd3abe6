/**
 * The workspace index: WHAT goes into the workspace prefix of every completion prompt, and in
 * WHICH ORDER. Pure bookkeeping over the file system; no engine calls.
 *
 * Order: files by last change, least recently changed first, ties by path. An edit (on disk
 * via update(), or unsaved via setOpenDocument()) moves the file's chunks to the end, so every
 * chunk before it stays byte-identical and the engine re-evaluates only the tail (see
 * docs/workspace-prefix.md: Gemma 4's sliding-window cache restores from the newest checkpoint
 * before the first difference). A content-identical save moves nothing.
 *
 * Budget: while everything fits in `tokenBudget`, everything is in. Otherwise files are chosen
 * newest first, skipping a file that does not fit (so large old files go first), up to
 * `tokenBudget × (1 − budgetSlack)`. Edited and new files are always added at the end; only
 * when the prefix then grows past `tokenBudget` is the choice made again (a trim, which
 * usually drops old files near the front: one large re-evaluation, after which `budgetSlack`
 * of growth is absorbed without another). Excluded files never re-enter the middle of the
 * prefix on their own: they come back when edited (at the end), or at the next trim/build.
 */
import { languageForPath, type ContextChunk } from "../completion/layout";
import { chunkFile, normalizeText, type ChunkOptions, type FileChunk } from "./chunks";
import { sniffText, TimeSlicer, toWorkspacePath, WorkspaceFilter, type SkipReason, type WorkspaceFile } from "./files";
import { lstatSync } from "node:fs";
import path from "node:path";

export interface WorkspaceIndexOptions {
  /** Hearth's `ignore` setting: gitignore-style patterns relative to the workspace root */
  ignore?: string[];
  /** skip files larger than this without reading them (default 256 KB) */
  maxFileBytes?: number;
  /** the most tokens chunks() may hold (prompt overhead of each chunk's turn included) */
  tokenBudget: number;
  /** token count of a text (default: ⌈chars / 3.5⌉); the engine's tokenizer when available */
  estimateTokens?: (text: string) => number;
  /** fraction of the budget left free when the index has to trim (default 0.1) */
  budgetSlack?: number;
  /** chunk size (default 64 lines / 2048 characters) */
  chunk?: ChunkOptions;
}

export interface IndexChange {
  /** index in chunks() of the first chunk that differs from before; chunks().length when none does */
  firstChangedIndex: number;
  tokensBefore: number;
  tokensAfter: number;
  /** tokens of chunks().slice(0, firstChangedIndex): the prefix the engine can keep */
  reusedTokens: number;
}

/** A chunk of the prefix: a ContextChunk (path, text) with its lines, hash and token estimate. */
export interface IndexedChunk extends FileChunk, ContextChunk {
  /** estimated tokens of the chunk's turn in the prompt, overhead included */
  tokens: number;
}

export interface IndexStats {
  /** files that passed every filter */
  files: number;
  /** files whose chunks are in chunks() */
  includedFiles: number;
  chunks: number;
  tokens: number;
  tokenBudget: number;
  /** entries left out by the last full scan (and updates since), by reason */
  skipped: Partial<Record<SkipReason, number>>;
}

interface Entry {
  path: string;
  size: number;
  mtimeMs: number;
  /** order: (key, seq, path) ascending. build: key = mtime, seq = 0; a change: key ≥ every key, seq = ++counter */
  key: number;
  seq: number;
  chunks: IndexedChunk[];
  tokens: number;
}

export const DEFAULT_BUDGET_SLACK = 0.1;

export function defaultEstimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}

export class WorkspaceIndex {
  readonly root: string;
  private readonly opts: WorkspaceIndexOptions;
  private readonly estimate: (text: string) => number;
  private tokenBudget: number;
  private filter?: WorkspaceFilter;
  private readonly entries = new Map<string, Entry>();
  /** every entry, in prefix order */
  private ordered: Entry[] = [];
  private readonly included = new Set<string>();
  private list: IndexedChunk[] = [];
  private listTokens = 0;
  private seq = 0;
  private maxKey = -Infinity;
  private readonly openDocs = new Map<string, string>();
  private skipped: Partial<Record<SkipReason, number>> = {};
  private readonly wrapperTokens = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private built = false;

  constructor(root: string, opts: WorkspaceIndexOptions) {
    this.root = path.resolve(root);
    this.opts = opts;
    this.estimate = opts.estimateTokens ?? defaultEstimateTokens;
    this.tokenBudget = opts.tokenBudget;
  }

  /** Scans the whole workspace and reads every candidate file. Replaces any previous state. */
  build(): Promise<void> {
    return this.serial(async () => {
      await this.fullScan(new Set(), true);
      this.built = true;
    });
  }

  /**
   * Re-reads the given paths (absolute, workspace-relative or file:// URIs; files or
   * directories; created, changed or deleted). A changed `.gitignore` or `.git/info/exclude`
   * re-scans the workspace, re-reading only files whose size or mtime changed.
   */
  update(changedPaths: string[]): Promise<IndexChange> {
    return this.serial(async () => {
      const before = this.list;
      const rels = uniq(changedPaths.map((p) => toWorkspacePath(this.root, p)).filter((p): p is string => !!p));
      if (!this.built) {
        await this.fullScan(new Set(), true);
        this.built = true;
      } else if (await this.ignoreRulesChanged(rels)) {
        await this.fullScan(new Set(rels), false);
      } else {
        const changed: Entry[] = [];
        for (const rel of rels) await this.refreshPath(rel, changed);
        this.commit(changed);
      }
      return this.diff(before);
    });
  }

  /**
   * Unsaved editor content for `path` (undefined = closed: back to the file on disk). It is
   * checked like a file on disk (path filters, secrets, size) and, if its text differs from
   * what the index holds, moves the file to the end. Call it on save / when switching files
   * rather than on every keystroke: the current file is in the volatile part of the prompt.
   */
  setOpenDocument(file: string, text: string | undefined): Promise<IndexChange> {
    return this.serial(async () => {
      const before = this.list;
      const rel = toWorkspacePath(this.root, file);
      if (rel === undefined) return this.diff(before);
      const changed: Entry[] = [];
      if (text === undefined) {
        if (!this.openDocs.delete(rel)) return this.diff(before);
        if (this.built) await this.refreshPath(rel, changed);
      } else {
        this.openDocs.set(rel, text);
        if (this.built) this.refreshOpenDoc(rel, text, changed);
      }
      this.commit(changed);
      return this.diff(before);
    });
  }

  /** Changes the budget; re-chooses the files if the prefix no longer fits or could hold more. */
  setTokenBudget(tokens: number): Promise<IndexChange> {
    return this.serial(async () => {
      const before = this.list;
      this.tokenBudget = tokens;
      if (this.listTokens > tokens || this.included.size < this.entries.size) {
        this.select();
        this.materialize();
      }
      return this.diff(before);
    });
  }

  /** The workspace prefix content, in prefix order (a copy; the chunk objects are frozen). */
  chunks(): IndexedChunk[] {
    return this.list.slice();
  }

  /** Estimated tokens of chunks(). */
  tokens(): number {
    return this.listTokens;
  }

  stats(): IndexStats {
    return {
      files: this.entries.size,
      includedFiles: this.included.size,
      chunks: this.list.length,
      tokens: this.listTokens,
      tokenBudget: this.tokenBudget,
      skipped: { ...this.skipped },
    };
  }

  // -------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Walks everything. `initial`: order by mtime (a build). Otherwise (ignore rules changed):
   * keep the current order; files that are new, changed on disk, or in `touched` are re-read,
   * and those whose text changed move to the end.
   */
  private async fullScan(touched: Set<string>, initial: boolean): Promise<void> {
    this.filter = new WorkspaceFilter(this.root, { ignore: this.opts.ignore, maxFileBytes: this.opts.maxFileBytes });
    const walk = await this.filter.walk();
    this.skipped = walk.skipped;
    const found = new Set(walk.files.map((f) => f.path));

    if (initial) {
      this.entries.clear();
      this.included.clear();
      this.ordered = [];
      this.seq = 0;
    }
    // Gone, or ignored now.
    for (const rel of [...this.entries.keys()]) {
      if (!found.has(rel) && !this.openDocs.has(rel)) this.remove(rel);
    }
    const changed: Entry[] = [];
    const slicer = new TimeSlicer();
    for (const f of walk.files) {
      // (A build reads open documents' files too, so an unmodified one keeps its place.)
      if (!initial && this.openDocs.has(f.path)) continue;
      const old = this.entries.get(f.path);
      if (old && old.size === f.size && old.mtimeMs === f.mtimeMs && !touched.has(f.path)) continue;
      this.readFile(f, changed, true);
      await slicer.maybeYield();
    }

    if (initial) {
      // Same files and mtimes → same order: (mtime, path).
      this.ordered = [...this.entries.values()].sort(compareEntries);
      this.maxKey = this.ordered.reduce((m, e) => Math.max(m, e.key), -Infinity);
      this.select();
      changed.length = 0;
    }
    // Open documents that differ from the disk count as edits.
    for (const [rel, text] of this.openDocs) this.refreshOpenDoc(rel, text, changed);
    this.commit(changed);
  }

  /** True if a `.gitignore` that applies (its directory is not skipped) or the exclude file changed. */
  private async ignoreRulesChanged(rels: string[]): Promise<boolean> {
    for (const rel of rels) {
      if (rel === ".git/info/exclude" || rel === ".gitignore") return true;
      if (rel.endsWith("/.gitignore") && !this.filter!.skipReason(rel.slice(0, -"/.gitignore".length), true)) return true;
    }
    return false;
  }

  /** Re-reads one path from disk (file, directory, or gone). */
  private async refreshPath(rel: string, changed: Entry[]): Promise<void> {
    const filter = this.filter!;
    if (rel.split("/").includes(".git")) return;
    const open = this.openDocs.get(rel);
    if (open !== undefined) return void this.refreshOpenDoc(rel, open, changed);

    const kind = statKind(path.join(this.root, ...rel.split("/")));
    if (kind === "missing" || kind === "dir") {
      const under = rel + "/";
      const found = new Set<string>();
      if (kind === "dir") {
        const walk = await filter.walk(rel);
        const slicer = new TimeSlicer();
        for (const f of walk.files) {
          found.add(f.path);
          if (!this.openDocs.has(f.path)) this.readFile(f, changed, true);
          await slicer.maybeYield();
        }
      }
      this.remove(rel);
      for (const p of [...this.entries.keys()]) {
        if (p.startsWith(under) && !found.has(p) && !this.openDocs.has(p)) this.remove(p);
      }
      return;
    }
    const reason = kind === "file" ? filter.skipReason(rel, false) : kind;
    if (reason) {
      this.countSkip(reason);
      this.remove(rel);
      return;
    }
    this.readFile({ path: rel, size: -1, mtimeMs: -1 }, changed, false);
  }

  private readFile(f: WorkspaceFile, changed: Entry[], fromWalk: boolean): void {
    const r = this.filter!.read(f.path, !fromWalk);
    if (!r.ok) {
      this.countSkip(r.reason);
      this.remove(f.path);
      return;
    }
    const e = this.setText(f.path, r.text, r.size, r.mtimeMs);
    if (e) changed.push(e);
  }

  private refreshOpenDoc(rel: string, text: string, changed: Entry[]): void {
    const filter = this.filter!;
    const bytes = Buffer.byteLength(text, "utf8");
    const reason = filter.skipReason(rel, false) ?? (bytes > filter.maxFileBytes ? "too-large" : sniffText(text));
    if (reason) {
      this.countSkip(reason);
      this.remove(rel);
      return;
    }
    const e = this.setText(rel, text, bytes, this.entries.get(rel)?.mtimeMs ?? Date.now());
    if (e) changed.push(e);
  }

  /**
   * Records a file's text. Returns the new entry if the text is new or different (a change;
   * commit() places it), or undefined if the index already holds this exact text (then only
   * size and mtime are refreshed and the file keeps its place).
   */
  private setText(rel: string, text: string, size: number, mtimeMs: number): Entry | undefined {
    const old = this.entries.get(rel);
    if (old && sameText(old, text)) {
      old.size = size;
      old.mtimeMs = mtimeMs;
      return undefined;
    }
    const chunks = chunkFile(rel, text, this.opts.chunk).map((c) => this.indexChunk(c));
    if (chunks.length === 0) {
      this.countSkip("empty");
      this.remove(rel);
      return undefined;
    }
    const tokens = chunks.reduce((n, c) => n + c.tokens, 0);
    const e: Entry = { path: rel, size, mtimeMs, key: mtimeMs, seq: 0, chunks, tokens };
    this.entries.set(rel, e);
    this.included.delete(rel); // commit() decides
    return e;
  }

  private indexChunk(c: FileChunk): IndexedChunk {
    let wrapper = this.wrapperTokens.get(c.path);
    if (wrapper === undefined) {
      // The turn around the text, as layout.ts writes it (fence length aside).
      wrapper = this.estimate("<|turn>user\nWorkspace file: " + c.path + "\n```" + languageForPath(c.path) + "\n\n```<turn|>\n");
      this.wrapperTokens.set(c.path, wrapper);
    }
    return Object.freeze({ ...c, tokens: wrapper + this.estimate(c.text) });
  }

  private remove(rel: string): void {
    if (this.entries.delete(rel)) this.included.delete(rel);
  }

  private countSkip(reason: SkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  /**
   * Applies changes: changed entries go to the end (ordered by mtime, then path), in; gone
   * entries out; a trim if the prefix outgrew the budget. Then rebuilds the chunk list.
   */
  private commit(changed: Entry[]): void {
    const moved = new Set(changed.map((e) => e.path));
    changed.sort((a, b) => a.mtimeMs - b.mtimeMs || comparePaths(a.path, b.path));
    this.ordered = this.ordered.filter((e) => !moved.has(e.path) && this.entries.get(e.path) === e);
    for (const e of changed) {
      if (this.entries.get(e.path) !== e) continue; // replaced or removed since
      e.key = Math.max(e.mtimeMs, this.maxKey);
      e.seq = ++this.seq;
      this.maxKey = e.key;
      this.ordered.push(e);
      this.included.add(e.path);
    }
    let inTokens = 0;
    for (const e of this.ordered) if (this.included.has(e.path)) inTokens += e.tokens;
    if (inTokens > this.tokenBudget) this.select();
    this.materialize();
  }

  /** Chooses the included files: all if they fit, else newest first up to budget × (1 − slack). */
  private select(): void {
    const total = this.ordered.reduce((n, e) => n + e.tokens, 0);
    this.included.clear();
    if (total <= this.tokenBudget) {
      for (const e of this.ordered) this.included.add(e.path);
      return;
    }
    const target = this.tokenBudget * (1 - (this.opts.budgetSlack ?? DEFAULT_BUDGET_SLACK));
    let used = 0;
    for (let i = this.ordered.length - 1; i >= 0; i--) {
      const e = this.ordered[i];
      if (used + e.tokens <= target) {
        this.included.add(e.path);
        used += e.tokens;
      }
    }
  }

  private materialize(): void {
    const list: IndexedChunk[] = [];
    let tokens = 0;
    for (const e of this.ordered) {
      if (!this.included.has(e.path)) continue;
      for (const c of e.chunks) list.push(c);
      tokens += e.tokens;
    }
    this.list = list;
    this.listTokens = tokens;
  }

  private diff(before: IndexedChunk[]): IndexChange {
    const after = this.list;
    let i = 0;
    let reused = 0;
    const n = Math.min(before.length, after.length);
    while (i < n && sameChunk(before[i], after[i])) reused += after[i++].tokens;
    return {
      firstChangedIndex: i,
      tokensBefore: before.reduce((t, c) => t + c.tokens, 0),
      tokensAfter: this.listTokens,
      reusedTokens: reused,
    };
  }
}

/** The chunks concatenated are the (LF-normalised) text. */
function sameText(e: Entry, text: string): boolean {
  const src = normalizeText(text);
  let at = 0;
  for (const c of e.chunks) {
    if (!src.startsWith(c.text, at)) return false;
    at += c.text.length;
  }
  return at === src.length;
}

function sameChunk(a: IndexedChunk, b: IndexedChunk): boolean {
  return a === b || (a.path === b.path && a.text === b.text);
}

function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareEntries(a: Entry, b: Entry): number {
  return a.key - b.key || a.seq - b.seq || comparePaths(a.path, b.path);
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function statKind(abs: string): "file" | "dir" | "missing" | "symlink" | "special" {
  try {
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) return "symlink";
    if (st.isDirectory()) return "dir";
    return st.isFile() ? "file" : "special";
  } catch {
    return "missing";
  }
}
