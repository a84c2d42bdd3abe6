/**
 * The project's standing instructions for the model: files such as `AGENTS.md` and
 * `.github/copilot-instructions.md` that a repository already keeps for coding assistants ("use pnpm",
 * "tests go beside the file", "conventional commits"), plus the developer's own `instructions.text`.
 * Chat, Edit Selection and commit messages add them to their system prompt (withInstructions).
 *
 * Which files: with a file in focus (an edit's file, the file a chat conversation is about), its workspace
 * folder's, and for each entry with no slash (`AGENTS.md`) the nearest one from the file's folder upwards, as
 * the AGENTS.md convention has it (it goes last: its more specific rules come after the folder's); with a
 * repository (a commit's), the repository's own; otherwise every folder's.
 *
 * Read on every request (a few small files: always current, nothing to invalidate), with the workspace
 * context's rules: a file the workspace prefix leaves out (`.gitignore`, `hearth.workspace.ignore`, a secret
 * name) is not read, nor one with a key or token in it. A symlink is followed only to a file in the same
 * folder that passes the same rules (`AGENTS.md` → `CLAUDE.md` is a common layout).
 */
import { lstatSync, realpathSync } from "node:fs";
import path from "node:path";
import type { ChatMessage, InstructionSettings, InstructionsUsed, WorkspaceSettings } from "../protocol";
import { classifySecretFree, readWorkspaceFile, toWorkspacePath, withoutFileScheme, WorkspaceFilter, type SkipReason } from "./files";
import { ignoreFor } from "./index";
import { WorkspaceRoots, type LocatedPath, type WorkspaceRoot } from "./roots";
import { pathToFileURL } from "node:url";

/** Characters of instructions in all (about 3K tokens): a prompt every chat question and edit pays for. */
export const MAX_INSTRUCTION_CHARS = 12_000;
/** An instructions file larger than this is not read (it would be cut to MAX_INSTRUCTION_CHARS anyway). */
const MAX_FILE_BYTES = 64 * 1024;
const CUT_NOTE = "\n[…cut here: standing instructions are limited to 12,000 characters]";

export interface InstructionSource {
  used: InstructionsUsed;
  text: string;
}

export interface ProjectInstructions {
  /** In prompt order: the developer's own text, the folders' files, the nearest nested file last. */
  sources: InstructionSource[];
  /** The files not read (or not kept), with why. */
  skipped: { path: string; reason: SkipReason | "over-the-limit" }[];
  /** True when text was cut or a file left out for MAX_INSTRUCTION_CHARS. */
  truncated: boolean;
}

export interface InstructionsQuery {
  roots: WorkspaceRoots;
  settings: InstructionSettings;
  /** The ignore patterns of the workspace prefix (the window's and each folder's). */
  ignore: Pick<WorkspaceSettings, "ignore" | "folderIgnore">;
  /** The file in focus (a path or file:// URI): its folder's files and the nested ones above it. */
  focus?: string;
  /** A folder the entries are relative to instead (a commit's repository), in one of `roots`; no nested lookup. */
  base?: { root: WorkspaceRoot; rel: string };
}

/** Where a source sits when the text is cut: the developer's own first, then the most specific file. */
const enum Rank {
  Own = 0,
  Nested = 1,
  Folder = 2,
}

