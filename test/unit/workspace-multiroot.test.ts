import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { WorkspaceContext } from "../../server/workspace/context";
import { seedOf, WorkspaceIndex, type IndexedChunk, type WorkspaceIndexOptions } from "../../server/workspace/index";
import { mergeSettings } from "../../server/settings";
import { WorkspaceRoots } from "../../server/workspace/roots";
import { tsCode, writeFile } from "../helpers/workspace";

// Secrets are assembled at run time, so this file itself holds none.
const AWS = "AKIA" + "IOSFODNN7EXAMPLE";
const GITHUB = "ghp_" + "A1b2".repeat(9);
const T = 1_600_000_000;

const temps: string[] = [];
afterEach(() => {
  for (const r of temps.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-multiroot-"));
  temps.push(dir);
  return dir;
}

const code = (name: string, lines = 4) => tsCode(name, lines);
const write = writeFile;

const paths = (chunks: IndexedChunk[]) => [...new Set(chunks.map((c) => c.path))];

/** `frontend` and `backend` folders (each its own git repository), and their index. */
async function twoFolders(opts: Partial<WorkspaceIndexOptions> = {}) {
  const base = tempDir();
  const frontend = path.join(base, "frontend");
  const backend = path.join(base, "backend");
  for (const dir of [frontend, backend]) fs.mkdirSync(path.join(dir, ".git", "info"), { recursive: true });
  // frontend ignores generated/ and, in its git exclude file, local.ts; backend has both and keeps them.
  write(frontend, ".gitignore", "generated/\n", T);
  fs.writeFileSync(path.join(frontend, ".git", "info", "exclude"), "local.ts\n");
  write(frontend, "src/app.ts", code("app"), T + 10);
  write(frontend, "src/view.ts", code("view"), T + 40);
  write(frontend, "generated/api.ts", code("fapi"), T + 1);
  write(frontend, "local.ts", code("flocal"), T + 1);
  write(frontend, "src/token.ts", `export const token = "${GITHUB}";\n`, T + 1);
  // backend ignores docs/ (frontend has none), and has a secret by name and one by content.
  write(backend, ".gitignore", "docs/\n", T + 5);
  write(backend, "src/server.ts", code("server"), T + 20);
  write(backend, "src/db.ts", code("db"), T + 30);
  write(backend, "generated/api.ts", code("bapi"), T + 50);
  write(backend, "local.ts", code("blocal"), T + 60);
  write(backend, "docs/notes.md", "# notes\n", T + 1);
  write(backend, ".env", "DB_PASSWORD=hunter2\n", T + 1);
  write(backend, "src/keys.ts", `export const key = "${AWS}";\n`, T + 1);
  const roots = WorkspaceRoots.of([
    { dir: frontend, name: "frontend" },
    { dir: backend, name: "backend" },
  ]);
  const index = new WorkspaceIndex(roots, { tokenBudget: 1_000_000, keepCopyAfterTokens: 1_000_000, ...opts });
  await index.build();
  return { base, frontend, backend, roots, index };
}

const ORDER = [
  "frontend/.gitignore", // T
  "backend/.gitignore", // T + 5
  "frontend/src/app.ts", // T + 10
  "backend/src/server.ts", // T + 20
  "backend/src/db.ts", // T + 30
  "frontend/src/view.ts", // T + 40
  "backend/generated/api.ts", // T + 50
  "backend/local.ts", // T + 60
];

describe("multi-root workspaces: the folders", () => {
  it("names folders by their workspace name, unique and one path segment", () => {
    const roots = WorkspaceRoots.of([
      { dir: "/w/a/app", name: "app" },
      { dir: "/w/b/app", name: "app" },
      { dir: "/w/c", name: "web/ui" },
      { dir: "/w/d" },
      { dir: "/w/a/app", name: "again" }, // the same folder twice: once
    ]);
    expect(roots.folders.map((r) => r.name)).toEqual(["app", "app-2", "web-ui", "d"]);
    // Folders that stay keep their names; a new one gets a free one.
    const next = roots.with([{ dir: "/w/e/app", name: "app" }], ["/w/a/app"]);
    expect(next.folders.map((r) => [r.dir, r.name])).toEqual([
      [path.resolve("/w/b/app"), "app-2"],
      [path.resolve("/w/c"), "web-ui"],
      [path.resolve("/w/d"), "d"],
      [path.resolve("/w/e/app"), "app"],
    ]);
  });

  it("maps paths and file URIs to the deepest folder that holds them, and nothing outside them", () => {
    const base = tempDir();
    const repo = path.join(base, "repo");
    const web = path.join(repo, "packages", "web");
    const api = path.join(base, "api");
    const roots = WorkspaceRoots.of([
      { dir: repo, name: "repo" },
      { dir: web, name: "web" },
      { dir: api, name: "api" },
    ]);
    expect(roots.locate(path.join(repo, "src", "a.ts"))?.path).toBe("repo/src/a.ts");
    expect(roots.locate(path.join(web, "src", "b.ts"))).toMatchObject({ path: "web/src/b.ts", rel: "src/b.ts", root: { dir: web } });
    expect(roots.locate(pathToFileURL(path.join(api, "x y.ts")).href)?.path).toBe("api/x y.ts");
    expect(roots.locate("api/src/c.ts")?.path).toBe("api/src/c.ts"); // a prefix path
    expect(roots.locate(path.join(web))?.path).toBe("repo/packages/web"); // a folder is a directory of its parent
    expect(roots.locate(path.join(base, "elsewhere.ts"))).toBeUndefined();
    expect(roots.locate(repo)).toBeUndefined();
    expect(roots.locate("../x.ts")).toBeUndefined();
    expect(roots.locate("nosuchfolder/x.ts")).toBeUndefined();
    expect(roots.nestedIn(roots.folders[0])).toEqual(["packages/web"]);
    expect(roots.under(path.join(repo, "packages")).map((r) => r.name)).toEqual(["web"]);

    // One folder: paths relative to it, no name in front (as before multi-root support).
    const one = WorkspaceRoots.of([{ dir: repo, name: "repo" }]);
    expect(one.locate(path.join(repo, "src", "a.ts"))?.path).toBe("src/a.ts");
    expect(one.locate("src/a.ts")?.path).toBe("src/a.ts");
    expect(one.locate(path.join(base, "x.ts"))).toBeUndefined();
  });
});

describe("multi-root workspaces: one index over every folder", () => {
  it("shows paths behind the folder name, with each folder's own ignore rules and secrets left out", async () => {
    const { index } = await twoFolders();
    const shown = paths(index.chunks());
    expect(new Set(shown)).toEqual(new Set(ORDER));
    // frontend's .gitignore and git exclude file do not apply to backend, nor backend's to frontend's files
    expect(shown).not.toContain("frontend/generated/api.ts");
    expect(shown).not.toContain("frontend/local.ts");
    expect(shown).not.toContain("backend/docs/notes.md");
    for (const secret of ["frontend/src/token.ts", "backend/.env", "backend/src/keys.ts"]) expect(shown).not.toContain(secret);
    expect(index.chunks().map((c) => c.text).join("")).not.toMatch(/AKIA|ghp_|hunter2/);
    expect(index.chunks().every((c) => /^(frontend|backend)\//.test(c.path) && c.text.length > 0)).toBe(true);
  });

  it("applies Hearth's ignore patterns relative to each folder", async () => {
    const { index } = await twoFolders({ ignore: ["/src/", "!src/db.ts"] });
    expect(paths(index.chunks())).toEqual(ORDER.filter((p) => !p.includes("/src/")));
    await index.setIgnore(["/generated/"]);
    expect(paths(index.chunks())).not.toContain("backend/generated/api.ts");
    expect(paths(index.chunks())).toContain("frontend/src/app.ts");
  });

  it("orders files across folders by last change, ties by path", async () => {
    const { index } = await twoFolders();
    expect(paths(index.chunks())).toEqual(ORDER);
  });

  it("moves only the edited file of the first folder to the end; everything before it stays byte-identical", async () => {
    const { frontend, index } = await twoFolders();
    const before = index.chunks();
    const at = before.findIndex((c) => c.path === "frontend/src/app.ts");
    write(frontend, "src/app.ts", code("app").replace("return x + 2;", "return x * 2;"));
    const change = await index.update([path.join(frontend, "src/app.ts")]);
    const after = index.chunks();
    expect(change.firstChangedIndex).toBe(at);
    expect(after.slice(0, at)).toEqual(before.slice(0, at));
    expect(paths(after)).toEqual([...ORDER.filter((p) => p !== "frontend/src/app.ts"), "frontend/src/app.ts"]);
    // the backend files after it in the order did not move relative to each other, nor change
    expect(after.slice(at, -1)).toEqual(before.slice(at + 1));

    // An unsaved edit in the second folder (by URI) moves that file behind it.
    const db = pathToFileURL(path.join(path.dirname(frontend), "backend", "src", "db.ts")).href;
    await index.setOpenDocument(db, code("db") + "// unsaved\n");
    expect(paths(index.chunks()).slice(-2)).toEqual(["frontend/src/app.ts", "backend/src/db.ts"]);
    // A change outside every folder changes nothing.
    const none = await index.update([path.join(path.dirname(frontend), "elsewhere.ts")]);
    expect(none.firstChangedIndex).toBe(index.chunks().length);
  });

  it("keeps an old file's previous copy in place across folders", async () => {
    const { frontend, index } = await twoFolders({ keepCopyAfterTokens: 10 });
    const before = index.chunks();
    write(frontend, "src/app.ts", code("app") + "export const more = 1;\n");
    const change = await index.update([path.join(frontend, "src/app.ts")]);
    expect(change.firstChangedIndex).toBe(before.length);
    expect(index.chunks().slice(0, before.length)).toEqual(before);
    expect(index.chunks().at(-1)).toMatchObject({ path: "frontend/src/app.ts", replacesEarlier: true });
  });

  it("drops deleted files and directories of either folder where they were", async () => {
    const { frontend, backend, index } = await twoFolders();
    fs.rmSync(path.join(backend, "src", "db.ts"));
    fs.rmSync(path.join(frontend, "src"), { recursive: true });
    await index.update([pathToFileURL(path.join(backend, "src", "db.ts")).href, path.join(frontend, "src")]);
    expect(paths(index.chunks())).toEqual(ORDER.filter((p) => !p.startsWith("frontend/src/") && p !== "backend/src/db.ts"));
    // A new file joins at the end, in its folder.
    write(backend, "src/new.ts", code("fresh"));
    await index.update([path.join(backend, "src", "new.ts")]);
    expect(paths(index.chunks()).at(-1)).toBe("backend/src/new.ts");
    // A changed .gitignore of one folder re-reads the rules of that folder only.
    write(backend, ".gitignore", "docs/\nlocal.ts\n");
    await index.update([path.join(backend, ".gitignore")]);
    expect(paths(index.chunks())).not.toContain("backend/local.ts");
    expect(paths(index.chunks())).toContain("backend/generated/api.ts");
  });

  it("rebuilds a saved order of several folders", async () => {
    const { frontend, roots, index } = await twoFolders({ keepCopyAfterTokens: 10 });
    write(frontend, "src/app.ts", code("app") + "export const more = 1;\n", T + 100);
    await index.update([path.join(frontend, "src/app.ts")]);
    const seed = seedOf(index.chunks());
    const again = new WorkspaceIndex(roots, { tokenBudget: 1_000_000, keepCopyAfterTokens: 10 });
    await again.build(seed);
    expect(seedOf(again.chunks())).toEqual(seed);
  });

  it("indexes a file inside nested folders under the deepest one", async () => {
    const base = tempDir();
    const repo = path.join(base, "repo");
    const web = path.join(repo, "packages", "web");
    write(repo, "src/core.ts", code("core"), T + 10);
    write(repo, "packages/shared/util.ts", code("util"), T + 20);
    write(web, "src/page.ts", code("page"), T + 30);
    write(web, ".gitignore", "tmp/\n", T);
    write(web, "tmp/scratch.ts", code("scratch"), T + 40);
    const roots = WorkspaceRoots.of([
      { dir: repo, name: "repo" },
      { dir: web, name: "web" },
    ]);
    const index = new WorkspaceIndex(roots, { tokenBudget: 1_000_000 });
    await index.build();
    expect(paths(index.chunks())).toEqual(["web/.gitignore", "repo/src/core.ts", "repo/packages/shared/util.ts", "web/src/page.ts"]);
    expect(index.stats().skipped["nested-folder"]).toBe(1);

    // Changes in it go to it, whichever way they are named.
    write(web, "src/page.ts", code("page") + "// edited\n");
    await index.update([path.join(web, "src", "page.ts"), path.join(repo, "packages", "web", "src")]);
    expect(paths(index.chunks()).filter((p) => p.includes("page"))).toEqual(["web/src/page.ts"]);
    // Its directory deleted: its files leave, the outer folder's stay.
    fs.rmSync(path.join(repo, "packages"), { recursive: true });
    await index.update([path.join(repo, "packages")]);
    expect(paths(index.chunks())).toEqual(["repo/src/core.ts"]);
  });
});

describe("multi-root workspaces: folders added and removed while running", () => {
  it("appends an added folder's files and drops a removed folder's, leaving the rest in place", async () => {
    const { base, roots, index } = await twoFolders();
    const before = index.chunks();
    const tools = path.join(base, "tools");
    write(tools, "build.ts", code("build"), T + 1); // older than everything: still at the end, like a new file
    write(tools, "lint.ts", code("lint"), T + 2);
    const added = roots.with([{ dir: tools, name: "tools" }], []);
    const change = await index.setRoots(added);
    expect(change.firstChangedIndex).toBe(before.length);
    expect(paths(index.chunks())).toEqual([...ORDER, "tools/build.ts", "tools/lint.ts"]);

    const removed = added.with([], [path.join(base, "frontend")]);
    await index.setRoots(removed);
    expect(paths(index.chunks())).toEqual([...ORDER.filter((p) => !p.startsWith("frontend/")), "tools/build.ts", "tools/lint.ts"]);
  });

  it("shows a single folder without its name again, and a second folder's arrival puts names in front", async () => {
    const { base, frontend, roots, index } = await twoFolders();
    await index.setOpenDocument(path.join(frontend, "src", "app.ts"), code("app") + "// unsaved\n");
    const one = roots.with([], [path.join(base, "backend")]);
    await index.setRoots(one);
    expect(paths(index.chunks())).toEqual([".gitignore", "src/view.ts", "src/app.ts"]); // the open document stays an edit
    const single = new WorkspaceIndex(frontend, { tokenBudget: 1_000_000 });
    await single.build();
    await single.setOpenDocument(path.join(frontend, "src", "app.ts"), code("app") + "// unsaved\n");
    expect(index.chunks()).toEqual(single.chunks());

    await index.setRoots(roots);
    expect(paths(index.chunks())).toEqual([...ORDER.filter((p) => p !== "frontend/src/app.ts"), "frontend/src/app.ts"]);
  });

  it("follows folder changes through the workspace context, which maps files to them", async () => {
    const { base, frontend, backend } = await twoFolders();
    const ctx = new WorkspaceContext(WorkspaceRoots.of([{ dir: frontend, name: "frontend" }]));
    expect(ctx.relative(path.join(frontend, "src", "app.ts"))).toBe("src/app.ts");
    expect(ctx.relative(path.join(backend, "src", "db.ts"))).toBeUndefined();
    expect(paths((await ctx.chunksFor(undefined, 131072)) as IndexedChunk[])).toEqual([".gitignore", "src/app.ts", "src/view.ts"]);

    expect(await ctx.changeFolders([{ dir: backend, name: "backend" }], [])).toBe(true);
    expect(await ctx.changeFolders([{ dir: backend, name: "backend" }], [])).toBe(false);
    expect(ctx.relative(path.join(backend, "src", "db.ts"))).toBe("backend/src/db.ts");
    expect(ctx.relative(pathToFileURL(path.join(frontend, "src", "app.ts")).href)).toBe("frontend/src/app.ts");
    expect(paths((await ctx.chunksFor(undefined, 131072)) as IndexedChunk[])).toEqual(ORDER);

    // A completion in the second folder's file edited last leaves that file's chunks out (its live text is in the prompt).
    write(backend, "src/db.ts", code("db") + "// saved\n");
    expect(await ctx.changed([path.join(backend, "src", "db.ts")])).toBe(true);
    const prefix = paths((await ctx.chunksFor(path.join(backend, "src", "db.ts"), 131072)) as IndexedChunk[]);
    expect(prefix).toEqual(ORDER.filter((p) => p !== "backend/src/db.ts"));
    expect(await ctx.changeFolders([], [path.join(base, "backend")])).toBe(true);
    expect(paths((await ctx.chunksFor(undefined, 131072)) as IndexedChunk[])).toEqual([".gitignore", "src/app.ts", "src/view.ts"]);
  });

  it("applies folders and ignore patterns that change while the prefix is first built", async () => {
    const { frontend, backend } = await twoFolders();
    // The first build waits for the saved order (the host reads it once the model is loaded): changes land meanwhile.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const logs: string[] = [];
    const ctx = new WorkspaceContext(WorkspaceRoots.of([{ dir: frontend, name: "frontend" }]), {}, (m) => logs.push(m), async () => {
      await gate;
      return undefined;
    });
    const first = ctx.chunksFor(undefined, 131072);
    expect(await ctx.configure({ ignore: ["src/view.ts"], maxTokens: 0 })).toBe(true);
    expect(await ctx.changeFolders([{ dir: backend, name: "backend" }], [])).toBe(true);
    release();
    const expected = ORDER.filter((p) => p !== "frontend/src/view.ts");
    expect(paths((await first) as IndexedChunk[])).toEqual(expected);
    expect(paths((await ctx.chunksFor(undefined, 131072)) as IndexedChunk[])).toEqual(expected);
    expect(logs.some((l) => l.startsWith("workspace prefix: ignore patterns changed"))).toBe(true);
  });

  it("names the folders in the log (a single folder's line is as before)", async () => {
    const { base, frontend, backend } = await twoFolders();
    const logs: string[] = [];
    const ctx = new WorkspaceContext(WorkspaceRoots.of([{ dir: frontend, name: "frontend" }]), {}, (m) => logs.push(m));
    await ctx.chunksFor(undefined, 131072);
    expect(logs.pop()).toMatch(/^workspace prefix: 3 of 3 files, 3 chunks/);
    await ctx.changeFolders([{ dir: backend, name: "backend" }], []);
    expect(logs.pop()).toMatch(/^workspace prefix: 2 workspace folder\(s\) now \(frontend, backend\): 8 of 8 files/);
    const two = new WorkspaceContext(WorkspaceRoots.of([frontend, path.join(base, "backend")]), {}, (m) => logs.push(m));
    await two.chunksFor(undefined, 131072);
    expect(logs.pop()).toMatch(/^workspace prefix: 8 of 8 files in 2 workspace folders \(frontend, backend\), 8 chunks/);
  });
});

describe("multi-root workspaces: each folder's own ignore patterns (folderIgnore)", () => {
  /** A folder's key as VS Code sends it: the folder's URI. */
  const uri = (dir: string) => pathToFileURL(dir).href;

  it("leaves out a path in the folder whose patterns name it, not the same path in another folder", async () => {
    const { frontend, backend, index } = await twoFolders();
    await index.setIgnore([], { [uri(frontend)]: ["/src/"] });
    expect(paths(index.chunks())).toEqual(ORDER.filter((p) => !p.startsWith("frontend/src/")));
    expect(paths(index.chunks())).toContain("backend/src/db.ts");

    // The other folder's patterns change: it is re-scanned; the first folder keeps its own.
    const before = index.chunks();
    await index.setIgnore([], { [uri(frontend)]: ["/src/"], [uri(backend)]: ["src/server.ts", "local.ts"] });
    expect(paths(index.chunks())).toEqual(ORDER.filter((p) => !p.startsWith("frontend/src/") && p !== "backend/src/server.ts" && p !== "backend/local.ts"));
    expect(index.chunks().slice(0, 2)).toEqual(before.slice(0, 2)); // what stays in front is unchanged

    // Files no longer ignored come back at the end; the folder's entry wins over the window's patterns.
    await index.setIgnore(["/src/"], { [uri(frontend)]: [], [uri(backend)]: ["src/server.ts", "local.ts"] });
    expect(paths(index.chunks())).toEqual([
      ...ORDER.filter((p) => !p.startsWith("frontend/src/") && p !== "backend/src/server.ts" && p !== "backend/local.ts"),
      "frontend/src/app.ts",
      "frontend/src/view.ts",
    ]);
  });

  it("applies the window's patterns to a folder without an entry, relative to that folder", async () => {
    const { backend, roots } = await twoFolders();
    // (keyed by the directory here; a URI and a directory name the same folder)
    const index = new WorkspaceIndex(roots, { tokenBudget: 1_000_000, ignore: ["/src/"], folderIgnore: { [backend]: ["local.ts"] } });
    await index.build();
    expect(paths(index.chunks())).toEqual(ORDER.filter((p) => !p.startsWith("frontend/src/") && p !== "backend/local.ts"));
    // An entry for a folder not in the workspace changes nothing.
    await index.setIgnore(["/src/"], { [backend]: ["local.ts"], [uri(path.join(backend, "..", "elsewhere"))]: [] });
    expect(paths(index.chunks())).toEqual(ORDER.filter((p) => !p.startsWith("frontend/src/") && p !== "backend/local.ts"));
  });

  it("takes a folder's patterns when the folder is added, and follows changes through the workspace context", async () => {
    const { frontend, backend } = await twoFolders();
    const logs: string[] = [];
    const settings = { ignore: ["local.ts"], folderIgnore: { [uri(frontend)]: [], [uri(backend)]: ["generated/"] }, maxTokens: 0 };
    const ctx = new WorkspaceContext(WorkspaceRoots.of([{ dir: frontend, name: "frontend" }]), settings, (m) => logs.push(m));
    const shown = async () => paths((await ctx.chunksFor(undefined, 131072)) as IndexedChunk[]);
    expect(await shown()).toEqual([".gitignore", "src/app.ts", "src/view.ts"]);
    await ctx.changeFolders([{ dir: backend, name: "backend" }], []);
    // backend's own entry applies to it (generated/ out, local.ts in), not the window's
    expect(await shown()).toEqual(ORDER.filter((p) => p !== "backend/generated/api.ts"));

    // The same settings again (a push for another setting): nothing to do.
    expect(await ctx.configure({ ...settings, folderIgnore: { [uri(backend)]: ["generated/"], [uri(frontend)]: [] } })).toBe(false);
    // backend's patterns change: it is re-scanned (its generated file back at the end, local.ts out).
    expect(await ctx.configure({ ...settings, folderIgnore: { [uri(frontend)]: [], [uri(backend)]: ["local.ts"] } })).toBe(true);
    expect(logs.at(-1)).toMatch(/^workspace prefix: ignore patterns changed: 7 of 7 files/);
    expect(await shown()).toEqual([...ORDER.filter((p) => p !== "backend/generated/api.ts" && p !== "backend/local.ts"), "backend/generated/api.ts"]);
    // Without backend's entry it takes the window's patterns (here the same list: the prefix stays as it is).
    expect(await ctx.configure({ ...settings, folderIgnore: { [uri(frontend)]: [] } })).toBe(true);
    expect(await shown()).toEqual([...ORDER.filter((p) => p !== "backend/generated/api.ts" && p !== "backend/local.ts"), "backend/generated/api.ts"]);
    // A client that sends no entries (the CLI): the window's patterns in every folder.
    await ctx.configure({ ignore: ["/src/"], maxTokens: 0 });
    expect(await shown()).toEqual(["frontend/.gitignore", "backend/.gitignore", "backend/generated/api.ts", "backend/local.ts"]);
  });

  it("accepts folderIgnore from a client only as lists of patterns, per folder", () => {
    const a = uri("/w/a");
    const merged = mergeSettings({ workspace: { ignore: ["x/"], folderIgnore: { [a]: ["docs/", 3, " "], "file:///w/b": "docs/", "file:///w/c": [] }, maxTokens: 0 } as never });
    expect(merged.workspace).toEqual({ ignore: ["x/"], folderIgnore: { [a]: ["docs/"], "file:///w/c": [] }, maxTokens: 0 });
    expect(mergeSettings({ workspace: { ignore: [], folderIgnore: ["docs/"], maxTokens: 0 } as never }).workspace).toEqual({ ignore: [], maxTokens: 0 });
    expect("folderIgnore" in mergeSettings({ workspace: { ignore: [], maxTokens: 0 } }).workspace).toBe(false);
  });
});

describe("a single folder, as before multi-root support", () => {
  /** A tree with ignored, secret and multi-chunk files. */
  function tree(root: string): void {
    write(root, ".gitignore", "ignored/\n*.tmp\n", T);
    write(root, "src/a.ts", code("a", 4), T + 100);
    write(root, "src/b.ts", code("b", 4), T + 50);
    write(root, "docs/readme.md", "# Readme\n\nSome words.\n", T + 50);
    write(root, "lib/util.py", "def util(x):\n    return x * 2\n", T + 200);
    write(root, "src/big.ts", code("big", 60), T + 10);
    write(root, "ignored/x.ts", code("ignored"), T + 300);
    write(root, "notes.tmp", "temporary\n", T + 300);
    write(root, "src/secret.ts", `export const key = "${AWS}";\n`, T + 300);
    write(root, ".env", "A=1\n", T + 300);
  }
  const snap = (chunks: IndexedChunk[]) =>
    chunks.map((c) => ({ path: c.path, startLine: c.startLine, endLine: c.endLine, text: c.text, hash: c.hash, tokens: c.tokens, replacesEarlier: !!c.replacesEarlier }));

  /** Build, an edit with a copy kept, an unsaved document, a deleted directory, a rebuild from the saved order. */
  async function transcript(root: string, roots: string | WorkspaceRoots) {
    tree(root);
    const index = new WorkspaceIndex(roots, { tokenBudget: 1_000_000, keepCopyAfterTokens: 100 });
    await index.build();
    const steps = [snap(index.chunks())];
    write(root, "src/big.ts", code("big", 60).replace("return x + 7;", "return x * 7;"), T + 400);
    await index.update([path.join(root, "src/big.ts")]);
    steps.push(snap(index.chunks()));
    await index.setOpenDocument(path.join(root, "src/b.ts"), code("b", 4) + "// unsaved\n");
    steps.push(snap(index.chunks()));
    fs.rmSync(path.join(root, "docs"), { recursive: true });
    await index.update([path.join(root, "docs")]);
    steps.push(snap(index.chunks()));
    const seed = seedOf(index.chunks());
    write(root, "lib/util.py", "def util(x):\n    return x * 3\n", T + 500);
    const again = new WorkspaceIndex(roots, { tokenBudget: 1_000_000, keepCopyAfterTokens: 100 });
    await again.build(seed);
    steps.push(snap(again.chunks()));
    return steps;
  }

  it("gives byte-identical chunk paths, texts and order to the index before multi-root support", async () => {
    const root = tempDir();
    const steps = await transcript(root, WorkspaceRoots.of([{ dir: root, name: "my-project" }]));
    expect(steps[0].map((c) => c.path)).toEqual([".gitignore", "src/big.ts", "src/big.ts", "src/big.ts", "src/big.ts", "docs/readme.md", "src/b.ts", "src/a.ts", "lib/util.py"]);
    // Captured from the single-root index before multi-root support (same tree, same steps).
    const digest = crypto.createHash("sha256").update(JSON.stringify(steps)).digest("hex");
    expect(digest).toBe("f3cc83cdc045f750ec6dab333efeb97ef8233d4a6cce6fa25a5455898b0a6986");
    // The same with the folder given as a path.
    const other = tempDir();
    expect(await transcript(other, other)).toEqual(steps);
  });
});
