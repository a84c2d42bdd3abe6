/**
 * The project's standing instructions for the model: files such as `AGENTS.md` and
 * `.github/copilot-instructions.md` that a repository already keeps for coding assistants ("use pnpm",
 * "tests go beside the file", "conventional commits"), plus the developer's own `instructions.text`.
 * Chat, Edit Selection and commit messages add them to their system prompt (withInstructions).
 *
 * Read on every request (a few small files: always current, nothing to invalidate), with the workspace
 * context's rules: a file the workspace prefix leaves out (`.gitignore`, `hearth.workspace.ignore`, a secret
 * name) is not read, nor one with a key or token in it, nor a symlink. An entry with no slash (`AGENTS.md`)
 * is also looked up from the folder of the file in focus upwards, as the AGENTS.md convention has it: the
 * nearest one below the workspace folder goes after the folder's own, so its more specific rules come last.
 */
import { lstatSync } from "node:fs";
import path from "node:path";
import type { ChatMessage, InstructionSettings, WorkspaceSettings } from "../protocol";
import { classifySecretFree, readWorkspaceFile, withoutFileScheme, WorkspaceFilter, type SkipReason } from "./files";
import { ignoreFor } from "./index";
import { WorkspaceRoots, type WorkspaceRoot } from "./roots";

/** Characters of instructions in all (about 3K tokens): a prompt every chat question and edit pays for. */
export const MAX_INSTRUCTION_CHARS = 12_000;
/** An instructions file larger than this is not read (it would be cut to MAX_INSTRUCTION_CHARS anyway). */
const MAX_FILE_BYTES = 64 * 1024;

export interface InstructionSource {
  /** As the workspace prefix shows paths (`AGENTS.md`; `<folder>/AGENTS.md` in a multi-root workspace), or `settings`. */
  path: string;
  text: string;
}

export interface ProjectInstructions {
  /** In order: the developer's own text first, then each folder's files, the nearest nested file last. */
  sources: InstructionSource[];
  /** The files not read, with why (left out by the workspace's rules, a secret in it, too large…). */
  skipped: { path: string; reason: SkipReason }[];
  /** True when the text was cut to MAX_INSTRUCTION_CHARS. */
  truncated: boolean;
}

export interface InstructionsQuery {
  roots: WorkspaceRoots;
  settings: InstructionSettings;
  /** The ignore patterns of the workspace prefix (the window's and each folder's). */
  ignore: Pick<WorkspaceSettings, "ignore" | "folderIgnore">;
  /** Only these folders (a commit's repository's); default: all of them. */
  only?: readonly WorkspaceRoot[];
  /** The file (or directory) in focus: where nested files are looked up from. */
  near?: string;
}

/** The instructions for a request (see the file comment). */
export function readInstructions(q: InstructionsQuery): ProjectInstructions {
  const out: ProjectInstructions = { sources: [], skipped: [], truncated: false };
  const own = q.settings.text.trim();
  if (own) out.sources.push({ path: "settings", text: own });
  const entries = q.settings.files.map(normalizeEntry).filter((e): e is string => e !== undefined);
  if (entries.length) {
    const near = q.near === undefined ? undefined : q.roots.locate(q.near);
    for (const root of q.only ?? q.roots.folders) {
      const filter = new WorkspaceFilter(root.dir, { ignore: ignoreFor(root, q.ignore), nestedFolders: q.roots.nestedIn(root) });
      const read = (rel: string) => {
        const shown = q.roots.display(root, rel);
        // (a missing file is the usual case, not worth a word)
        if (!exists(root, rel) || out.sources.some((s) => s.path === shown)) return;
        const reason = filter.skipReason(rel, false);
        if (reason) return void out.skipped.push({ path: shown, reason });
        const r = readWorkspaceFile(root.dir, rel, { maxFileBytes: MAX_FILE_BYTES, verifyParents: true, classify: classifySecretFree });
        if (r.ok) out.sources.push({ path: shown, text: r.text.trim() });
        else out.skipped.push({ path: shown, reason: r.reason });
      };
      for (const entry of entries) read(entry);
      if (near?.root !== root) continue;
      // The nearest nested file of each plain-name entry, from the focused file's folder up to the root's.
      for (const entry of entries.filter((e) => !e.includes("/"))) {
        for (let dir = parentOf(near.rel); dir !== ""; dir = parentOf(dir)) {
          if (exists(root, dir + "/" + entry)) {
            read(dir + "/" + entry);
            break;
          }
        }
      }
    }
  }
  return capped(out);
}

