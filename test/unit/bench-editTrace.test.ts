import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTraceEvent, deriveEditTrace, materializeWorkspace, planHunks, replayTrace, type EditTrace, type Hunk } from "../../bench/lib/editTrace";

const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid", GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1" };
const git = (dir: string, ...args: string[]) => execFileSync("git", ["-C", dir, ...args], { env, encoding: "utf8" }).trim();

const A0 = ["import { x } from './x';", "", "export function f() {", "  return 1;", "}", ""].join("\n");
const A1 = ["// header", "import { x } from './x';", "import { y } from './y';", "", "export function f() {", "  const z = x + y; // ünïcode 👋", "  return 1;", "}", "", "export const g = () => 2;", ""].join("\n");
const B0 = "# Title\n\nSome text.\n";
const B1 = "# Title\n\nSome text.\nMore text.\n\n## Section\n";
const C0 = "let a = 1;\nlet b = 2;\nlet c = 3;\n";
const C1 = "let a = 10;\nlet b = 2;\nlet bb = 22;\nlet c = 3;\n"; // one modification (skipped) + one insertion
const LOCK0 = '{\n  "a": 1\n}\n';
const LOCK1 = '{\n  "a": 1,\n  "b": 2\n}\n';

let repo: string;
let base: string;
let next: string;

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "hearth-trace-"));
  git(repo, "init", "-q", "-b", "main");
  mkdirSync(join(repo, "src"));
  writeFileSync(join(repo, "src/a.ts"), A0);
  writeFileSync(join(repo, "README.md"), B0);
  writeFileSync(join(repo, "src/c.ts"), C0);
  writeFileSync(join(repo, "package-lock.json"), LOCK0);
  writeFileSync(join(repo, "logo.bin"), Buffer.from([0, 1, 2, 3, 255, 0]));
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "base");
  base = git(repo, "rev-parse", "HEAD");
  writeFileSync(join(repo, "src/a.ts"), A1);
  writeFileSync(join(repo, "README.md"), B1);
  writeFileSync(join(repo, "src/c.ts"), C1);
  writeFileSync(join(repo, "package-lock.json"), LOCK1);
  writeFileSync(join(repo, "src/new.ts"), "export const n = 1;\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", "next");
  next = git(repo, "rev-parse", "HEAD");
});
afterAll(() => {
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe("edit trace from git history", () => {
  let trace: EditTrace;
  beforeAll(async () => {
    trace = await deriveEditTrace(repo, { baseRef: base, targetRef: next, seed: 3 });
  });

  it("snapshots the tracked text files at the base commit", () => {
    expect(trace.baseCommit).toBe(base);
    expect(trace.targetCommit).toBe(next);
    expect([...trace.files.keys()].sort()).toEqual(["README.md", "package-lock.json", "src/a.ts", "src/c.ts"]);
    expect(trace.files.get("src/a.ts")).toBe(A0);
  });

  it("replays pure insertions so the documents become the next commit's files", () => {
    const docs = replayTrace(trace);
    expect(docs.get("src/a.ts")).toBe(A1);
    expect(docs.get("README.md")).toBe(B1);
    // the modified line is not replayed, the inserted one is
    expect(docs.get("src/c.ts")).toBe("let a = 1;\nlet b = 2;\nlet bb = 22;\nlet c = 3;\n");
    // lock files are never typed into; new files are not part of the trace
    expect(docs.get("package-lock.json")).toBe(LOCK0);
    expect(trace.events.some((e) => e.path === "src/new.ts" || e.path === "package-lock.json")).toBe(false);
  });

  it("types one character per event, opens a file before typing in it, saves after each hunk", () => {
    let active: string | null = null;
    let typed = 0;
    const docs = new Map(trace.files);
    for (const e of trace.events) {
      if (e.type === "open") active = e.path;
      else expect(e.path).toBe(active);
      if (e.type === "type") {
        expect([...e.text]).toHaveLength(1);
        typed++;
      }
      applyTraceEvent(docs, e); // throws when an offset is outside the current text
    }
    expect(typed).toBe(trace.keystrokes);
    expect(trace.events.filter((e) => e.type === "save")).toHaveLength(trace.hunks.length);
    expect(trace.hunks.length).toBe(6); // a.ts: 4, README.md: 1, c.ts: 1
    const last = trace.events.at(-1)!;
    expect(last.type).toBe("save");
    // every hunk starts at a line end (or the top of the file): the cursor ends on the typed line
    const docs2 = new Map(trace.files);
    let startOfHunk = true;
    for (const e of trace.events) {
      if (e.type === "type" && startOfHunk) {
        const text = docs2.get(e.path)!;
        expect(e.offset === 0 || e.offset === text.length || text[e.offset] === "\n").toBe(true);
        expect(e.offset === 0 ? true : e.text === "\n").toBe(true);
      }
      startOfHunk = e.type !== "type";
      applyTraceEvent(docs2, e);
    }
  });

  it("is deterministic and respects maxKeystrokes", async () => {
    const again = await deriveEditTrace(repo, { baseRef: base, targetRef: next, seed: 3 });
    expect(again.events).toEqual(trace.events);
    const small = await deriveEditTrace(repo, { baseRef: base, targetRef: next, seed: 3, maxKeystrokes: 30 });
    expect(small.keystrokes).toBeLessThanOrEqual(30);
    expect(small.keystrokes).toBeGreaterThan(0);
    // still consistent: every event applies
    expect(() => replayTrace(small)).not.toThrow();
  });

  it("defaults to the nearest ancestor with enough typing", async () => {
    const t = await deriveEditTrace(repo, {});
    expect(t.baseCommit).toBe(base);
    expect(t.targetCommit).toBe(next);
  });

  it("materializes the base commit's tree without touching the repository", async () => {
    const dest = mkdtempSync(join(tmpdir(), "hearth-ws-"));
    try {
      await materializeWorkspace(repo, base, dest);
      expect(readFileSync(join(dest, "src/a.ts"), "utf8")).toBe(A0);
      expect(readFileSync(join(dest, "logo.bin"))).toEqual(Buffer.from([0, 1, 2, 3, 255, 0]));
      expect(existsSync(join(dest, "src/new.ts"))).toBe(false);
      expect(git(repo, "rev-parse", "HEAD")).toBe(next);
      expect(git(repo, "status", "--porcelain")).toBe("");
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  });
});

describe("hunk plan", () => {
  const hunk = (path: string, afterLine: number, chars: number): Hunk => ({ path, afterLine, lines: ["x".repeat(chars - 1)] }); // typed as "\n" + line
  const opts = { maxKeystrokes: 100, minFiles: 3, topLines: 20, seed: 1 };

  it("spreads the budget over at least minFiles files, each visited once, hunks top to bottom", () => {
    const many = Array.from({ length: 20 }, (_, i) => hunk("a.ts", 30 + 10 * i, 10)); // a.ts alone could fill it
    const plan = planHunks([...many, hunk("b.ts", 40, 10), hunk("c.ts", 50, 10), hunk("d.ts", 60, 10)], opts);
    const files = plan.map((h) => h.path).filter((p, i, a) => a.indexOf(p) === i);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const idx = plan.flatMap((h, i) => (h.path === f ? [i] : []));
      expect(idx.at(-1)! - idx[0] + 1).toBe(idx.length); // contiguous: one visit per file
      const lines = idx.map((i) => plan[i].afterLine);
      expect(lines).toEqual([...lines].sort((x, y) => x - y));
    }
    const typed = plan.reduce((n, h) => n + h.lines[0].length + 1, 0);
    expect(typed).toBeLessThanOrEqual(100);
    expect(typed).toBeGreaterThanOrEqual(90);
  });

  it("prefers edits below the top of a file and files that have them", () => {
    const plan = planHunks([hunk("a.ts", 2, 30), hunk("a.ts", 80, 30), hunk("top.ts", 1, 30), hunk("b.ts", 40, 30), hunk("c.ts", 25, 30)], opts);
    expect(plan.map((h) => `${h.path}:${h.afterLine}`).sort()).toEqual(["a.ts:80", "b.ts:40", "c.ts:25"]);
  });

  it("is deterministic for a seed", () => {
    const hs = Array.from({ length: 30 }, (_, i) => hunk(`f${i % 7}.ts`, 5 * i, 3 + (i % 11)));
    expect(planHunks(hs, opts)).toEqual(planHunks(hs, opts));
  });
});

describe("edit trace: several files, top-of-file hunks, base commit", () => {
  let repo2: string;
  const commits: string[] = [];
  const body = (tag: string) => Array.from({ length: 30 }, (_, i) => `${tag}${i};`);
  beforeAll(() => {
    repo2 = mkdtempSync(join(tmpdir(), "hearth-trace2-"));
    git(repo2, "init", "-q", "-b", "main");
    const commit = (files: Record<string, string[]>) => {
      for (const [f, lines] of Object.entries(files)) writeFileSync(join(repo2, f), lines.join("\n") + "\n");
      git(repo2, "add", "-A");
      git(repo2, "commit", "-q", "-m", String(commits.length));
      commits.push(git(repo2, "rev-parse", "HEAD"));
    };
    const [a, b, c] = [body("a"), body("b"), body("c")];
    commit({ "a.ts": a, "b.ts": b, "c.ts": c });
    commit({ "a.ts": ["top;", ...a.slice(0, 25), "aa;", ...a.slice(25)], "b.ts": [...b.slice(0, 22), "bb;", ...b.slice(22)], "c.ts": [...c.slice(0, 24), "cc;", ...c.slice(24)] });
    commit({ "a.ts": ["top;", ...a.slice(0, 25), "aa;", ...a.slice(25, 28), "ab;", ...a.slice(28)], "b.ts": [...b.slice(0, 22), "bb;", ...b.slice(22)], "c.ts": [...c.slice(0, 24), "cc;", ...c.slice(24)] });
  });
  afterAll(() => {
    if (repo2) rmSync(repo2, { recursive: true, force: true });
  });

  it("walks back to a base whose diff spans enough files, and types in each", async () => {
    // the last commit only touches a.ts: with minFiles 3 the base goes back to the first commit
    const t = await deriveEditTrace(repo2, { maxKeystrokes: 16, topLines: 20 });
    expect(t.baseCommit).toBe(commits[0]);
    expect(t.targetCommit).toBe(commits[2]);
    expect([...t.editedFiles].sort()).toEqual(["a.ts", "b.ts", "c.ts"]);
    expect(t.events.filter((e) => e.type === "open")).toHaveLength(3); // two moves between files
    const pinned = await deriveEditTrace(repo2, { baseRef: commits[1], maxKeystrokes: 16 });
    expect(pinned.baseCommit).toBe(commits[1]);
    expect(pinned.editedFiles).toEqual(["a.ts"]);
  });

  it("types a top-of-file hunk on a line opened above the old first line", async () => {
    const t = await deriveEditTrace(repo2, { baseRef: commits[0], targetRef: commits[2], maxKeystrokes: 400, minFiles: 1 });
    expect(t.hunks.some((h) => h.afterLine === 0)).toBe(true);
    const docs = new Map(t.files);
    for (const [i, e] of t.events.entries()) {
      applyTraceEvent(docs, e);
      if (e.type !== "type") continue;
      const text = docs.get(e.path)!;
      const cursor = e.offset + e.text.length;
      const prev = t.events[i - 1];
      const opensTopLine = e.offset === 0 && e.text === "\n" && prev.type !== "type";
      // the cursor never has old code after it on its line, except right after opening the top line
      if (!opensTopLine) expect(cursor === text.length || text[cursor] === "\n").toBe(true);
    }
    expect(docs.get("a.ts")!.startsWith("top;\na0;\n")).toBe(true);
    expect(replayTrace(t).get("a.ts")).toBe(readFileSync(join(repo2, "a.ts"), "utf8"));
  });
});
