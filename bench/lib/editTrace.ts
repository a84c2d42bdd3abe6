// A deterministic typing trace derived from a real git history.
//
// Why: a completion benchmark needs realistic keystrokes in a realistic workspace (real files,
// real sizes, edits spread over several files). We take the workspace at a base commit and replay
// the lines a later commit ADDED, typed one character at a time, moving between files like a
// developer would. Only pure insertions are replayed (hunks that also delete lines are skipped),
// so every event applies to the current document text and the replayed files end up equal to the
// target commit wherever all hunks were replayed.
//
// Events (offsets are UTF-16 code units into the CURRENT document text, as in VS Code):
//   { type: "open", path }                   the editor switches to `path` (it exists at base)
//   { type: "type", path, offset, text }     one character typed at `offset` (the cursor)
//   { type: "save", path }                   end of a hunk
//
// A hunk adding lines after line `a` is typed at the end of line `a` as "\n" + lines, so the cursor
// sits at the end of the line being typed with the old code below it (the usual completion
// situation). A hunk at the top of a file opens a line first ("\n" at offset 0), then is typed above
// it, so the cursor never has old code after it on its line.
//
// Which hunks (planHunks): several files (at least 3 when the history has them), edits below the top
// of files (imports, headers) preferred, so the replay moves the cursor between files and within them.
// Deterministic: a seeded order, a base commit derived from (or pinned to) the history.

import { execFile, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { promisify } from "node:util";
import { Rng } from "../../server/gguf/random";

const execFileP = promisify(execFile);

export type TraceEvent =
  | { type: "open"; path: string }
  | { type: "type"; path: string; offset: number; text: string }
  | { type: "save"; path: string };

export interface EditTrace {
  baseCommit: string;
  targetCommit: string;
  /** tracked text files at the base commit (path -> text) */
  files: Map<string, string>;
  events: TraceEvent[];
  /** the replayed hunks, in replay order */
  hunks: { path: string; afterLine: number; lines: number; chars: number }[];
  keystrokes: number;
  /** the files typed into, in the order first visited */
  editedFiles: string[];
}

export interface EditTraceOptions {
  /**
   * base commit; default: the nearest first-parent ancestor of `targetRef` whose diff to the target
   * lets the plan (planHunks) type 90% of `maxKeystrokes` in at least `minFiles` files (or the oldest).
   * Pin it (with targetRef) to compare runs.
   */
  baseRef?: string;
  /** default "HEAD" */
  targetRef?: string;
  /** stop adding hunks once this many characters are typed (default 400) */
  maxKeystrokes?: number;
  /** spread the keystrokes over at least this many files when the history allows (default 3) */
  minFiles?: number;
  /** hunks this close to the top of a file (imports, headers) are typed only when others do not fill the budget (default 20) */
  topLines?: number;
  /** order of the files and hunks (default 1) */
  seed?: number;
  /** files larger than this are neither in the snapshot nor edited (default 256 KiB) */
  maxFileBytes?: number;
}

/** Extensions whose added lines are typed. */
const CODE_EXT = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|py|go|rs|c|h|cc|cpp|hpp|java|kt|cs|rb|php|swift|css|scss|html|vue|svelte|sh|md|yml|yaml|toml)$/i;
/** Generated / vendored / lock files. */
const SKIP_PATH = /(^|\/)(node_modules|dist|build|out|vendor|coverage)\/|(^|\/)[^/]*lock[^/]*$|\.min\.(js|css)$|\.map$/i;

async function git(repo: string, args: string[], maxBuffer = 256 << 20): Promise<string> {
  const { stdout } = await execFileP("git", ["-C", repo, ...args], { maxBuffer, encoding: "utf8" });
  return stdout;
}

async function revParse(repo: string, ref: string): Promise<string> {
  return (await git(repo, ["rev-parse", "--verify", `${ref}^{commit}`])).trim();
}

