/**
 * The model files downloaded into the models folder (`<modelsDir>/<owner>/<repo>/<file>.gguf`, a URL's under
 * `url/`), and their removal: a 12B quant is 7–13 GB, so a laptop that tried a few keeps tens of GB it no
 * longer uses. An unfinished download is its `.gguf` beside ipull's `.ipull` progress file; both go together.
 * Removal never reaches outside the models folder, whatever path it is given.
 */
import fs from "node:fs";
import path from "node:path";

/** ipull's progress file beside a download that has not finished (ipull's PROGRESS_FILE_EXTENSION). */
const PROGRESS_SUFFIX = ".ipull";

export interface DownloadedFile {
  path: string;
  sizeBytes: number;
  modifiedMs: number;
  /** A download that has not finished (it resumes when the model is used again). */
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
      else if (e.isFile() && e.name.endsWith(".gguf")) {
        const st = fs.statSync(p);
        const progress = statOrUndefined(p + PROGRESS_SUFFIX);
        found.push({ path: p, sizeBytes: st.size + (progress?.size ?? 0), modifiedMs: st.mtimeMs, partial: !!progress });
      }
    }
  };
  walk(dir);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Deletes these downloaded files (with their progress files), and the folders they leave empty up to `dir`.
 * A path outside `dir` is refused (nothing is deleted). Returns the bytes freed.
 */
export function removeDownloaded(dir: string, files: readonly string[]): number {
  const root = fs.realpathSync(dir);
  const inside = files.map((f) => {
    const real = fs.realpathSync(f);
    if (!real.startsWith(root + path.sep) || !real.endsWith(".gguf")) throw new Error(`${f} is not a model file in ${dir}: Hearth deletes only what it downloaded there.`);
    return real;
  });
  let freed = 0;
  for (const f of inside) {
    for (const p of [f, f + PROGRESS_SUFFIX]) {
      const st = statOrUndefined(p);
      if (!st) continue;
      fs.rmSync(p, { force: true });
      freed += st.size;
    }
    for (let d = path.dirname(f); d.startsWith(root + path.sep); d = path.dirname(d)) {
      if (fs.readdirSync(d).length) break;
      fs.rmdirSync(d);
    }
  }
  return freed;
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}
