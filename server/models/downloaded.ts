/**
 * The model files downloaded into the models folder (`<modelsDir>/<owner>/<repo>/<file>.gguf`, a URL's under
 * `url/`), and their removal: a 12B quant is 7–13 GB, so a laptop that tried a few keeps tens of GB it no
 * longer uses. A download that has not finished is ipull's `<file>.gguf.ipull` (the data so far with its
 * progress record; renamed to `<file>.gguf` when complete). Removal never reaches outside the models folder,
 * whatever path it is given.
 */
import fs from "node:fs";
import path from "node:path";

/** ipull's name for a file while it downloads (its PROGRESS_FILE_EXTENSION). */
const PROGRESS_SUFFIX = ".ipull";

export interface DownloadedFile {
  path: string;
  sizeBytes: number;
  modifiedMs: number;
  /** A download that has not finished (`path` is ipull's file; it resumes when the model is used again). */
  partial: boolean;
}

/** The GGUF files under `dir`, finished or not, by path. */
export function listDownloaded(dir: string): DownloadedFile[] {
  const found: DownloadedFile[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // (no models folder yet, or one that cannot be read)
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && (e.name.endsWith(".gguf") || e.name.endsWith(".gguf" + PROGRESS_SUFFIX))) {
        const st = fs.statSync(p);
        found.push({ path: p, sizeBytes: st.size, modifiedMs: st.mtimeMs, partial: e.name.endsWith(PROGRESS_SUFFIX) });
      }
    }
  };
  walk(dir);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The model file a downloaded file is (or will be, for an unfinished download). */
export function modelFileOf(file: string): string {
  return file.endsWith(PROGRESS_SUFFIX) ? file.slice(0, -PROGRESS_SUFFIX.length) : file;
}

export interface Removal {
  removed: string[];
  failed: { path: string; reason: string }[];
  freedBytes: number;
}

/**
 * Deletes these downloaded files (a finished one with any progress file beside it) and the folders they leave
 * empty up to `dir`. A path outside `dir`, or not a model file, is refused before anything is deleted; a file
 * that cannot be deleted (in use on Windows, say) is reported and the others still go.
 */
export function removeDownloaded(dir: string, files: readonly string[]): Removal {
  const root = fs.realpathSync(dir);
  const inside = files.map((f) => {
    const real = fs.realpathSync(f);
    if (!real.startsWith(root + path.sep) || !/\.gguf(\.ipull)?$/.test(real)) throw new Error(`${f} is not a model file in ${dir}: Hearth deletes only what it downloaded there.`);
    return real;
  });
  const result: Removal = { removed: [], failed: [], freedBytes: 0 };
  for (const f of [...new Set(inside)]) {
    try {
      for (const p of f.endsWith(PROGRESS_SUFFIX) ? [f] : [f, f + PROGRESS_SUFFIX]) {
        const st = statOrUndefined(p);
        if (!st) continue;
        fs.rmSync(p);
        result.freedBytes += st.size;
      }
      result.removed.push(f);
    } catch (err) {
      result.failed.push({ path: f, reason: (err as NodeJS.ErrnoException).code === "EBUSY" || (err as NodeJS.ErrnoException).code === "EPERM" ? "in use by a running engine" : (err as Error).message });
      continue;
    }
    for (let d = path.dirname(f); d.startsWith(root + path.sep); d = path.dirname(d)) {
      if (fs.readdirSync(d).length) break;
      fs.rmdirSync(d);
    }
  }
  return result;
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}