/** Every blob of `commit` that is text (no NUL byte, valid UTF-8) and at most maxBytes. */
export async function readTextSnapshot(repo: string, commit: string, maxBytes = 256 * 1024): Promise<Map<string, string>> {
  const list = await git(repo, ["ls-tree", "-r", "-z", "--long", commit]);
  const wanted: string[] = [];
  for (const entry of list.split("\0")) {
    if (!entry) continue;
    const tab = entry.indexOf("\t");
    const [mode, type, , size] = entry.slice(0, tab).split(/\s+/);
    // regular files only (no symlinks 120000, no submodules)
    if (type === "blob" && (mode === "100644" || mode === "100755") && Number(size) <= maxBytes) wanted.push(entry.slice(tab + 1));
  }
  const blobs = await catFileBatch(repo, wanted.map((p) => `${commit}:${p}`));
  const out = new Map<string, string>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  wanted.forEach((p, i) => {
    const b = blobs[i];
    if (!b || b.includes(0)) return;
    try {
      out.set(p, decoder.decode(b));
    } catch {
      /* not UTF-8: binary */
    }
  });
  return out;
}

/** `git cat-file --batch` for many objects in one process. */
function catFileBatch(repo: string, specs: string[]): Promise<(Buffer | null)[]> {
  return new Promise((resolve, reject) => {
    const p = spawn("git", ["-C", repo, "cat-file", "--batch"], { stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let err = "";
    p.stdout.on("data", (d: Buffer) => chunks.push(d));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0) return reject(new Error(`git cat-file failed (${code}): ${err}`));
      const buf = Buffer.concat(chunks);
      const out: (Buffer | null)[] = [];
      let pos = 0;
      for (let i = 0; i < specs.length; i++) {
        const nl = buf.indexOf(10, pos);
        const header = buf.subarray(pos, nl).toString("utf8");
        pos = nl + 1;
        if (header.endsWith(" missing")) {
          out.push(null);
          continue;
        }
        const size = Number(header.split(" ")[2]);
        out.push(buf.subarray(pos, pos + size));
        pos += size + 1; // trailing LF
      }
      resolve(out);
    });
    p.stdin.end(specs.map((s) => s + "\n").join(""));
  });
}

export interface Hunk {
  path: string;
  /** insert after this line of the base file (1-based; 0 = top) */
  afterLine: number;
  lines: string[];
}

/** Pure-insertion hunks of `git diff -U0 base target` in files that exist (as text) at base. */
async function pureInsertions(repo: string, base: string, target: string, files: Map<string, string>): Promise<Hunk[]> {
  const diff = await git(repo, ["diff", "--no-color", "--no-ext-diff", "--no-renames", "-U0", base, target]);
  const hunks: Hunk[] = [];
  let path: string | null = null;
  let cur: Hunk | null = null;
  let pure = false;
  const flush = () => {
    if (cur && pure && cur.lines.length > 0) hunks.push(cur);
    cur = null;
  };
  for (const line of diff.split("\n")) {
    if (line.startsWith("diff --git ")) {
      flush();
      path = null;
    } else if (line.startsWith("+++ ")) {
      const p = line.slice(4);
      path = p.startsWith("b/") ? p.slice(2) : null; // "/dev/null": deleted file
    } else if (line.startsWith("@@ ")) {
      flush();
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!m || !path) continue;
      const oldCount = m[2] === undefined ? 1 : Number(m[2]);
      pure = oldCount === 0;
      cur = { path, afterLine: Number(m[1]), lines: [] };
    } else if (cur && line.startsWith("+")) {
      cur.lines.push(line.slice(1));
    } else if (cur && line.startsWith("\\")) {
      pure = false; // "\ No newline at end of file": the hunk changes the last line's ending
    }
  }
  flush();
  return hunks.filter((h) => {
    const text = files.get(h.path);
    return text !== undefined && !text.includes("\r") && CODE_EXT.test(h.path) && !SKIP_PATH.test(h.path);
  });
}

/** Offset of the end of line `line` (1-based, before its "\n"); -1 if the document is shorter. */
function endOfLine(text: string, line: number): number {
  let pos = -1;
  for (let i = 0; i < line; i++) {
    pos = text.indexOf("\n", pos + 1);
    if (pos < 0) return i === line - 1 ? text.length : -1;
  }
  return pos;
}

