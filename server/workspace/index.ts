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
 * `tokenBudget × (1 − budgetSlack)`. Edited and new files are always added at the end, and together with
 * superseded copies (below) they may take the prefix `overflowShare` past the budget: only beyond that is
 * the choice made again (a trim, which usually drops old files near the front: one large re-evaluation,
 * hours for a 12B on a CPU, so trims must be rare: after one, `budgetSlack + overflowShare` of the budget
 * is absorbed without another). Excluded files never re-enter the middle of the prefix on their own: they
 * come back when edited (at the end), or at the next trim/build.
 *
 * Superseded copies: moving a file that sits far from the tail would make the engine re-evaluate everything
 * after its old place (most of a 256K prefix for an old file: hours for a 12B on a CPU). So when more than
 * `keepCopyAfterTokens` follow it, its previous chunks stay where they are, unchanged, and the new text goes
 * to the end with a header saying it replaces the copy above (layout.ts). When the overflow is used up,
 * copies go first, the ones nearest the tail first (the engine re-evaluates from the earliest dropped one,
 * so those cost least); a trim drops them all. A file that becomes ignored, secret or is deleted takes its
 * copies with it at once.
 *
 * Restart: seed() takes the chunk list an earlier run saved with its evaluated prefix, so the rebuilt order
 * (superseded copies included) and the choice of files match the saved engine cache instead of re-sorting
 * by mtime and choosing again.
 *
 * Folders: one index covers every folder of a multi-root workspace (roots.ts: each folder walked with its own
 * filter, paths `<folder>/<rel>`), in one order across all of them: per-folder prefixes concatenated would make
 * an edit in the first folder re-evaluate every folder after it. Entries are keyed by the prefix's path.
 */
import { languageForPath, type ContextChunk } from "../completion/layout";
import { chunkFile, chunkHash, normalizeText, type ChunkOptions, type FileChunk } from "./chunks";
import { sniffText, TimeSlicer, WorkspaceFilter, withoutFileScheme, type SkipReason, type WorkspaceFile } from "./files";
import { WorkspaceRoots, type WorkspaceRoot } from "./roots";
import { lstatSync } from "node:fs";
import path from "node:path";

export interface WorkspaceIndexOptions {
  /** Hearth's `ignore` setting: gitignore-style patterns relative to each workspace folder without its own */
  ignore?: string[];
  /** a folder's own patterns (relative to it), keyed by its directory or file:// URI; see ignoreFor() */
  folderIgnore?: Record<string, string[]>;
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
  /** a changed file keeps its previous copy in place when more than this many tokens follow it (default 2048) */
  keepCopyAfterTokens?: number;
  /**
   * files added since the last trim and superseded copies may take the prefix this share past the budget;
   * beyond it copies go (nearest the tail first), then a trim (default 0.25)
   */
  overflowShare?: number;
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

/** A chunk of a saved prefix, as seed() takes it back: a new copy of a file starts at line 1. */
export interface SeedChunk {
  path: string;
  text: string;
  startLine?: number;
  replacesEarlier?: boolean;
}

/** What to save with an evaluated prefix so that build() can rebuild its order (chunks() gives them line numbers). */
export function seedOf(chunks: readonly ContextChunk[]): SeedChunk[] {
  return chunks.map((c) => ({
    path: c.path,
    text: c.text,
    ...("startLine" in c && typeof c.startLine === "number" ? { startLine: c.startLine } : {}),
    ...(c.replacesEarlier ? { replacesEarlier: true } : {}),
  }));
}

export interface IndexStats {
  /** files that passed every filter */
  files: number;
  /** files whose chunks are in chunks() */
  includedFiles: number;
  chunks: number;
  /** chunks of superseded copies (previous texts kept in place), part of `chunks` */
  supersededChunks: number;
  tokens: number;
  tokenBudget: number;
  /** entries left out by the last full scan (and updates since), by reason */
  skipped: Partial<Record<SkipReason, number>>;
}

interface Entry {
  /** as the prefix shows it (roots.ts) */
  path: string;
  size: number;
  mtimeMs: number;
  /** order: (key, seq, path) ascending. build: key = mtime, seq = 0; a change: key ≥ every key, seq = ++counter */
  key: number;
  seq: number;
  chunks: IndexedChunk[];
  tokens: number;
  /** in the prefix (a live entry chosen by the budget; a superseded copy is in while it is in `ordered`) */
  included: boolean;
  /** a file's previous text, kept in place after the file changed (see the header) */
  superseded?: boolean;
  /** the chunks as materialize() last put them in the prefix (with or without the replacement header) */
  shown?: IndexedChunk[];
  /** `chunks` marked as replacing an earlier copy, made once so the same objects come back every time */
  marked?: IndexedChunk[];
}

export const DEFAULT_BUDGET_SLACK = 0.1;
export const DEFAULT_KEEP_COPY_AFTER_TOKENS = 2048;
export const DEFAULT_OVERFLOW_SHARE = 0.25;

export function defaultEstimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5);
}

