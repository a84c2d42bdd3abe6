/**
 * Splits a file into the chunks of the workspace prefix (one `<|turn>user` turn each).
 *
 * A chunk holds at most `maxLines` lines (default 64) and `maxChars` characters (default
 * 2048, ≈ 600 tokens). When a file has to be cut, the cut goes, in order of preference,
 * before a top-level line (column 0, not a closing bracket) that follows a blank line, after a
 * blank line, or before a top-level line, searched in the second half of the window; else at
 * the window's end. A single line longer than `maxChars` is split into pieces.
 *
 * The chunk texts concatenated give back the file (line endings normalised to LF). Chunking is
 * deterministic: the same path and text always give the same chunks and hashes.
 */
import crypto from "node:crypto";

export interface FileChunk {
  /** workspace-relative posix path */
  path: string;
  /** 1-based, inclusive */
  startLine: number;
  /** 1-based, inclusive */
  endLine: number;
  /** the lines, each with its "\n" (the file's last line keeps none if the file has none) */
  text: string;
  /** sha256 of path and text (16 hex digits): equal hashes ⇔ the same prompt turn */
  hash: string;
}

export interface ChunkOptions {
  maxLines?: number;
  maxChars?: number;
}

export const DEFAULT_CHUNK_LINES = 64;
export const DEFAULT_CHUNK_CHARS = 2048;

export function chunkHash(path: string, text: string): string {
  return sha256Hex(path + "\0" + text).slice(0, 16);
}

const sha256Hex: (data: string) => string =
  typeof crypto.hash === "function" // Node ≥ 20.12: one-shot, about twice as fast
    ? (data) => crypto.hash("sha256", data, "hex")
    : (data) => crypto.createHash("sha256").update(data).digest("hex");

/** Normalises line endings to LF, as the chunks hold them. */
export function normalizeText(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

export function chunkFile(path: string, text: string, opts: ChunkOptions = {}): FileChunk[] {
  const maxLines = Math.max(1, opts.maxLines ?? DEFAULT_CHUNK_LINES);
  const maxChars = Math.max(16, opts.maxChars ?? DEFAULT_CHUNK_CHARS);
  const src = normalizeText(text);
  if (src.trim() === "") return [];

  // starts[i] = offset of line i; starts[n] = src.length. Each line owns its "\n".
  const starts: number[] = [0];
  for (let i = src.indexOf("\n"); i !== -1 && i < src.length - 1; i = src.indexOf("\n", i + 1)) starts.push(i + 1);
  const n = starts.length;
  starts.push(src.length);
  const lineLength = (i: number) => starts[i + 1] - starts[i];
  const blank = (i: number) => {
    for (let k = starts[i], end = starts[i + 1]; k < end; k++) if (src.charCodeAt(k) > 32) return false;
    return true;
  };
  /** Column 0, not whitespace, not a closing bracket: a declaration or statement at top level. */
  const topLevel = (i: number) => {
    const c = src.charCodeAt(starts[i]);
    return c > 32 && c !== 0x29 && c !== 0x5d && c !== 0x7d; // ) ] }
  };

  const out: FileChunk[] = [];
  const emit = (first: number, last: number, body: string) =>
    out.push({ path, startLine: first + 1, endLine: last + 1, text: body, hash: chunkHash(path, body) });

  let start = 0;
  while (start < n) {
    if (lineLength(start) > maxChars) {
      // One overlong line: pieces of maxChars, never splitting a surrogate pair.
      const line = src.slice(starts[start], starts[start + 1]);
      for (let at = 0; at < line.length; ) {
        let end = Math.min(line.length, at + maxChars);
        if (end < line.length && isHighSurrogate(line.charCodeAt(end - 1))) end--;
        emit(start, start, line.slice(at, end));
        at = end;
      }
      start++;
      continue;
    }

    let end = start;
    let chars = 0;
    while (end < n && end - start < maxLines && chars + lineLength(end) <= maxChars) chars += lineLength(end++);

    if (end < n) {
      // Look for a natural boundary in the second half of the window.
      let best = end;
      let bestScore = 0;
      for (let c = end, min = start + Math.max(1, Math.ceil((end - start) / 2)); c >= min; c--) {
        const top = topLevel(c);
        const afterBlank = blank(c - 1) && !blank(c);
        const score = top && afterBlank ? 3 : afterBlank ? 2 : top ? 1 : 0;
        if (score > bestScore) {
          best = c;
          bestScore = score;
          if (score === 3) break;
        }
      }
      end = best;
    }

    emit(start, end - 1, src.slice(starts[start], starts[end]));
    start = end;
  }
  return out;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
