/**
 * The workspace context a completion carries: the stable workspace prefix (WorkspaceIndex, least recently
 * changed first), without the file being edited when its chunks are the tail (its live text is in the
 * volatile part of the prompt already). Built once per workspace in the background; file changes update it
 * incrementally. One context covers every folder of a multi-root workspace (roots.ts).
 */
import type { ContextChunk } from "../completion/layout";
import type { WorkspaceSettings } from "../protocol";
import { WorkspaceIndex, type SeedChunk } from "./index";
import { WorkspaceRoots, type WorkspaceFolderSpec } from "./roots";

/**
 * Share of the context the workspace prefix's files may take; the rest is for the file, the answer and chat
 * (files edited since the last trim and superseded copies may add a quarter of it, see server/workspace/index.ts).
 */
const PREFIX_SHARE = 0.6;
const RESERVED_TOKENS = 4096;

/** Tokens the workspace prefix may take in a context of `contextSize` tokens, at most `maxTokens` (0: no cap). */
export function prefixTokenBudget(contextSize: number, maxTokens = 0): number {
  const share = Math.max(0, Math.floor(contextSize * PREFIX_SHARE) - RESERVED_TOKENS);
  return maxTokens > 0 ? Math.min(share, maxTokens) : share;
}

export class WorkspaceContext {
  private index?: WorkspaceIndex;
  private building?: Promise<WorkspaceIndex>;
  private budget = 0;
  private settings: WorkspaceSettings;
  private roots: WorkspaceRoots;

  constructor(
    /** the workspace folder, or the folders of a multi-root workspace */
    roots: string | WorkspaceRoots,
    settings: Partial<WorkspaceSettings> = {},
    private readonly log: (message: string) => void = () => {},
    /** The chunks of the prefix saved by an earlier run (PrefixStore.readOrder): the first build keeps its order. */
    private readonly savedOrder?: () => Promise<SeedChunk[] | undefined>,
  ) {
    this.settings = copySettings({ ignore: [], maxTokens: 0, ...settings });
    this.roots = typeof roots === "string" ? WorkspaceRoots.of([roots]) : roots;
  }

  /** The workspace folders. */
  folders(): WorkspaceRoots {
    return this.roots;
  }

  /**
   * Workspace folders added or removed while running (`workspace/didChangeWorkspaceFolders`): a removed
   * folder's files leave the prefix, an added folder's files join at its end. True when the prefix may have
   * changed.
   */
  async changeFolders(added: readonly WorkspaceFolderSpec[], removed: readonly string[]): Promise<boolean> {
    const next = this.roots.with(added, removed);
    if (sameFolders(next, this.roots)) return false;
    this.roots = next;
    const index = this.index;
    if (!index) return true; // (an index being built takes the new folders when it is done: ready())
    const change = await index.setRoots(next);
    const s = index.stats();
    this.log(
      `workspace prefix: ${next.folders.length} workspace folder(s) now (${next.folders.map((r) => r.name).join(", ")}): ${s.includedFiles} of ${s.files} files, ` +
        `${change.reusedTokens} of ${change.tokensAfter} tokens unchanged`,
    );
    return true;
  }

  /**
   * Applies the `workspace.*` settings: new ignore patterns (the window's or a folder's own) re-scan the index
   * (files now ignored leave with their copies, files no longer ignored join at the end); `maxTokens` takes
   * effect at the next chunksFor(). True when the prefix may have changed.
   */
  async configure(settings: WorkspaceSettings): Promise<boolean> {
    const ignoreChanged = ignoreKey(settings) !== ignoreKey(this.settings);
    const changed = ignoreChanged || settings.maxTokens !== this.settings.maxTokens;
    this.settings = copySettings(settings);
    if (ignoreChanged && this.index) await this.applyIgnore(this.index);
    return changed;
  }

  /** Re-scans `index` with the current ignore patterns. */
  private async applyIgnore(index: WorkspaceIndex): Promise<void> {
    const change = await index.setIgnore(this.settings.ignore, this.settings.folderIgnore);
    const s = index.stats();
    this.log(`workspace prefix: ignore patterns changed: ${s.includedFiles} of ${s.files} files, ${change.reusedTokens} of ${change.tokensAfter} tokens unchanged`);
  }

  /**
   * The path the prefix shows for a file (absolute, or a file:// URI) inside the workspace, else undefined:
   * relative to its folder, behind the folder's name when there are several (roots.ts).
   */
  relative(file: string): string | undefined {
    return this.roots.locate(file)?.path;
  }

