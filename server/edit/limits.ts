/**
 * How much Edit Selection takes: checked by the host (any client) and by the extension before it asks for the
 * instruction. Pure, no dependencies, so the extension bundle imports it cheaply.
 */

/** The most characters a selection may hold: the model writes it all again, so more would take minutes on a laptop. */
export const MAX_EDIT_SELECTION_CHARS = 24_000;

/** Why a selection of `chars` characters is too large to edit, if it is. */
export function selectionTooLarge(chars: number): string | undefined {
  if (chars <= MAX_EDIT_SELECTION_CHARS) return undefined;
  return `The selection is ${Math.round(chars / 1000)}K characters; Edit Selection takes up to ${MAX_EDIT_SELECTION_CHARS / 1000}K, since the model writes it all again. Select one function or block at a time.`;
}