/** The instructions for a request (see the file comment). */
export function readInstructions(q: InstructionsQuery): ProjectInstructions {
  const found: (InstructionSource & { rank: Rank })[] = [];
  const skipped: ProjectInstructions["skipped"] = [];
  const own = q.settings.text.trim();
  if (own) found.push({ used: { kind: "settings" }, text: own, rank: Rank.Own });
  const entries = [...new Set(q.settings.files.map(normalizeEntry).filter((e): e is string => e !== undefined))];
  const focus = q.focus === undefined || q.base ? undefined : q.roots.locate(q.focus);
  const folders = q.base ? [q.base.root] : focus ? [focus.root] : q.roots.folders;
  const seen = new Set<string>();
  for (const root of folders) {
    const filter = new WorkspaceFilter(root.dir, { ignore: ignoreFor(root, q.ignore), nestedFolders: q.roots.nestedIn(root) });
    const read = (rel: string, rank: Rank) => {
      const outcome = readOne(root, rel, filter);
      if (outcome === "missing") return outcome;
      const shown = q.roots.display(root, rel);
      if ("reason" in outcome) {
        skipped.push({ path: shown, reason: outcome.reason });
        return "skipped";
      }
      // (the same file twice: listed under two names, a symlink to another entry, a case-insensitive disk)
      if (seen.has(outcome.real)) return "read";
      seen.add(outcome.real);
      found.push({ used: { kind: "file", path: shown, uri: pathToFileURL(outcome.real).href }, text: outcome.text, rank });
      return "read";
    };
    const base = q.base?.rel ?? "";
    for (const entry of entries) read(join(base, entry), Rank.Folder);
    if (!focus) continue;
    // The nearest nested file of each plain-name entry, from the focused file's folder up to (not) the root;
    // past one the rules leave out.
    for (const entry of entries.filter((e) => !e.includes("/"))) {
      for (let dir = parentOf(focus.rel); dir !== ""; dir = parentOf(dir)) {
        if (read(dir + "/" + entry, Rank.Nested) === "read") break;
      }
    }
  }
  return capped(found, skipped);
}

/** One file: its text and real path, why it is not read, or "missing" (the usual case, not worth a word). */
function readOne(root: WorkspaceRoot, rel: string, filter: WorkspaceFilter): "missing" | { reason: SkipReason } | { text: string; real: string } {
  const abs = path.join(root.dir, ...rel.split("/"));
  let target = rel;
  try {
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st) return "missing";
    if (st.isSymbolicLink()) {
      const inside = toWorkspacePath(realpathSync.native(root.dir), realpathSync.native(abs));
      if (inside === undefined) return { reason: "symlink" };
      target = inside;
    }
  } catch {
    return { reason: "unreadable" }; // (a dangling or looping symlink)
  }
  const reason = filter.skipReason(rel, false) ?? (target !== rel ? filter.skipReason(target, false) : undefined);
  if (reason) return { reason };
  const r = readWorkspaceFile(root.dir, target, { maxFileBytes: MAX_FILE_BYTES, verifyParents: true, classify: classifySecretFree });
  if (!r.ok) return { reason: r.reason };
  return { text: r.text.trim(), real: path.join(realpathSync.native(root.dir), ...target.split("/")) };
}

/**
 * Keeps MAX_INSTRUCTION_CHARS in all: the developer's own text first, then the nested file, then the folders'
 * files in order; what is left is cut (at a line end when there is one near) or left out. The order in the
 * prompt stays as found.
 */
function capped(found: (InstructionSource & { rank: Rank })[], skipped: ProjectInstructions["skipped"]): ProjectInstructions {
  let left = MAX_INSTRUCTION_CHARS;
  let truncated = false;
  const kept = new Map<InstructionSource, string>();
  for (const s of [...found].sort((a, b) => a.rank - b.rank)) {
    if (left <= 0) {
      truncated = true;
      if (s.used.kind === "file") skipped.push({ path: s.used.path, reason: "over-the-limit" });
      continue;
    }
    let text = s.text;
    if (text.length > left) {
      truncated = true;
      // (at a line end when there is one in the last fifth, so no rule is cut mid-sentence)
      const cut = text.lastIndexOf("\n", left);
      text = text.slice(0, cut > left * 0.8 ? cut : left).trimEnd() + CUT_NOTE;
    }
    kept.set(s, text);
    // (after a cut the rest is left out, not cut again to a few lines)
    left = truncated ? 0 : left - text.length;
  }
  const sources = found.filter((s) => kept.has(s)).map((s) => ({ used: s.used, text: kept.get(s)! }));
  return { sources, skipped, truncated };
}

/**
 * The text added to a system prompt for these instructions, "" when there are none. Each file is introduced by
 * its path so the model (and a reader of the prompt log) can tell which rule came from where.
 */
export function instructionsText(instructions: Pick<ProjectInstructions, "sources">): string {
  if (!instructions.sources.length) return "";
  const parts = instructions.sources.map((s) =>
    s.used.kind === "settings" ? `The developer's own instructions:\n${s.text}` : `From ${s.used.path}:\n${s.text}`,
  );
  return [
    "Follow these standing instructions for this project where they apply to the request (what the developer asks in the conversation comes first):",
    ...parts,
  ].join("\n\n");
}

