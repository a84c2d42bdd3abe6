/**
 * The chat's `#` file mentions: where one is typed (src/chat/mentions.ts, shared with the webview) and how
 * the workspace's files are ranked for it (src/chat/workspaceFiles.ts's rankFiles).
 */
import { describe, expect, it, vi } from "vitest";
import { fileMentionAt, replaceMention } from "../../src/chat/mentions";

vi.mock("vscode", () => ({}));
const { FileIndex, rankFiles } = await import("../../src/chat/workspaceFiles");

describe("fileMentionAt", () => {
  it("finds the # word the caret ends, at the start or after white space", () => {
    expect(fileMentionAt("#", 1)).toEqual({ start: 0, end: 1, query: "" });
    expect(fileMentionAt("how does #cach", 14)).toEqual({ start: 9, end: 14, query: "cach" });
    expect(fileMentionAt("look at\n#src/ca", 15)).toEqual({ start: 8, end: 15, query: "src/ca" });
    expect(fileMentionAt("compare # with this", 9)).toEqual({ start: 8, end: 9, query: "" });
  });

  it("is not a mention: an issue number, # inside a word, a caret inside the word, a word already ended", () => {
    expect(fileMentionAt("fix #12", 7)).toBeUndefined();
    expect(fileMentionAt("C#", 2)).toBeUndefined();
    expect(fileMentionAt("a#b", 3)).toBeUndefined();
    expect(fileMentionAt("see #abc", 6)).toBeUndefined();
    expect(fileMentionAt("see #abc now", 12)).toBeUndefined();
    expect(fileMentionAt("##", 2)).toBeUndefined();
  });
});

describe("replaceMention", () => {
  it("puts the path where the mention was, with one space after it, and the caret after that space", () => {
    const at = (draft: string, caret: number) => fileMentionAt(draft, caret)!;
    expect(replaceMention("how does #cach", at("how does #cach", 14), "src/cache.ts")).toEqual({ text: "how does src/cache.ts ", caret: 22 });
    expect(replaceMention("compare # with this", at("compare # with this", 9), "a.ts")).toEqual({ text: "compare a.ts with this", caret: 13 });
    expect(replaceMention("#", at("#", 1), "my notes.md")).toEqual({ text: "my notes.md ", caret: 12 });
  });
});

describe("rankFiles", () => {
  const file = (p: string) => ({ uri: `file:///w/${p}`, path: p, name: p.split("/").pop()! });
  const files = ["src/cache.ts", "src/cache/index.ts", "server/lru/cacheMap.ts", "README.md", "docs/caching.md", "test/unit/cache.test.ts", "src/app.ts", "a/b/c/deep.ts"].map(file);
  const paths = (q: string, open: string[] = [], limit?: number) => rankFiles(q, files, open.map((p) => `file:///w/${p}`), limit).map((f) => f.path);

  it("ranks a file whose name matches before one whose folder does", () => {
    const cache = paths("cache");
    expect(cache[0]).toBe("src/cache.ts");
    expect(cache.indexOf("src/cache/index.ts")).toBeGreaterThan(cache.indexOf("test/unit/cache.test.ts"));
    expect(paths("cachemap")).toEqual(["server/lru/cacheMap.ts"]);
    expect(paths("readme")).toEqual(["README.md"]);
    expect(paths("lru/cm")).toEqual(["server/lru/cacheMap.ts"]);
    expect(paths("zzz")).toEqual([]);
  });

  it("puts an open file a little ahead of an equally good closed one", () => {
    expect(paths("cache", ["test/unit/cache.test.ts"])[0]).toBe("test/unit/cache.test.ts");
  });

  it("offers the open files first for an empty query (the active one first), then the shallowest paths", () => {
    expect(paths("", ["src/app.ts", "a/b/c/deep.ts"], 4)).toEqual(["src/app.ts", "a/b/c/deep.ts", "README.md", "docs/caching.md"]);
  });

  it("answers only with the uri and the path", () => {
    expect(rankFiles("app", files)).toEqual([{ uri: "file:///w/src/app.ts", path: "src/app.ts" }]);
  });
});

describe("FileIndex", () => {
  it("keeps its prepared keys current as files come and go (a file added after a query is found; one removed, or its folder, is not)", () => {
    const file = (p: string) => ({ uri: `file:///w/${p}`, path: p, name: p.split("/").pop()! });
    const index = new FileIndex([file("src/a.ts"), file("lib/x/one.ts"), file("lib/x/two.ts")]);
    expect(index.rank("a.ts").map((f) => f.path)).toEqual(["src/a.ts"]);
    index.add(file("src/cache.ts"));
    index.add(file("src/cache.ts"));
    expect(index.rank("cache").map((f) => f.path)).toEqual(["src/cache.ts"]);
    expect(index.files).toHaveLength(4);
    index.remove("file:///w/src/cache.ts");
    expect(index.rank("cache")).toEqual([]);
    expect(index.has("file:///w/src/cache.ts")).toBe(false);
    index.remove("file:///w/lib/x");
    expect(index.rank("one")).toEqual([]);
    expect(index.rank("").map((f) => f.path)).toEqual(["src/a.ts"]);
  });
});
