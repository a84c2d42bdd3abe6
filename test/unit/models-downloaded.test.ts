/**
 * Downloaded model files (server/models/downloaded.ts): listed with their size and whether they finished,
 * deleted with their progress file and emptied folders, never outside the models folder.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listDownloaded, removeDownloaded } from "../../server/models/downloaded";

function modelsDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-models-"));
  const put = (rel: string, bytes: number) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), Buffer.alloc(bytes));
    return path.join(dir, rel);
  };
  return { dir, put };
}

describe("downloaded models", () => {
  it("lists the GGUFs under the folder, an unfinished one counted with its progress file", () => {
    const { dir, put } = modelsDir();
    put("giladgd/gemma-4-12B-it-GGUF/gemma-4-12B-it-Q4_K_M.gguf", 1000);
    put("giladgd/gemma-4-12B-it-GGUF/mmproj.gguf", 100);
    put("giladgd/gemma-4-E4B-it-GGUF/gemma-4-E4B-it-Q4_K_M.gguf.ipull", 320);
    put("notes.txt", 5);
    expect(listDownloaded(dir).map((f) => [path.relative(dir, f.path), f.sizeBytes, f.partial])).toEqual([
      ["giladgd/gemma-4-12B-it-GGUF/gemma-4-12B-it-Q4_K_M.gguf", 1000, false],
      ["giladgd/gemma-4-12B-it-GGUF/mmproj.gguf", 100, false],
      ["giladgd/gemma-4-E4B-it-GGUF/gemma-4-E4B-it-Q4_K_M.gguf.ipull", 320, true],
    ]);
    expect(listDownloaded(path.join(dir, "none"))).toEqual([]);
  });

  it("deletes files with their progress files and the folders they empty, and nothing outside the folder", () => {
    const { dir, put } = modelsDir();
    const keep = put("a/b/keep.gguf", 10);
    const gone = put("a/c/gone.gguf", 300);
    put("a/c/gone.gguf.ipull", 20);
    const unfinished = put("a/d/late.gguf.ipull", 50);
    const outside = path.join(os.tmpdir(), `hearth-outside-${process.pid}.gguf`);
    fs.writeFileSync(outside, "x");
    expect(() => removeDownloaded(dir, [gone, outside])).toThrow(/is not a model file in .*: Hearth deletes only what it downloaded there/);
    expect(fs.existsSync(gone)).toBe(true); // (nothing was deleted)
    fs.symlinkSync(outside, path.join(dir, "a", "link.gguf"));
    expect(() => removeDownloaded(dir, [path.join(dir, "a", "link.gguf")])).toThrow(/not a model file/);
    expect(() => removeDownloaded(dir, [path.join(dir, "a", "b", "..", "..", "..", path.basename(outside))])).toThrow();
    const real = [fs.realpathSync(gone), fs.realpathSync(unfinished)];
    expect(removeDownloaded(dir, [gone, unfinished, gone])).toEqual({ removed: real, failed: [], freedBytes: 370 });
    expect(fs.existsSync(path.join(dir, "a", "c"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "a", "d"))).toBe(false);
    expect(fs.existsSync(keep)).toBe(true);
    expect(fs.existsSync(outside)).toBe(true);
    fs.rmSync(outside);
  });
});