/**
 * The ignore patterns of the workspace folder `root`: its own entry in `folderIgnore` (a multi-root window's
 * folder settings), else `ignore` (the window's value; every folder's when a client sends no entries).
 */
export function ignoreFor(root: WorkspaceRoot, opts: Pick<WorkspaceIndexOptions, "ignore" | "folderIgnore">): string[] | undefined {
  for (const [key, patterns] of Object.entries(opts.folderIgnore ?? {})) {
    const dir = withoutFileScheme(key);
    if (dir !== undefined && path.isAbsolute(dir) && path.resolve(dir) === root.dir) return patterns;
  }
  return opts.ignore;
}

export class WorkspaceIndex {
  private roots: WorkspaceRoots;
  private opts: WorkspaceIndexOptions;
  private readonly estimate: (text: string) => number;
  private tokenBudget: number;
  /** each folder's filter, made by the last full scan */
  private filters = new Map<WorkspaceRoot, WorkspaceFilter>();
  /** by the prefix's path */
  private readonly entries = new Map<string, Entry>();
  /** every entry, in prefix order */
  private ordered: Entry[] = [];
  /** paths removed since the last commit (ignored, secret, deleted …): their superseded copies go too */
  private readonly purged = new Set<string>();
  private list: IndexedChunk[] = [];
  private listTokens = 0;
  private seq = 0;
  private maxKey = -Infinity;
  private readonly openDocs = new Map<string, string>();
  private skipped: Partial<Record<SkipReason, number>> = {};
  private readonly wrapperTokens = new Map<string, number>();
  private queue: Promise<unknown> = Promise.resolve();
  private built = false;

  /** `roots`: the workspace folder, or the folders of a multi-root workspace. */
  constructor(roots: string | WorkspaceRoots, opts: WorkspaceIndexOptions) {
    this.roots = typeof roots === "string" ? WorkspaceRoots.of([roots]) : roots;
    this.opts = opts;
    this.estimate = opts.estimateTokens ?? defaultEstimateTokens;
    this.tokenBudget = opts.tokenBudget;
  }

  /**
   * Scans the whole workspace and reads every candidate file. Replaces any previous state. `seed`: the chunks
   * of a prefix an earlier run saved (see seeded()), to rebuild its order rather than sort by mtime.
   */
  build(seed?: readonly SeedChunk[]): Promise<void> {
    return this.serial(async () => {
      await this.fullScan(new Set(), true, seed);
      this.built = true;
    });
  }

  /** The workspace folders. */
  folders(): WorkspaceRoots {
    return this.roots;
  }

