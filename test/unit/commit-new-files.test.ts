/**
 * Write Commit Message with new, untracked files: each goes to the prompt as the section git itself would
 * show once told about it (`git add -N`), so the prompt reads it like any other change; a secrets file never
 * with its content, a large file by its size.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildCommitPrompt } from "../../server/commit/commitPrompt";
import { MAX_NEW_FILE_BYTES, newFileDiff, readsNewFile } from "../../server/commit/newFileDiff";

const repo = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-new-files-"));
afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));
const git = (...args: string[]) => execFileSync("git", args, { cwd: repo, encoding: "utf8" });
git("init", "-q");

/** What git shows for `file` once it is intended to be added (its `index` line aside: the hash is git's own). */
function gitsOwn(file: string, content: string | Buffer): string {
  fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  fs.writeFileSync(path.join(repo, file), content);
  git("add", "-N", file);
  return git("-c", "core.quotePath=false", "diff", "--", file).replace(/^index .*\n/m, "");
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe("a new file as a diff section", () => {
  it.each([
    ["lines", "src/refunds.ts", "export function refund(id: string) {\n  return api.post(`/refunds/${id}`);\n}\n"],
    ["one line", "VERSION", "1.4.0\n"],
    ["no newline at the end", "notes/todo.md", "- ship it\n- tell the team"],
    ["a path with spaces and non-ASCII", "docs/Überblick neu.md", "# Überblick\n"],
  ])("%s: as git shows it", (_, file, content) => {
    expect(newFileDiff(file, bytes(content))).toBe(gitsOwn(file, content));
  });

  it("binary: as git shows it", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13, 1, 2, 3]);
    expect(newFileDiff("media/logo.png", png)).toBe(gitsOwn("media/logo.png", png));
  });

  it("empty: as git shows it", () => {
    expect(newFileDiff("src/__init__.py", bytes(""))).toBe(gitsOwn("src/__init__.py", ""));
  });

  it("Windows line ends are read as lines", () => {
    expect(newFileDiff("a.txt", bytes("one\r\ntwo\r\n"))).toContain("@@ -0,0 +1,2 @@\n+one\n+two\n");
  });

  it("a symbolic link is never followed (its target could be any file on the machine), and past the count a file goes by name", () => {
    expect(newFileDiff("notes.json", { link: true })).toBe(
      "diff --git a/notes.json b/notes.json\nnew file mode 100644\n--- /dev/null\n+++ b/notes.json\n@@ -0,0 +1 @@\n+(a new symbolic link: not read)\n",
    );
    expect(newFileDiff("node_modules/x/index.js", {})).toContain("+(a new file: not read)\n");
  });

  it("a large one is named with its size, not read", () => {
    expect(readsNewFile("data/fixtures.json", MAX_NEW_FILE_BYTES + 1)).toBe(false);
    expect(readsNewFile("data/small.json", MAX_NEW_FILE_BYTES)).toBe(true);
    expect(newFileDiff("data/fixtures.json", { size: 3_355_443 })).toContain("+(a new file of 3.2 MB: not read)\n");
  });
});

describe("new files in the commit prompt", () => {
  it("their content is in it, a secrets file's never (it is not even read), and each file is named", () => {
    expect(readsNewFile(".env.production", 40)).toBe(false);
    const diff = newFileDiff("src/refunds.ts", bytes("export const REFUND_WINDOW_DAYS = 30;\n")) + newFileDiff(".env.production", { size: 40 });
    const prompt = buildCommitPrompt(diff);
    const user = String(prompt.messages[1].content);
    expect(user).toContain("+++ b/src/refunds.ts\n@@ -0,0 +1 @@\n+export const REFUND_WINDOW_DAYS = 30;");
    expect(user).toContain("diff --git a/.env.production b/.env.production\nnew file mode 100644\n--- /dev/null\n+++ b/.env.production\n(changes to a secrets file: not shown)");
    expect(prompt.omitted).toEqual([{ path: ".env.production", reason: "secret" }]);
  });
});