function shuffled<T>(xs: T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Characters typed for a hunk (code points: one keystroke each). */
function typedChars(h: Hunk): string[] {
  return [..."\n" + h.lines.join("\n")];
}

export interface PlanOptions {
  maxKeystrokes: number;
  /** spread the keystrokes over at least this many files when the hunks allow it */
  minFiles: number;
  /** hunks inserting within this many lines of the top (imports, headers) come last */
  topLines: number;
  seed: number;
}

/**
 * Which hunks to type, in replay order: files in a seeded order (files with edits below the top first),
 * the budget shared over the first `minFiles` of them (what one leaves goes to the next), within a
 * file the hunks below the top first, then the others, each taken while it fits; a file's chosen
 * hunks are typed top to bottom (a developer working through a file).
 */
export function planHunks<H extends Hunk>(hunks: readonly H[], opts: PlanOptions): H[] {
  const rng = new Rng(opts.seed, "editTrace");
  const byFile = new Map<string, H[]>();
  for (const h of hunks) (byFile.get(h.path) ?? byFile.set(h.path, []).get(h.path)!).push(h);
  const deep = (h: Hunk) => h.afterLine >= opts.topLines;
  const order = shuffled([...byFile.keys()].sort(), rng);
  const hasDeep = (p: string) => byFile.get(p)!.some(deep);
  order.sort((a, b) => Number(hasDeep(b)) - Number(hasDeep(a))); // stable: the seeded order within each group

  const plan: H[] = [];
  let used = 0;
  let filesUsed = 0;
  for (const path of order) {
    if (used >= opts.maxKeystrokes) break;
    const left = opts.maxKeystrokes - used;
    const share = filesUsed < opts.minFiles ? Math.floor(left / (opts.minFiles - filesUsed)) : left;
    const fileHunks = byFile.get(path)!;
    const candidates = [...shuffled(fileHunks.filter(deep), rng), ...shuffled(fileHunks.filter((h) => !deep(h)), rng)];
    const chosen: H[] = [];
    let spent = 0;
    for (const h of candidates) {
      const n = typedChars(h).length;
      if (spent + n > share) continue; // does not fit: try smaller hunks
      chosen.push(h);
      spent += n;
    }
    if (chosen.length === 0) continue;
    plan.push(...chosen.sort((a, b) => a.afterLine - b.afterLine));
    used += spent;
    filesUsed++;
  }
  return plan;
}

export async function deriveEditTrace(repoDir: string, opts: EditTraceOptions = {}): Promise<EditTrace> {
  const maxFileBytes = opts.maxFileBytes ?? 256 * 1024;
  const planOpts: PlanOptions = {
    maxKeystrokes: opts.maxKeystrokes ?? 400,
    minFiles: opts.minFiles ?? 3,
    topLines: opts.topLines ?? 20,
    seed: opts.seed ?? 1,
  };
  const targetCommit = await revParse(repoDir, opts.targetRef ?? "HEAD");
  const candidates = opts.baseRef ? [await revParse(repoDir, opts.baseRef)] : await ancestorsOf(repoDir, targetCommit);

  let chosen: { baseCommit: string; files: Map<string, string>; plan: Hunk[] } | undefined;
  for (const [i, baseCommit] of candidates.entries()) {
    const files = await readTextSnapshot(repoDir, baseCommit, maxFileBytes);
    const plan = planHunks(await pureInsertions(repoDir, baseCommit, targetCommit, files), planOpts);
    chosen = { baseCommit, files, plan };
    if (i === candidates.length - 1 || isEnough(plan, planOpts)) break;
  }
  const { baseCommit, files, plan } = chosen!;
  return { baseCommit, targetCommit, files, ...typeHunks(files, plan) };
}

/** First-parent ancestors of `target`, nearest first. */
async function ancestorsOf(repoDir: string, target: string): Promise<string[]> {
  const ancestors = (await git(repoDir, ["rev-list", "--first-parent", target])).trim().split("\n").slice(1);
  if (ancestors.length === 0) throw new Error(`${target} has no parent: pass baseRef`);
  return ancestors;
}

/** A plan is enough when it fills 90% of the budget over at least minFiles files. */
function isEnough(plan: Hunk[], opts: PlanOptions): boolean {
  const keystrokes = plan.reduce((n, h) => n + typedChars(h).length, 0);
  return keystrokes >= 0.9 * opts.maxKeystrokes && new Set(plan.map((h) => h.path)).size >= opts.minFiles;
}

/**
 * The events that type `plan` into `files`. A hunk after line `a` is typed at the end of line `a` as
 * "\n" + lines; a hunk at the top of a file opens a line first ("\n" at offset 0, then the cursor goes
 * back up), so the cursor never has old code after it on its line.
 */
function typeHunks(files: Map<string, string>, plan: Hunk[]): Pick<EditTrace, "events" | "hunks" | "keystrokes" | "editedFiles"> {
  const docs = new Map(files);
  const inserted = new Map<string, { afterLine: number; lines: number }[]>();
  const events: TraceEvent[] = [];
  const hunks: EditTrace["hunks"] = [];
  const editedFiles: string[] = [];
  let keystrokes = 0;
  let active: string | undefined;
  for (const h of plan) {
    const path = h.path;
    // line numbers of the base file shift by the lines inserted above
    const shift = (inserted.get(path) ?? []).filter((x) => x.afterLine < h.afterLine).reduce((s, x) => s + x.lines, 0);
    let text = docs.get(path)!;
    let offset = h.afterLine === 0 ? 0 : endOfLine(text, h.afterLine + shift);
    if (offset < 0) continue;
    if (active !== path) {
      events.push({ type: "open", path });
      if (!editedFiles.includes(path)) editedFiles.push(path);
      active = path;
    }
    const chars = typedChars(h);
    for (const [i, c] of chars.entries()) {
      events.push({ type: "type", path, offset, text: c });
      text = text.slice(0, offset) + c + text.slice(offset);
      offset += c.length;
      if (h.afterLine === 0 && i === 0) offset = 0; // top of the file: type above the opened line
    }
    docs.set(path, text);
    (inserted.get(path) ?? inserted.set(path, []).get(path)!).push({ afterLine: h.afterLine, lines: h.lines.length });
    events.push({ type: "save", path });
    hunks.push({ path, afterLine: h.afterLine, lines: h.lines.length, chars: chars.reduce((s, c) => s + c.length, 0) });
    keystrokes += chars.length;
  }
  return { events, hunks, keystrokes, editedFiles };
}

/** Apply one event to `docs` (path -> text) in place; "open"/"save" change nothing. */
export function applyTraceEvent(docs: Map<string, string>, ev: TraceEvent): void {
  if (ev.type !== "type") return;
  const text = docs.get(ev.path);
  if (text === undefined) throw new Error(`type event for unknown file ${ev.path}`);
  if (ev.offset < 0 || ev.offset > text.length) throw new Error(`offset ${ev.offset} outside ${ev.path} (${text.length})`);
  docs.set(ev.path, text.slice(0, ev.offset) + ev.text + text.slice(ev.offset));
}

/** Replay every event on a copy of the snapshot. */
export function replayTrace(trace: Pick<EditTrace, "files" | "events">): Map<string, string> {
  const docs = new Map(trace.files);
  for (const ev of trace.events) applyTraceEvent(docs, ev);
  return docs;
}

/**
 * Write the tree of `commit` into `destDir` (created if missing), like a checkout but without
 * touching the repository's index, HEAD or worktrees: `git archive <commit> | tar -x`.
 */
export async function materializeWorkspace(repoDir: string, commit: string, destDir: string): Promise<void> {
  await mkdir(destDir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const archive = spawn("git", ["-C", repoDir, "archive", "--format=tar", commit], { stdio: ["ignore", "pipe", "pipe"] });
    const tar = spawn("tar", ["-x", "-f", "-", "-C", destDir], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    archive.stderr.on("data", (d: Buffer) => (err += d.toString()));
    tar.stderr.on("data", (d: Buffer) => (err += d.toString()));
    archive.stdout.pipe(tar.stdin);
    let pending = 2;
    let failed = false;
    const done = (what: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} failed (${code}): ${err.trim()}`));
      }
      if (--pending === 0 && !failed) resolve();
    };
    archive.on("error", reject);
    tar.on("error", reject);
    archive.on("close", done("git archive"));
    tar.on("close", done("tar"));
  });
}
