/**
 * `#` file mentions in the chat input: where one is being typed, and what picking a file leaves in the draft.
 * No imports, so the webview bundles it for its `#` menu (the extension lists and ranks the files).
 *
 * A mention starts with `#` at the start of the draft or after white space, and runs to the caret without
 * white space. One that begins with a digit is an issue or PR number (`fix #12`), not a file.
 */

export interface FileMention {
  /** Where the `#` is. */
  start: number;
  /** The caret (the mention's end). */
  end: number;
  /** What follows the `#`. */
  query: string;
}

/** The mention the caret is at the end of, or undefined. */
export function fileMentionAt(draft: string, caret: number): FileMention | undefined {
  const m = /(?:^|\s)#([^\s#]*)$/.exec(draft.slice(0, caret));
  if (!m || /^\d/.test(m[1])) return undefined;
  // (after the caret the word must end too: `#ab|cd` is editing a word, not naming a file)
  if (/^[^\s]/.test(draft.slice(caret))) return undefined;
  return { start: caret - m[1].length - 1, end: caret, query: m[1] };
}

/**
 * The draft with the mention replaced by the picked file's path (the chip carries the file; the path keeps
 * the sentence readable: "how does src/cache.ts evict?"), and where the caret goes.
 */
export function replaceMention(draft: string, mention: FileMention, path: string): { text: string; caret: number } {
  const after = draft.slice(mention.end);
  const insert = after.startsWith(" ") ? path : `${path} `;
  const text = draft.slice(0, mention.start) + insert + after;
  return { text, caret: mention.start + insert.length + (after.startsWith(" ") ? 1 : 0) };
}
