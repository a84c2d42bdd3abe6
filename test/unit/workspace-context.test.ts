import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { prefixTokenBudget, withoutTailOf, WorkspaceContext } from "../../server/workspace/context";
import { tsCode, writeFile } from "../helpers/workspace";

const c = (path: string, n = 0) => ({ path, text: `${path}#${n}` });

describe("workspace prefix for a completion in a file", () => {
  const chunks = [c("old.ts"), c("old.ts", 1), c("mid.ts"), c("edited.ts"), c("edited.ts", 1)];

  it("leaves out the file's chunks when they are the tail (the file edited last)", () => {
    expect(withoutTailOf(chunks, "edited.ts")).toEqual(chunks.slice(0, 3));
  });

  it("keeps an older file's chunks: cutting the middle would re-evaluate everything after it", () => {
    expect(withoutTailOf(chunks, "old.ts")).toBe(chunks);
    expect(withoutTailOf(chunks, "mid.ts")).toBe(chunks);
  });

  it("keeps everything without a file, or for a file not in the prefix", () => {
    expect(withoutTailOf(chunks, undefined)).toBe(chunks);
    expect(withoutTailOf(chunks, "new.ts")).toBe(chunks);
  });
});

describe("the workspace settings", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
  });
  function workspace(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-wsctx-"));
    roots.push(root);
    for (const [i, rel] of ["docs/guide.md", "src/a.ts", "src/b.ts", "src/gen/api.ts"].entries()) {
      const abs = path.join(root, rel);
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, `// ${rel}\n` + "export const x = 1;\n".repeat(200));
      fs.utimesSync(abs, 1_600_000_000 + i * 60, 1_600_000_000 + i * 60);
    }
    return root;
  }
  const files = (chunks: { path: string }[]) => [...new Set(chunks.map((c) => c.path))];

  it("caps the budget at workspace.maxTokens, never above 60 % of the context less 4,096", () => {
    expect(prefixTokenBudget(131072)).toBe(74547);
    expect(prefixTokenBudget(131072, 16384)).toBe(16384);
    expect(prefixTokenBudget(131072, 1_000_000)).toBe(74547);
    expect(prefixTokenBudget(4096, 1000)).toBe(0);
  });

  it("leaves out the ignore patterns' files, and brings them back at the end when the patterns change", async () => {
    const ws = new WorkspaceContext(workspace(), { ignore: ["docs/", "src/gen/**"] });
    expect(files(await ws.chunksFor(undefined, 131072))).toEqual(["src/a.ts", "src/b.ts"]);

    expect(await ws.configure({ ignore: ["docs/"], maxTokens: 0 })).toBe(true);
    const after = await ws.chunksFor(undefined, 131072);
    expect(files(after)).toEqual(["src/a.ts", "src/b.ts", "src/gen/api.ts"]); // at the end: nothing before it moved
    expect(await ws.configure({ ignore: ["docs/"], maxTokens: 0 })).toBe(false);

    await ws.configure({ ignore: ["src/a.ts"], maxTokens: 0 });
    expect(files(await ws.chunksFor(undefined, 131072))).toEqual(["src/b.ts", "src/gen/api.ts", "docs/guide.md"]);
  });

  it("keeps the newest files within workspace.maxTokens", async () => {
    const ws = new WorkspaceContext(workspace());
    const all = await ws.chunksFor(undefined, 131072);
    expect(files(all)).toHaveLength(4);
    const perFile = all.reduce((n, c) => n + ((c as { tokens?: number }).tokens ?? 0), 0) / 4;
    await ws.configure({ ignore: [], maxTokens: Math.floor(perFile * 2.5) });
    expect(files(await ws.chunksFor(undefined, 131072))).toEqual(["src/b.ts", "src/gen/api.ts"]);
  });
});

describe("a file changed while the prefix is first built", () => {
  it("is read again once the build is done, not dropped", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-wsctx-build-"));
    try {
      // Enough files that the build takes several time slices; a/first.ts is read in the first one.
      writeFile(root, "a/first.ts", "export const first = 1;\n");
      for (let i = 0; i < 3000; i++) writeFile(root, `m/module${i}.ts`, tsCode(`module${i}`, 3));
      const ctx = new WorkspaceContext(root, { ignore: [], maxTokens: 0 });
      const built = ctx.chunksFor(undefined, 100_000_000);
      await new Promise((r) => setTimeout(r, 30));
      fs.writeFileSync(path.join(root, "a", "first.ts"), "export const first = 2;\n");
      const changed = ctx.changed([path.join(root, "a", "first.ts")]);
      await built;
      await changed;
      const chunks = await ctx.chunksFor(undefined, 100_000_000);
      expect(chunks.filter((c) => c.path === "a/first.ts").at(-1)?.text).toBe("export const first = 2;\n");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
