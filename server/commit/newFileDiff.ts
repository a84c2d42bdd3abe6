/**
 * New, untracked files as `git diff` sections. `git diff` leaves them out (there is nothing in the index to
 * compare with), but they are in the commit when nothing is staged and VS Code commits all changes (its
 * smart commit), so Write Commit Message describes them: each as the section `git add -N` would give it.
 * Pure (the caller reads the files), so it is unit-tested on plain bytes.
 */
import { isSecretPath } from "../secrets";

/** A new file larger than this is named with its size, not read (the prompt would sum it up as a line count anyway). */
export const MAX_NEW_FILE_BYTES = 64 * 1024;

/** A new file that is not read: its size when known, or that it is a symbolic link (whose target could be anything, outside the repository too). */
export type UnreadNewFile = { size?: number; link?: boolean };

/**
 * The section for the new file at `path` (relative to the repository's root, `/`-separated) whose content is
 * `content`, or what is known of it when it was not read (too large, a secrets file, a link, past the count).
 */
export function newFileDiff(path: string, content: Uint8Array | UnreadNewFile): string {
  const head = `diff --git a/${path} b/${path}\nnew file mode 100644\n`;
  // (git ends a name with spaces with a tab there, so that patch tools find its end)
  const names = `--- /dev/null\n+++ b/${path}${path.includes(" ") ? "\t" : ""}\n`;
  if (!(content instanceof Uint8Array)) {
    if (isSecretPath(path)) return head + names;
    const what = content.link ? "a new symbolic link" : content.size === undefined ? "a new file" : `a new file of ${sizeText(content.size)}`;
    return `${head}${names}@@ -0,0 +1 @@\n+(${what}: not read)\n`;
  }
  // git's own test: a NUL byte in the first 8000 bytes makes a file binary.
  if (content.subarray(0, 8000).includes(0)) return `${head}Binary files /dev/null and b/${path} differ\n`;
  if (content.length === 0) return head;
  const text = new TextDecoder().decode(content).replace(/\r\n/g, "\n");
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  const body = lines.map((l) => `+${l}\n`).join("") + (text.endsWith("\n") ? "" : "\\ No newline at end of file\n");
  return `${head}${names}@@ -0,0 +1${lines.length === 1 ? "" : `,${lines.length}`} @@\n${body}`;
}

/** Whether a new file's content is read for its section (secrets files never are). */
export function readsNewFile(path: string, size: number): boolean {
  return !isSecretPath(path) && size <= MAX_NEW_FILE_BYTES;
}

function sizeText(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