  /**
   * Re-reads the given paths (absolute, as the prefix shows them, or file:// URIs; files or
   * directories; created, changed or deleted). A changed `.gitignore` or `.git/info/exclude`
   * re-scans the workspace, re-reading only files whose size or mtime changed.
   */
  update(changedPaths: string[]): Promise<IndexChange> {
    return this.serial(async () => {
      const before = this.list;
      const located = changedPaths.map((p) => this.roots.locate(p)).filter((p) => p !== undefined);
      const rels = uniq(located.map((p) => p.path));
      // A directory that holds a nested folder (or is one): that folder is re-walked as a whole.
      const whole = uniq(located.flatMap((p) => this.roots.under(path.join(p.root.dir, ...p.rel.split("/")))));
      if (!this.built) {
        await this.fullScan(new Set(), true);
        this.built = true;
      } else if (await this.ignoreRulesChanged(rels)) {
        await this.fullScan(new Set(rels), false);
      } else {
        const changed: Entry[] = [];
        // A checkout reports thousands of paths at once: read them in time slices, so the host keeps answering
        // (chunks() still gives the previous list until commit()).
        const slicer = new TimeSlicer();
        for (const rel of rels) {
          await this.refreshPath(rel, changed);
          await slicer.maybeYield();
        }
        for (const root of whole) await this.refreshDir(root, "", changed);
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
      const rel = this.roots.locate(file)?.path;
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

  /**
   * New `ignore` patterns (`folderIgnore`: folders' own, see ignoreFor()): re-scans like a changed .gitignore
   * (files now ignored leave, with their copies; files no longer ignored are read and join at the end).
   */
  setIgnore(patterns: string[], folderIgnore?: Record<string, string[]>): Promise<IndexChange> {
    return this.serial(async () => {
      const before = this.list;
      this.opts = { ...this.opts, ignore: [...patterns], folderIgnore: folderIgnore && { ...folderIgnore } };
      if (this.built) await this.fullScan(new Set(), false);
      return this.diff(before);
    });
  }

  /**
   * Workspace folders added or removed (`roots.with()`, so the folders that stay keep their names). A removed
   * folder's files leave, with their copies; an added folder's files join at the end, like new files. When the
   * paths of the files that stay change (one folder ↔ several: the folder name comes or goes), everything
   * changes anyway: the index is built again.
   */
  setRoots(roots: WorkspaceRoots): Promise<IndexChange> {
    return this.serial(async () => {
      const before = this.list;
      const old = this.roots;
      this.roots = roots;
      // Open documents follow their folder, or leave with it.
      const open = [...this.openDocs];
      this.openDocs.clear();
      for (const [p, text] of open) {
        const moved = roots.locate(old.absolute(p) ?? "")?.path;
        if (moved !== undefined) this.openDocs.set(moved, text);
      }
      if (!this.built) return this.diff(before);
      const renamed = old.folders.some((r) => {
        const kept = roots.find(r.dir);
        return kept && roots.display(kept, "") !== old.display(r, "");
      });
      if (renamed) {
        await this.fullScan(new Set(), true);
        return this.diff(before);
      }
      // Files of folders that left go (a new folder may take their paths); the scan reads the new folders' files.
      for (const p of [...this.entries.keys()]) {
        const at = old.fromDisplay(p);
        if (!at || !roots.find(at.root.dir)) this.remove(p);
      }
      await this.fullScan(new Set(), false);
      return this.diff(before);
    });
  }

  /** Changes the budget; re-chooses the files if the prefix no longer fits or could hold more. */
  setTokenBudget(tokens: number): Promise<IndexChange> {
    return this.serial(async () => {
      const before = this.list;
      this.tokenBudget = tokens;
      if (this.liveTokens() > tokens || [...this.entries.values()].some((e) => !e.included)) {
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
      includedFiles: [...this.entries.values()].filter((e) => e.included).length,
      chunks: this.list.length,
      supersededChunks: this.ordered.reduce((n, e) => (e.superseded ? n + e.chunks.length : n), 0),
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
  private async fullScan(touched: Set<string>, initial: boolean, seed?: readonly SeedChunk[]): Promise<void> {
    this.filters = new Map();
    this.skipped = {};
    const files: WorkspaceFile[] = [];
    for (const root of this.roots.folders) {
      const filter = new WorkspaceFilter(root.dir, { ignore: ignoreFor(root, this.opts), maxFileBytes: this.opts.maxFileBytes, nestedFolders: this.roots.nestedIn(root) });
      this.filters.set(root, filter);
      const walk = await filter.walk();
      for (const [reason, n] of Object.entries(walk.skipped) as [SkipReason, number][]) this.skipped[reason] = (this.skipped[reason] ?? 0) + n;
      for (const f of walk.files) files.push({ ...f, path: this.roots.display(root, f.path) });
    }
    const found = new Set(files.map((f) => f.path));

    if (initial) {
      this.entries.clear();
      this.ordered = [];
      this.seq = 0;
    }
    // Gone, or ignored now.
    for (const rel of [...this.entries.keys()]) {
      if (!found.has(rel) && !this.openDocs.has(rel)) this.remove(rel);
    }
    const changed: Entry[] = [];
    const slicer = new TimeSlicer();
    for (const f of files) {
      // (A build reads open documents' files too, so an unmodified one keeps its place.)
      if (!initial && this.openDocs.has(f.path)) continue;
      const old = this.entries.get(f.path);
      if (old && old.size === f.size && old.mtimeMs === f.mtimeMs && !touched.has(f.path)) continue;
      this.readFile(f.path, changed, true);
      await slicer.maybeYield();
    }

    if (initial) {
      // Same files and mtimes → same order: (mtime, path); or the order an earlier run saved.
      const sorted = [...this.entries.values()].sort(compareEntries);
      for (const e of this.entries.values()) e.included = true;
      this.ordered = seed ? this.seeded(seed, sorted) : sorted;
      this.maxKey = sorted.reduce((m, e) => Math.max(m, e.key), -Infinity);
      this.purged.clear();
      if (seed) this.fit();
      else if (this.liveTokens() > this.tokenBudget) this.select();
      changed.length = 0;
    }
    // Open documents that differ from the disk count as edits.
    for (const [rel, text] of this.openDocs) this.refreshOpenDoc(rel, text, changed);
    this.commit(changed);
  }

  /** True if a `.gitignore` that applies (its directory is not skipped) or the exclude file changed. */
  private async ignoreRulesChanged(paths: string[]): Promise<boolean> {
    for (const p of paths) {
      const at = this.roots.fromDisplay(p);
      if (!at) continue;
      const { root, rel } = at;
      if (rel === ".git/info/exclude" || rel === ".gitignore") return true;
      if (rel.endsWith("/.gitignore") && !this.filterOf(root).skipReason(rel.slice(0, -"/.gitignore".length), true)) return true;
    }
    return false;
  }

  private filterOf(root: WorkspaceRoot): WorkspaceFilter {
    const filter = this.filters.get(root);
    if (!filter) throw new Error(`no filter for the workspace folder ${root.dir}`); // fullScan() makes one per folder
    return filter;
  }

  /** Re-reads one path (as the prefix shows it) from disk (file, directory, or gone). */
  private async refreshPath(p: string, changed: Entry[]): Promise<void> {
    const at = this.roots.fromDisplay(p);
    if (!at || at.rel.split("/").includes(".git")) return;
    const { root, rel } = at;
    const open = this.openDocs.get(p);
    if (open !== undefined) return void this.refreshOpenDoc(p, open, changed);

    const kind = statKind(path.join(root.dir, ...rel.split("/")));
    if (kind === "missing" || kind === "dir") {
      this.remove(p);
      return this.refreshDir(root, rel, changed);
    }
    const reason = kind === "file" ? this.filterOf(root).skipReason(rel, false) : kind;
    if (reason) {
      this.countSkip(reason);
      this.remove(p);
      return;
    }
    this.readFile(p, changed, false);
  }

  /** Re-walks a directory of `root` ("": the whole folder) that changed or is gone: files gone from it leave. */
  private async refreshDir(root: WorkspaceRoot, rel: string, changed: Entry[]): Promise<void> {
    const found = new Set<string>();
    if (statKind(path.join(root.dir, ...rel.split("/"))) === "dir") {
      const walk = await this.filterOf(root).walk(rel);
      const slicer = new TimeSlicer();
      for (const f of walk.files) {
        const p = this.roots.display(root, f.path);
        found.add(p);
        if (!this.openDocs.has(p)) this.readFile(p, changed, true);
        await slicer.maybeYield();
      }
    }
    const under = this.roots.display(root, rel === "" ? "" : rel + "/");
    for (const p of [...this.entries.keys()]) {
      if (p.startsWith(under) && !found.has(p) && !this.openDocs.has(p)) this.remove(p);
    }
  }

  /** Reads a file (by the prefix's path) from disk; `fromWalk`: its parent directories were just walked. */
  private readFile(p: string, changed: Entry[], fromWalk: boolean): void {
    const at = this.roots.fromDisplay(p)!;
    const r = this.filterOf(at.root).read(at.rel, !fromWalk);
    if (!r.ok) {
      this.countSkip(r.reason);
      this.remove(p);
      return;
    }
    const e = this.setText(p, r.text, r.size, r.mtimeMs);
    if (e) changed.push(e);
  }

  private refreshOpenDoc(p: string, text: string, changed: Entry[]): void {
    const at = this.roots.fromDisplay(p);
    if (!at) return;
    const filter = this.filterOf(at.root);
    const bytes = Buffer.byteLength(text, "utf8");
    const reason = filter.skipReason(at.rel, false) ?? (bytes > filter.maxFileBytes ? "too-large" : sniffText(text));
    if (reason) {
      this.countSkip(reason);
      this.remove(p);
      return;
    }
    const e = this.setText(p, text, bytes, this.entries.get(p)?.mtimeMs ?? Date.now());
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
    const e: Entry = { path: rel, size, mtimeMs, key: mtimeMs, seq: 0, chunks, tokens, included: false }; // commit() decides
    this.entries.set(rel, e);
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
    this.entries.delete(rel);
    this.purged.add(rel);
  }

  private countSkip(reason: SkipReason): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  /**
   * Applies changes: changed entries go to the end (ordered by mtime, then path), in; a changed file with
   * more than `keepCopyAfterTokens` after it leaves its previous copy in place; gone entries out, with their
   * copies; then fit() to the budget and its overflow. Then rebuilds the chunk list.
   */
  private commit(changed: Entry[]): void {
    const moved = new Set(changed.map((e) => e.path));
    changed.sort((a, b) => a.mtimeMs - b.mtimeMs || comparePaths(a.path, b.path));
    const keepAfter = this.opts.keepCopyAfterTokens ?? DEFAULT_KEEP_COPY_AFTER_TOKENS;
    // From the tail: `after` is what the engine would re-evaluate if the entry at `i` left its place.
    const kept: Entry[] = [];
    let after = 0;
    for (let i = this.ordered.length - 1; i >= 0; i--) {
      const e = this.ordered[i];
      if (e.superseded) {
        if (!this.purged.has(e.path)) kept.push(e);
      } else if (this.entries.get(e.path) === e && !moved.has(e.path)) {
        kept.push(e);
      } else if (e.included && moved.has(e.path) && this.entries.has(e.path) && !this.purged.has(e.path) && after > keepAfter) {
        kept.push(supersededCopy(e));
      }
      if (e.superseded || e.included) after += e.tokens;
    }
    this.ordered = kept.reverse();
    for (const e of changed) {
      if (this.entries.get(e.path) !== e) continue; // replaced or removed since
      e.key = Math.max(e.mtimeMs, this.maxKey);
      e.seq = ++this.seq;
      this.maxKey = e.key;
      this.ordered.push(e);
      e.included = true;
    }
    this.purged.clear();
    this.fit();
    this.materialize();
  }

  /**
   * Chooses the included files: all if they fit, else newest first up to budget × (1 − slack). Superseded
   * copies go first: a trim re-evaluates from its first change anyway.
   */
  private select(): void {
    this.ordered = this.ordered.filter((e) => !e.superseded);
    const total = this.ordered.reduce((n, e) => n + e.tokens, 0);
    for (const e of this.ordered) e.included = total <= this.tokenBudget;
    if (total <= this.tokenBudget) return;
    const target = this.tokenBudget * (1 - (this.opts.budgetSlack ?? DEFAULT_BUDGET_SLACK));
    let used = 0;
    for (let i = this.ordered.length - 1; i >= 0; i--) {
      const e = this.ordered[i];
      if (used + e.tokens <= target) {
        e.included = true;
        used += e.tokens;
      }
    }
  }

  /** Tokens of the included files (superseded copies not counted). */
  private liveTokens(): number {
    return this.ordered.reduce((n, e) => (!e.superseded && e.included ? n + e.tokens : n), 0);
  }

  /**
   * Keeps files and copies within `tokenBudget × (1 + overflowShare)`: superseded copies go first, the ones
   * nearest the tail first (the engine re-evaluates from the earliest dropped copy on, so those cost least);
   * if the files alone are still over, a trim (select()).
   */
  private fit(): void {
    const limit = this.tokenBudget * (1 + (this.opts.overflowShare ?? DEFAULT_OVERFLOW_SHARE));
    let excess = this.ordered.reduce((n, e) => (e.superseded || e.included ? n + e.tokens : n), 0) - limit;
    for (let i = this.ordered.length - 1; i >= 0 && excess > 0; i--) {
      if (!this.ordered[i].superseded) continue;
      excess -= this.ordered[i].tokens;
      this.ordered.splice(i, 1);
    }
    if (this.liveTokens() > limit) this.select();
  }

  /** The chunk list; a file with a superseded copy before it comes with the replacement header. */
  private materialize(): void {
    const list: IndexedChunk[] = [];
    let tokens = 0;
    const copied = new Set<string>();
    for (const e of this.ordered) {
      if (e.superseded) copied.add(e.path);
      else if (!e.included) continue;
      const shown = e.superseded || !copied.has(e.path) ? e.chunks : (e.marked ??= e.chunks.map(markReplacement));
      e.shown = shown;
      for (const c of shown) list.push(c);
      tokens += e.tokens;
    }
    this.list = list;
    this.listTokens = tokens;
  }

  /**
   * The order of `seed` (the chunks an earlier run saved with its evaluated prefix) for the files as they are
   * now, then every file it does not place, by mtime (in if it changed since the save or everything fits). A
   * file whose text still matches takes its saved place;
   * a saved copy that is not the file's current text (superseded then, or changed since) stays in place as a
   * superseded copy while the file is still indexed and the text would still be admitted.
   */
  private seeded(seed: readonly SeedChunk[], sorted: Entry[]): Entry[] {
    const groups: SeedChunk[][] = [];
    for (const c of seed) {
      const last = groups.at(-1);
      if (last && last[0].path === c.path && c.startLine !== 1) last.push(c);
      else groups.push([c]);
    }
    const lastGroup = new Map<string, number>();
    groups.forEach((g, i) => lastGroup.set(g[0].path, i));
    const placed = new Set<Entry>();
    const out: Entry[] = [];
    groups.forEach((g, i) => {
      const rel = g[0].path;
      const live = this.entries.get(rel);
      if (!live) return; // deleted, ignored or secret now
      if (!placed.has(live) && lastGroup.get(rel) === i && sameTexts(live.chunks, g)) {
        placed.add(live);
        out.push(live);
      } else if (!g.some((c) => sniffText(c.text))) {
        out.push(this.copyFromSeed(g));
      }
    });
    // The rest by mtime. Files changed since the save are edits, so in: those the saved prefix had (their
    // saved text is a copy now) and those newer than every file it placed. The others were left out by the
    // budget and stay out unless everything fits: choosing again would drop saved files from the front.
    const rest = sorted.filter((e) => !placed.has(e));
    const all = [...out, ...rest].reduce((n, e) => (e.superseded ? n : n + e.tokens), 0);
    if (all > this.tokenBudget) {
      const newestPlaced = Math.max(...[...placed].map((e) => e.mtimeMs));
      for (const e of rest) e.included = lastGroup.has(e.path) || e.mtimeMs > newestPlaced;
    }
    return [...out, ...rest];
  }

  private copyFromSeed(group: SeedChunk[]): Entry {
    let line = 1;
    const chunks = group.map((c) => {
      const lines = c.text.split("\n").length - (c.text.endsWith("\n") ? 1 : 0);
      const chunk = this.indexChunk({ path: c.path, startLine: line, endLine: line + lines - 1, text: c.text, hash: chunkHash(c.path, c.text) });
      line += lines;
      return c.replacesEarlier ? markReplacement(chunk) : chunk;
    });
    const tokens = chunks.reduce((n, c) => n + c.tokens, 0);
    return { path: group[0].path, size: 0, mtimeMs: 0, key: -Infinity, seq: 0, chunks, tokens, included: true, superseded: true };
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
  return a === b || (a.path === b.path && a.text === b.text && !!a.replacesEarlier === !!b.replacesEarlier);
}

function sameTexts(chunks: IndexedChunk[], seed: SeedChunk[]): boolean {
  return chunks.length === seed.length && chunks.every((c, i) => c.text === seed[i].text);
}

function markReplacement(c: IndexedChunk): IndexedChunk {
  return Object.freeze({ ...c, replacesEarlier: true });
}

/** An entry's previous copy, kept in place with exactly the chunks the prefix showed. */
function supersededCopy(e: Entry): Entry {
  return { ...e, chunks: e.shown ?? e.chunks, superseded: true, included: true, shown: undefined, marked: undefined };
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