/**
 * `messages` with `text` (instructionsText()) at the end of their system message, or in one of its own before
 * the rest when they have none. The conversation after it is unchanged, so a workspace chat still starts with
 * the evaluated workspace prefix (its system text goes into the first question, after the prefix).
 */
export function withInstructions(messages: readonly ChatMessage[], text: string): ChatMessage[] {
  if (!text) return [...messages];
  const at = messages.findIndex((m) => m.role === "system");
  if (at < 0) return [{ role: "system", content: text }, ...messages];
  const m = messages[at];
  const content = typeof m.content === "string" ? `${m.content}\n\n${text}` : [...m.content, { type: "text" as const, text: `\n\n${text}` }];
  return messages.map((x, i) => (i === at ? { role: "system", content } : x));
}

/** What a request puts in its prompt: the text for withInstructions() and what it used, for its result. */
export interface RequestInstructions {
  text: string;
  /** Absent when there is nothing (the result's field is then left out). */
  used?: InstructionsUsed[];
  /** Files passed over and text cut, one sentence each, for the log. */
  notes: string[];
}

/**
 * The instructions of a request: `roots` (none without a folder) with `focus` (the file in focus), or with
 * `repository` (a commit's folder: its own files, read with its workspace folder's rules). A repository
 * outside every workspace folder is a folder of its own only when there are none (the CLI); otherwise only the
 * developer's own text goes.
 */
export function instructionsFor(q: {
  roots?: WorkspaceRoots;
  settings: InstructionSettings;
  ignore: InstructionsQuery["ignore"];
  focus?: string;
  repository?: string;
}): RequestInstructions {
  let roots = q.roots ?? WorkspaceRoots.of([]);
  let base: InstructionsQuery["base"];
  const repo = q.repository === undefined ? undefined : withoutFileScheme(q.repository);
  if (repo !== undefined && path.isAbsolute(repo)) {
    const folder = roots.find(repo);
    const at: Pick<LocatedPath, "root" | "rel"> | undefined = folder ? { root: folder, rel: "" } : roots.locate(repo);
    if (at) base = at;
    else if (!roots.folders.length) {
      // (the CLI in a repository: no workspace folders, the repository is one of its own)
      roots = WorkspaceRoots.of([repo]);
      base = { root: roots.folders[0], rel: "" };
    } else {
      // (a repository outside the workspace's folders, which the editor's Git may open: its files are not read)
      base = undefined;
      roots = WorkspaceRoots.of([]);
    }
  }
  const found = readInstructions({ roots, settings: q.settings, ignore: q.ignore, focus: q.focus, base });
  const notes = found.skipped.map((s) =>
    s.reason === "over-the-limit" ? `instructions: ${s.path} left out: over the ${MAX_INSTRUCTION_CHARS.toLocaleString("en-US")} characters instructions may take` : `instructions: ${s.path} not used (${s.reason})`,
  );
  const cut = found.sources.filter((s) => s.text.endsWith(CUT_NOTE)).map((s) => (s.used.kind === "file" ? s.used.path : "hearth.instructions.text"));
  if (cut.length) notes.push(`instructions: ${cut.join(", ")} cut to fit ${MAX_INSTRUCTION_CHARS.toLocaleString("en-US")} characters`);
  const text = instructionsText(found);
  return text ? { text, used: found.sources.map((s) => s.used), notes } : { text, notes };
}

/** A workspace-relative posix path from a setting's entry, or undefined for one that would leave the folder. */
function normalizeEntry(entry: unknown): string | undefined {
  if (typeof entry !== "string") return undefined;
  const p = entry.trim().replace(/\\/g, "/");
  if (p.startsWith("/") || /^[a-zA-Z]:/.test(p)) return undefined;
  const segments = p.split("/").filter((s) => s !== "" && s !== ".");
  return segments.length && !segments.includes("..") ? segments.join("/") : undefined;
}

function join(dir: string, rel: string): string {
  return dir === "" ? rel : `${dir}/${rel}`;
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? "" : rel.slice(0, slash);
}
