/**
 * The folders of a workspace (one, or several in a VS Code multi-root workspace) and the paths the workspace
 * prefix shows for their files.
 *
 * One folder: paths relative to it (`src/a.ts`), exactly as before multi-root support: saved prefix caches are
 * keyed by the prompt's text, so a single-folder prefix must not change by a byte. Several folders:
 * `<folder name>/<path in it>` (`backend/src/a.ts`), so the model can tell the folders apart; the name is the
 * LSP WorkspaceFolder's, made unique. A file inside nested folders belongs to the deepest one.
 */
import path from "node:path";
import { toWorkspacePath, withoutFileScheme } from "./files";

/** A workspace folder as the client names it. */
export interface WorkspaceFolderSpec {
  /** the folder's directory */
  dir: string;
  /** the LSP WorkspaceFolder `name` (default: the directory's base name) */
  name?: string;
}

export interface WorkspaceRoot {
  /** absolute, resolved */
  readonly dir: string;
  /** unique among the workspace's folders, one path segment */
  readonly name: string;
}

/** A path located in a workspace folder: `rel` inside `root`, `path` as the prefix shows it. */
export interface LocatedPath {
  root: WorkspaceRoot;
  rel: string;
  path: string;
}

export class WorkspaceRoots {
  private readonly byName: ReadonlyMap<string, WorkspaceRoot>;

  private constructor(readonly folders: readonly WorkspaceRoot[]) {
    this.byName = new Map(folders.map((r) => [r.name, r]));
  }

  /** The folders in the client's order; names are made unique in that order (`app`, `app-2`). */
  static of(folders: readonly (string | WorkspaceFolderSpec)[]): WorkspaceRoots {
    return new WorkspaceRoots([]).with(folders, []);
  }

  /**
   * These folders without `removed` (directories) and with `added` at the end. Folders that stay keep their
   * names, so their files keep their paths in the prefix.
   */
  with(added: readonly (string | WorkspaceFolderSpec)[], removed: readonly string[]): WorkspaceRoots {
    const gone = new Set(removed.map((d) => path.resolve(d)));
    const out = this.folders.filter((r) => !gone.has(r.dir));
    for (const f of added) {
      const spec = typeof f === "string" ? { dir: f } : f;
      const dir = path.resolve(spec.dir);
      if (out.some((r) => r.dir === dir)) continue;
      out.push({ dir, name: uniqueName(segmentName(spec.name, dir), new Set(out.map((r) => r.name))) });
    }
    return new WorkspaceRoots(out);
  }

  /** True with exactly one folder: paths are relative to it, with no folder name in front. */
  get single(): boolean {
    return this.folders.length === 1;
  }

  find(dir: string): WorkspaceRoot | undefined {
    const abs = path.resolve(dir);
    return this.folders.find((r) => r.dir === abs);
  }

  /** The prefix's path of `rel` in `root`. */
  display(root: WorkspaceRoot, rel: string): string {
    return this.single ? rel : root.name + "/" + rel;
  }

  /** The folder and folder-relative path of a prefix path (see display()). */
  fromDisplay(p: string): { root: WorkspaceRoot; rel: string } | undefined {
    if (this.single) return { root: this.folders[0], rel: p };
    const slash = p.indexOf("/");
    const root = slash > 0 ? this.byName.get(p.slice(0, slash)) : undefined;
    return root && { root, rel: p.slice(slash + 1) };
  }

  /** The absolute path of a prefix path. */
  absolute(p: string): string | undefined {
    const at = this.fromDisplay(p);
    return at && path.join(at.root.dir, ...at.rel.split("/"));
  }

  /**
   * Where `p` is: an absolute path or a file:// URI in the deepest folder that contains it; a relative path
   * is a prefix path (with one folder: relative to it). Undefined outside every folder (or a folder itself).
   */
  locate(p: string): LocatedPath | undefined {
    if (this.folders.length === 0) return undefined;
    if (this.single) {
      const rel = toWorkspacePath(this.folders[0].dir, p);
      return rel === undefined ? undefined : { root: this.folders[0], rel, path: rel };
    }
    let abs = withoutFileScheme(p);
    if (abs !== undefined && !path.isAbsolute(abs)) abs = this.absolute(p.split(path.sep).join("/"));
    if (!abs) return undefined;
    let best: LocatedPath | undefined;
    for (const root of this.folders) {
      const rel = toWorkspacePath(root.dir, abs);
      if (rel !== undefined && (!best || root.dir.length > best.root.dir.length)) best = { root, rel, path: this.display(root, rel) };
    }
    return best;
  }

  /** Folders strictly inside `root` (root-relative, posix): their files are indexed under them, not `root`. */
  nestedIn(root: WorkspaceRoot): string[] {
    return this.folders.flatMap((r) => {
      const rel = r === root ? undefined : toWorkspacePath(root.dir, r.dir);
      return rel === undefined ? [] : [rel];
    });
  }

  /** Folders at or below the directory `dir` (a change to it may have added or removed all their files). */
  under(dir: string): WorkspaceRoot[] {
    const abs = path.resolve(dir);
    return this.folders.filter((r) => r.dir === abs || toWorkspacePath(abs, r.dir) !== undefined);
  }
}

/** One path segment: slashes would make the folder part of a prefix path ambiguous. */
function segmentName(name: string | undefined, dir: string): string {
  const clean = (s: string) => s.replace(/[/\\]+/g, "-").trim();
  const named = clean(name ?? "");
  if (named && named !== "." && named !== "..") return named;
  return clean(path.basename(dir)) || "folder";
}

function uniqueName(name: string, taken: ReadonlySet<string>): string {
  if (!taken.has(name)) return name;
  for (let i = 2; ; i++) if (!taken.has(`${name}-${i}`)) return `${name}-${i}`;
}