/**
 * The text added to a system prompt for these instructions, "" when there are none. Each file is introduced by
 * its path so the model (and a reader of the prompt log) can tell which rule came from where.
 */
export function instructionsText(instructions: ProjectInstructions): string {
  if (!instructions.sources.length) return "";
  const parts = instructions.sources.map((s) =>
    s.path === "settings" ? `The developer's own instructions:\n${s.text}` : `From ${s.path}:\n${s.text}`,
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

/** The names of what was used, for a result (`settings` for the developer's own text). */
export function instructionPaths(instructions: ProjectInstructions): string[] {
  return instructions.sources.map((s) => s.path);
}

/** What a request puts in its prompt: the text for withInstructions() and the paths for its result. */
export interface RequestInstructions {
  text: string;
  /** instructionPaths(), absent when there are none (the result's field is then left out). */
  paths?: string[];
}

/**
 * The instructions of a request: the workspace folders' (`roots`: none without a folder), the nested one
 * nearest to `near` (the file in focus), or, with `repository` (a commit's), those of the workspace folder
 * that holds it and its own nested one; a repository outside every workspace folder (the CLI) is a folder
 * of its own. A file passed over or text cut is logged, with why.
 */
export function instructionsFor(
  q: { roots?: WorkspaceRoots; settings: InstructionSettings; ignore: InstructionsQuery["ignore"]; near?: string; repository?: string },
  log: (message: string) => void = () => {},
): RequestInstructions {
  let roots = q.roots ?? WorkspaceRoots.of([]);
  let only: WorkspaceRoot[] | undefined;
  let near = q.near;
  const repo = q.repository === undefined ? undefined : withoutFileScheme(q.repository);
  if (repo !== undefined && path.isAbsolute(repo)) {
    const root = roots.find(repo) ?? roots.locate(repo)?.root;
    if (!root) roots = WorkspaceRoots.of([repo]);
    only = [root ?? roots.folders[0]];
    // (a name inside the repository's folder: nested files are looked up from that folder itself)
    near = path.join(repo, "*");
  }
  const found = readInstructions({ roots, settings: q.settings, ignore: q.ignore, only, near });
  for (const s of found.skipped) log(`instructions: ${s.path} not used (${s.reason})`);
  if (found.truncated) log(`instructions: cut to ${MAX_INSTRUCTION_CHARS.toLocaleString("en-US")} characters (${instructionPaths(found).join(", ")})`);
  const text = instructionsText(found);
  return text ? { text, paths: instructionPaths(found) } : { text };
}

/** Cuts the sources to MAX_INSTRUCTION_CHARS in all: the later ones lose text first, then whole. */
function capped(out: ProjectInstructions): ProjectInstructions {
  let left = MAX_INSTRUCTION_CHARS;
  const kept: InstructionSource[] = [];
  for (const s of out.sources) {
    if (left <= 0) {
      out.truncated = true;
      break;
    }
    if (s.text.length > left) {
      out.truncated = true;
      // (at a line end when there is one in the last fifth, so no rule is cut mid-sentence)
      const cut = s.text.lastIndexOf("\n", left);
      kept.push({ path: s.path, text: s.text.slice(0, cut > left * 0.8 ? cut : left).trimEnd() + "\n[…the rest of this file is cut: instructions are limited to 12,000 characters]" });
      left = 0;
      continue;
    }
    kept.push(s);
    left -= s.text.length;
  }
  out.sources = kept;
  return out;
}

/** A workspace-relative posix path from a setting's entry, or undefined for one that would leave the folder. */
function normalizeEntry(entry: unknown): string | undefined {
  if (typeof entry !== "string") return undefined;
  const p = entry.trim().replace(/\\/g, "/");
  if (p.startsWith("/") || /^[a-zA-Z]:/.test(p)) return undefined;
  const segments = p.split("/").filter((s) => s !== "" && s !== ".");
  return segments.length && !segments.includes("..") ? segments.join("/") : undefined;
}

function exists(root: WorkspaceRoot, rel: string): boolean {
  try {
    return lstatSync(path.join(root.dir, ...rel.split("/")), { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf("/");
  return slash < 0 ? "" : rel.slice(0, slash);
}