  /**
   * Prefix chunks for a completion in `file`, sized for a context of `contextSize` tokens. The file's own
   * chunks are left out only when they are the tail (the file edited last, the usual case while typing):
   * cutting the tail costs the engine nothing. Anywhere else they stay, a stale copy next to the live text:
   * cutting them out of the middle would make the engine re-evaluate everything after them on every switch
   * to an older file (measured: ~33K of 38K prefix tokens per switch; hours for a 12B on a CPU).
   */
  async chunksFor(file: string | undefined, contextSize: number): Promise<ContextChunk[]> {
    return (await this.chunksWithTail(file, contextSize)).prefix;
  }

  /** chunksFor()'s prefix and, from the same state of the index, the tail it left out (`file`'s chunks). */
  async chunksWithTail(file: string | undefined, contextSize: number): Promise<{ prefix: ContextChunk[]; tail: ContextChunk[] }> {
    const budget = prefixTokenBudget(contextSize, this.settings.maxTokens);
    if (budget === 0) return { prefix: [], tail: [] };
    const all = (await this.ready(budget)).chunks();
    const prefix = withoutTailOf(all, file ? this.relative(file) : undefined);
    return { prefix, tail: all.slice(prefix.length) };
  }

  /**
   * Files changed on disk (saved, created, deleted; directories too). True when the prefix changed: file
   * events also come for files it leaves out (build output, ignored or unchanged files), which need nothing.
   */
  async changed(files: string[]): Promise<boolean> {
    // While the first build runs (it yields between files), a file it has read already may change: re-read
    // those once it is done rather than drop the event.
    const index = this.index ?? (await this.building?.catch(() => undefined));
    if (!index) return false;
    const change = await index.update(files);
    if (change.reusedTokens === change.tokensAfter && change.tokensBefore === change.tokensAfter) return false;
    const copies = index.stats().supersededChunks;
    this.log(
      `workspace prefix: ${change.reusedTokens} of ${change.tokensAfter} tokens unchanged after ${files.length} file change(s)` +
        (copies ? `; ${copies} chunks of earlier file versions kept in place` : ""),
    );
    return true;
  }

  private async ready(budget: number): Promise<WorkspaceIndex> {
    if (this.index && budget !== this.budget) {
      this.budget = budget;
      await this.index.setTokenBudget(budget);
    }
    if (this.index) return this.index;
    this.building ??= (async () => {
      const t0 = performance.now();
      let ignore = ignoreKey(this.settings);
      const index = new WorkspaceIndex(this.roots, { tokenBudget: budget, ignore: this.settings.ignore, folderIgnore: this.settings.folderIgnore });
      const seed = await this.savedOrder?.().catch(() => undefined);
      await index.build(seed);
      const s = index.stats();
      const order = seed ? `, in the saved order (${s.supersededChunks} superseded chunks)` : "";
      // (which folders it covers, with several: the names their files' paths start with)
      const roots = index.folders().folders;
      const folders = roots.length > 1 ? ` in ${roots.length} workspace folders (${roots.map((r) => r.name).join(", ")})` : "";
      this.log(`workspace prefix: ${s.includedFiles} of ${s.files} files${folders}, ${s.chunks} chunks, ~${s.tokens} tokens (budget ${budget})${order} in ${Math.round(performance.now() - t0)} ms`);
      // Folders and ignore patterns that changed while it was built (configure() and changeFolders() only
      // update an index that exists): without this, patterns set during the build were never applied.
      for (;;) {
        if (index.folders() !== this.roots) await index.setRoots(this.roots);
        else if (ignore !== ignoreKey(this.settings)) {
          ignore = ignoreKey(this.settings);
          await this.applyIgnore(index);
        } else break;
      }
      this.index = index;
      this.budget = budget;
      return index;
    })();
    return this.building;
  }
}

/** The settings with lists of their own (the caller's may change). */
function copySettings(settings: WorkspaceSettings): WorkspaceSettings {
  const { folderIgnore, ...rest } = settings;
  const copy: WorkspaceSettings = { ...rest, ignore: [...settings.ignore] };
  if (folderIgnore) copy.folderIgnore = Object.fromEntries(Object.entries(folderIgnore).map(([k, v]) => [k, [...v]]));
  return copy;
}

/** Equal for the same ignore patterns: the window's, and each folder's own (in any key order). */
function ignoreKey(settings: WorkspaceSettings): string {
  const folders = Object.entries(settings.folderIgnore ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([settings.ignore, folders]);
}

function sameFolders(a: WorkspaceRoots, b: WorkspaceRoots): boolean {
  return a.folders.length === b.folders.length && a.folders.every((r, i) => r.dir === b.folders[i].dir && r.name === b.folders[i].name);
}

/** `chunks` without the trailing run of `path`'s chunks (a file's chunks are contiguous). */
export function withoutTailOf(chunks: ContextChunk[], path: string | undefined): ContextChunk[] {
  if (path === undefined) return chunks;
  let end = chunks.length;
  while (end > 0 && chunks[end - 1].path === path) end--;
  return end === chunks.length ? chunks : chunks.slice(0, end);
}
